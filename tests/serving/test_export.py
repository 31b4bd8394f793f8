"""Export: the version layout, signatures (checked through saved_model_cli), metadata, atomic publication."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time

import keras
import numpy as np
import pytest
import tensorflow as tf

from step_tf import export
from step_tf.serving.versions import BUILDING_PREFIX, list_versions, publish

from .conftest import MODEL_NAME


def test_a_version_holds_the_savedmodel_keras_tflite_and_metadata(exported, version_dir, run_dir):
    base_path, metadata = exported
    assert metadata["version"] == 1 and list_versions(base_path) == [1]
    for name in ("saved_model.pb", "variables", "model.keras", "metadata.json",
                 "model_float32.tflite", "model_float16.tflite", "model_int8.tflite"):
        assert (version_dir / name).exists(), name
    written = json.loads((version_dir / "metadata.json").read_text())
    assert written["label_names"] == ["angry", "neutral", "happy", "sad"]
    assert written["data"] == "embedded:160"
    assert written["metrics"] == json.loads((run_dir / "metrics.json").read_text())
    assert written["config"] == json.loads((run_dir / "config.json").read_text())
    assert written["packages"]["tensorflow"] == tf.__version__
    for name, size in written["sizes_bytes"].items():
        assert size > 0, name
    assert written["sizes_bytes"]["tflite_float32"] == (version_dir / "model_float32.tflite").stat().st_size
    # The version must be readable by a server running as another user.
    umask = os.umask(0)
    os.umask(umask)
    assert version_dir.stat().st_mode & 0o777 == 0o777 & ~umask


def test_saved_model_cli_shows_both_signatures(version_dir):
    # saved_model_cli comes with TensorFlow; run its module with this interpreter so the venv's TensorFlow is used.
    shown = subprocess.run(
        [sys.executable, "-m", "tensorflow.python.tools.saved_model_cli", "show", "--dir", str(version_dir), "--all"],
        capture_output=True, text=True, check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    ).stdout
    blocks = {name: shown.split(f"signature_def['{name}']:")[1].split("signature_def[")[0] for name in ("serving_default", "serve_any_frames")}
    for name, shape in (("serving_default", "(-1, 75, 16, 3)"), ("serve_any_frames", "(-1, -1, 16, 3)")):
        block = blocks[name]
        inputs, outputs = block.split("The given SavedModel SignatureDef contains the following output(s):")
        assert "inputs['joints'] tensor_info:" in inputs and "dtype: DT_FLOAT" in inputs and f"shape: {shape}" in inputs, block
        for output, dtype, output_shape in (("probabilities", "DT_FLOAT", "(-1, 4)"), ("class_ids", "DT_INT64", "(-1)"), ("class_names", "DT_STRING", "(-1)")):
            part = outputs.split(f"outputs['{output}'] tensor_info:")[1].split("name:")[0]
            assert f"dtype: {dtype}" in part and f"shape: {output_shape}" in part, (name, output, part)
        assert "Method name is: tensorflow/serving/predict" in block


def test_signatures_agree_and_any_frames_refuses_too_few(version_dir, test_split):
    loaded = tf.saved_model.load(str(version_dir))
    joints = tf.constant(test_split.joints[:5])
    default = loaded.signatures["serving_default"](joints=joints)
    any_frames = loaded.signatures["serve_any_frames"](joints=joints)
    np.testing.assert_allclose(any_frames["probabilities"], default["probabilities"], atol=1e-6)
    ids = np.argmax(default["probabilities"].numpy(), axis=1)
    np.testing.assert_array_equal(default["class_ids"], ids)
    assert [name.decode() for name in default["class_names"].numpy()] == [test_split.label_names[i] for i in ids]
    assert loaded.signatures["serve_any_frames"](joints=tf.constant(test_split.joints[:2, :15]))["probabilities"].shape == (2, 4)
    with pytest.raises(tf.errors.InvalidArgumentError, match="at least 15 frames"):
        loaded.signatures["serve_any_frames"](joints=tf.constant(test_split.joints[:2, :14]))


def test_versions_increase_and_a_failed_build_publishes_nothing(tmp_path):
    def build(folder):
        (folder / "saved_model.pb").write_bytes(b"stand-in")

    assert [publish(tmp_path, build) for _ in range(3)] == [1, 2, 3]
    shutil.rmtree(tmp_path / "2")  # a deleted version's number is not reused while a later one exists
    assert publish(tmp_path, build) == 4

    def broken(folder):
        build(folder)
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError, match="disk full"):
        publish(tmp_path, broken)
    assert list_versions(tmp_path) == [1, 3, 4]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["1", "3", "4"]  # no building folder left


def test_export_cli_publishes_the_next_version(run_dir, tmp_path, capsys):
    for version in (1, 2):
        assert export.main([str(run_dir), "--name", MODEL_NAME, "--base", str(tmp_path), "--no-tflite"]) == 0
        assert f"as {MODEL_NAME} version {version}: {tmp_path / MODEL_NAME / str(version)}" in capsys.readouterr().out
    assert list_versions(tmp_path / MODEL_NAME) == [1, 2]
    assert not list((tmp_path / MODEL_NAME / "2").glob("*.tflite"))


def test_export_cli_errors_are_one_line(tmp_path, capsys):
    assert export.main([str(tmp_path / "missing"), "--name", "x", "--base", str(tmp_path)]) == 2
    assert export.main([str(tmp_path), "--name", "a/b", "--base", str(tmp_path)]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and "run directory not found" in errors[0] and "plain folder name" in errors[1]


def test_an_export_killed_midway_leaves_no_version(run_dir, exported, tmp_path):
    """SIGKILL while the version is being built: only a hidden building folder remains, never a version."""
    base = tmp_path / "models"
    shutil.copytree(exported[0], base / MODEL_NAME)  # version 1 already published
    process = subprocess.Popen(
        [sys.executable, "-m", "step_tf.export", str(run_dir), "--name", MODEL_NAME, "--base", str(base)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    deadline = time.monotonic() + 120
    building = []
    while not building and time.monotonic() < deadline and process.poll() is None:
        building = [p for p in (base / MODEL_NAME).iterdir() if p.name.startswith(BUILDING_PREFIX)]
        time.sleep(0.02)
    # Let it write part of the SavedModel first, but kill it before the TFLite conversions end.
    while building and not (building[0] / "saved_model.pb").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    assert process.poll() is None, f"the export ended by itself (exit status {process.returncode}) before it was killed"
    assert building, "no building folder was seen within two minutes"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert list_versions(base / MODEL_NAME) == [1]
    assert sorted(p.name for p in (base / MODEL_NAME).iterdir() if not p.name.startswith(".")) == ["1"]


def test_export_refuses_a_model_with_nan_weights(run_dir, tmp_path):
    from step_tf.serving.exporting import export_run

    broken = tmp_path / "run"
    shutil.copytree(run_dir, broken)
    model = keras.saving.load_model(broken / "best.keras")
    model.trainable_weights[0].assign(np.full(model.trainable_weights[0].shape, np.nan, np.float32))
    model.save(broken / "best.keras")
    with pytest.raises(ValueError, match=r"best.keras: weight .* holds NaN or infinite values .*refusing to export"):
        export_run(broken, tmp_path / "models" / "gaits", tflite_models=False)
    assert not (tmp_path / "models" / "gaits").exists() or not any((tmp_path / "models" / "gaits").iterdir())
