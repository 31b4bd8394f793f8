"""``python -m step_tf.predict`` on the real fixtures (npz, E-Gait h5, BVH), JSON and CSV."""

import csv
import json

import keras
import numpy as np
import pytest

from step_tf import predict
from step_tf.data.bvh import bvh_positions


@pytest.fixture(scope="module")
def keras_model(run_dir):
    return keras.saving.load_model(run_dir / "best.keras")


def _softmax(logits):
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)


def test_npz_and_egait_h5_give_the_keras_probabilities(exported, fixtures_dir, keras_model, tmp_path):
    base_path, metadata = exported
    with np.load(fixtures_dir / "bandai_walk_step16_4x75.npz") as archive:
        positions, names = archive["positions"], [str(name) for name in archive["names"]]
    expected = _softmax(keras_model.predict(positions, verbose=0).astype(np.float64))
    assert predict.main(["--model", str(base_path), "--input", str(fixtures_dir / "bandai_walk_step16_4x75.npz"), "--output", str(tmp_path / "p.json")]) == 0
    rows = json.loads((tmp_path / "p.json").read_text())["predictions"]
    assert [row["key"] for row in rows] == names
    got = np.array([[row["probabilities"][name] for name in metadata["label_names"]] for row in rows])
    np.testing.assert_allclose(got, expected, atol=1e-5)
    assert [row["class_name"] for row in rows] == [metadata["label_names"][i] for i in expected.argmax(axis=1)]

    # The same four windows, root-centred, in the E-Gait layout: the model centres them itself.
    assert predict.main(["--model", str(base_path / "1"), "--input", str(fixtures_dir / "bandai_walk_features.h5"), "--output", str(tmp_path / "p.csv")]) == 0
    with open(tmp_path / "p.csv", newline="") as table:
        by_key = {row["key"]: row for row in csv.DictReader(table)}
    assert sorted(by_key) == sorted(names)
    got = np.array([[float(by_key[key][f"p_{name}"]) for name in metadata["label_names"]] for key in names])
    np.testing.assert_allclose(got, expected, atol=1e-4)


def test_bvh_is_cut_into_75_frame_windows(exported, fixtures_dir, keras_model, capsys):
    path = fixtures_dir / "dataset-1_walk_angry_001.bvh"
    assert predict.main(["--model", str(exported[0]), "--input", str(path), "--format", "csv"]) == 0
    rows = list(csv.DictReader(capsys.readouterr().out.splitlines()))
    clip = bvh_positions(path)
    starts = range(0, clip.shape[0] - 75 + 1, 30)
    assert [row["key"] for row in rows] == [f"{path.stem}_{start:05d}" for start in starts]
    expected = _softmax(keras_model.predict(np.stack([clip[s : s + 75] for s in starts]), verbose=0).astype(np.float64))
    got = np.array([[float(row[f"p_{name}"]) for name in ("angry", "neutral", "happy", "sad")] for row in rows])
    np.testing.assert_allclose(got, expected, atol=1e-5)


def test_bad_inputs_exit_with_one_line(exported, fixtures_dir, tmp_path, capsys):
    (tmp_path / "gaits.txt").write_text("1 2 3")
    np.savez(tmp_path / "bad.npz", positions=np.zeros((2, 75, 15, 3), np.float32))
    assert predict.main(["--model", str(exported[0]), "--input", str(tmp_path / "gaits.txt")]) == 2
    assert predict.main(["--model", str(exported[0]), "--input", str(tmp_path / "missing.npz")]) == 2
    assert predict.main(["--model", str(exported[0]), "--input", str(tmp_path / "bad.npz")]) == 2
    assert predict.main(["--model", str(tmp_path), "--input", str(fixtures_dir / "bandai_walk_step16_4x75.npz")]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 4
    assert "unknown input format '.txt'" in errors[0] and "input file not found" in errors[1]
    assert "expected (N, T, 16, 3)" in errors[2] and "folder of numbered versions" in errors[3]
