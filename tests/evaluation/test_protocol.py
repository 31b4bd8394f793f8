"""The repeated protocol and the comparison: identical splits per seed for every model, summaries checked by hand."""

import json

import numpy as np
import pytest

from step_tf import compare

TINY = ["--data", "embedded:80", "--seeds", "0,1", "--epochs", "1", "--batch-size", "16"]


def test_compare_trains_every_model_on_the_same_splits(tmp_path, capsys, monkeypatch):
    from step_tf.evaluation import protocol

    out_dir = tmp_path / "compare"
    # Small ST-GCN layers keep the test fast; every model gets the same settings.
    original_compare = protocol.compare_models
    monkeypatch.setattr(
        protocol, "compare_models",
        lambda *args, **kwargs: original_compare(*args, channels=(8, 8), strides=(1, 2), temporal_kernel_size=3, **kwargs),
    )
    assert compare.main([*TINY, "--models", "affective_svm,baseline_step", "--out-dir", str(out_dir)]) == 0
    table = capsys.readouterr().out
    comparison = json.loads((out_dir / "comparison.json").read_text())
    assert [row["model"] for row in comparison["models"]] == ["affective_svm", "baseline_step"]
    for seed in (0, 1):
        splits = [json.loads((out_dir / model / f"seed-{seed}" / "split.json").read_text()) for model in ("affective_svm", "baseline_step")]
        assert splits[0] == splits[1]
    assert json.loads((out_dir / "baseline_step" / "seed-0" / "split.json").read_text()) != json.loads(
        (out_dir / "baseline_step" / "seed-1" / "split.json").read_text()
    )
    for row in comparison["models"]:
        scores = [json.loads((out_dir / row["model"] / f"seed-{s}" / "metrics.json").read_text())["test"]["accuracy"] for s in (0, 1)]
        assert row["accuracy"]["mean"] == pytest.approx(np.mean(scores))
        assert row["accuracy"]["sd"] == pytest.approx(abs(scores[0] - scores[1]) / np.sqrt(2))  # n = 2, ddof 1
        assert f"| {row['model']} | {100 * np.mean(scores):.1f} ± " in table
    assert comparison["models"][0]["parameters"] == 29 * 4 + 4
    assert (out_dir / "comparison.md").read_text().startswith("| model | accuracy (%)")

    # Run again: finished runs are reused, not retrained.
    stamp = (out_dir / "affective_svm" / "seed-0" / "metrics.json").stat().st_mtime_ns
    assert compare.main([*TINY, "--models", "affective_svm", "--out-dir", str(out_dir)]) == 0
    assert (out_dir / "affective_svm" / "seed-0" / "metrics.json").stat().st_mtime_ns == stamp


def test_compare_refuses_unknown_models_and_a_missing_test_split(tmp_path, capsys):
    with pytest.raises(SystemExit):
        compare.main(["--models", "svm_rbf"])
    assert "unknown model 'svm_rbf'" in capsys.readouterr().err
    assert compare.main([*TINY, "--models", "affective_svm", "--split-fractions", "0.8,0.2,0", "--out-dir", str(tmp_path)]) == 2
    assert "have none" in capsys.readouterr().err
