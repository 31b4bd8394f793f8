"""The repeated protocols and the comparison: identical splits for every model, recipes, summaries checked by hand."""

import json

import keras
import numpy as np
import pytest

from step_tf import compare
from step_tf.config import RECIPES
from step_tf.data.sources import load_gaits
from step_tf.features import AffectiveFeatures

TINY = ["--data", "embedded:80", "--epochs", "1", "--batch-size", "16"]


@pytest.fixture
def small_networks(monkeypatch):
    """Small ST-GCN layers for every model, and a 2-epoch SVM recipe, to keep the tests fast."""
    from step_tf.training import protocol

    original_compare = protocol.compare_models
    monkeypatch.setattr(
        protocol, "compare_models",
        lambda *args, **kwargs: original_compare(*args, channels=(8, 8), strides=(1, 2), temporal_kernel_size=3, **kwargs),
    )
    monkeypatch.setitem(RECIPES, "affective_svm", {**RECIPES["affective_svm"], "epochs": 2})


def _split(run_dir):
    return json.loads((run_dir / "split.json").read_text())


def test_compare_trains_every_model_on_the_same_splits(tmp_path, capsys, small_networks):
    out_dir = tmp_path / "compare"
    assert compare.main([*TINY, "--seeds", "0,1", "--models", "affective_svm,baseline_step", "--out-dir", str(out_dir)]) == 0
    table = capsys.readouterr().out
    comparison = json.loads((out_dir / "comparison.json").read_text())
    assert [row["model"] for row in comparison["models"]] == ["affective_svm", "baseline_step"]
    for seed in (0, 1):
        assert _split(out_dir / "affective_svm" / f"seed-{seed}") == _split(out_dir / "baseline_step" / f"seed-{seed}")
    assert _split(out_dir / "baseline_step" / "seed-0") != _split(out_dir / "baseline_step" / "seed-1")
    for row in comparison["models"]:
        scores = [json.loads((out_dir / row["model"] / f"seed-{s}" / "metrics.json").read_text())["test"]["accuracy"] for s in (0, 1)]
        assert row["accuracy"]["mean"] == pytest.approx(np.mean(scores))
        assert row["accuracy"]["sd"] == pytest.approx(abs(scores[0] - scores[1]) / np.sqrt(2))  # n = 2, ddof 1
        assert f"| {row['model']} | {100 * np.mean(scores):.1f} ± " in table
    assert comparison["models"][0]["parameters"] == 29 * 4 + 4
    assert (out_dir / "comparison.md").read_text().startswith("| model | accuracy (%)")

    # The SVM keeps its own recipe's schedule; the shared settings reach the model without one.
    svm, baseline = (json.loads((out_dir / name / "seed-0" / "config.json").read_text()) for name in ("affective_svm", "baseline_step"))
    for key in ("epochs", "batch_size", "learning_rate", "augment", "weight_decay_mode"):
        assert svm[key] == RECIPES["affective_svm"][key]
    assert (baseline["epochs"], baseline["batch_size"]) == (1, 16)
    assert len((out_dir / "affective_svm" / "seed-0" / "history.csv").read_text().splitlines()) == 1 + 2  # header, 2 epochs

    # Run again: finished runs are reused, not retrained.
    stamp = (out_dir / "affective_svm" / "seed-0" / "metrics.json").stat().st_mtime_ns
    assert compare.main([*TINY, "--seeds", "0,1", "--models", "affective_svm", "--out-dir", str(out_dir)]) == 0
    assert (out_dir / "affective_svm" / "seed-0" / "metrics.json").stat().st_mtime_ns == stamp


def test_kfold_tests_every_gait_once_with_validation_from_the_training_groups(tmp_path, capsys, small_networks):
    out_dir = tmp_path / "kfold"
    assert compare.main([*TINY, "--seeds", "0", "--protocol", "kfold", "--folds", "3", "--models", "affective_svm",
                         "--out-dir", str(out_dir)]) == 0
    assert "3 grouped, stratified folds" in capsys.readouterr().out
    runs = [out_dir / "affective_svm" / f"seed-0-fold-{fold}" for fold in range(3)]
    splits = [_split(run) for run in runs]
    gaits = load_gaits("embedded:80")
    subject = dict(zip(gaits.keys.tolist(), gaits.groups.tolist()))
    tests = [split["test"] for split in splits]
    assert sorted(key for test in tests for key in test) == sorted(gaits.keys.tolist())
    subjects_of_folds = [{subject[key] for key in test} for test in tests]
    assert sum(len(s) for s in subjects_of_folds) == len(set.union(*subjects_of_folds))  # no subject in two folds
    for split, test_subjects in zip(splits, subjects_of_folds):
        training_subjects = {subject[key] for key in split["train"] + split["validation"]}
        assert not training_subjects & test_subjects and split["validation"]
        assert not {subject[key] for key in split["train"]} & {subject[key] for key in split["validation"]}
    # The loop adapted the SVM's feature scaling to the fold's training gaits alone.
    position = {key: index for index, key in enumerate(gaits.keys.tolist())}
    training_features = np.asarray(AffectiveFeatures()(gaits.joints[[position[key] for key in splits[0]["train"]]]))
    scaling = keras.saving.load_model(runs[0] / "best.keras").get_layer("affective_scaling")
    np.testing.assert_allclose(np.ravel(scaling.mean), training_features.mean(axis=0), rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(np.ravel(scaling.variance), training_features.var(axis=0), rtol=1e-3, atol=1e-6)
    summary = json.loads((out_dir / "affective_svm" / "protocol.json").read_text())
    scores = [json.loads((run / "metrics.json").read_text())["test"]["accuracy"] for run in runs]
    assert summary["accuracy"]["mean"] == pytest.approx(np.mean(scores))
    assert summary["accuracy"]["sd"] == pytest.approx(np.std(scores, ddof=1))
    assert [run["fold"] for run in summary["runs"]] == [0, 1, 2]


def test_compare_refuses_unknown_models_and_a_missing_test_split(tmp_path, capsys):
    with pytest.raises(SystemExit):
        compare.main(["--models", "svm_rbf"])
    assert "unknown model 'svm_rbf'" in capsys.readouterr().err
    assert compare.main([*TINY, "--models", "affective_svm", "--split-fractions", "0.8,0.2,0", "--out-dir", str(tmp_path)]) == 2
    assert "have none" in capsys.readouterr().err
    assert compare.main([*TINY, "--models", "affective_svm", "--protocol", "kfold", "--folds", "1", "--out-dir", str(tmp_path)]) == 2
    assert "at least 2 folds" in capsys.readouterr().err
