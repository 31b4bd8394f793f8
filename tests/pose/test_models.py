"""The shipped BlazePose model files: present, intact (checksums from the issue's measurements), licensed."""

import hashlib
import importlib.resources

import pytest

from step_tf.pose.blazepose import MODEL_FILES, model_path

# Sizes and sha256 prefixes measured on the mediapipe 0.10.21 wheels (issue 10), independent of MODEL_FILES.
EXPECTED = {
    "pose_detection.tflite": (2_959_046, "9ba9dd3d"),
    "pose_landmark_full.tflite": (6_440_512, "e9a5c5cb"),
}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_model_file_checksum(name):
    path = model_path(name)
    data = path.read_bytes()
    size, prefix = EXPECTED[name]
    assert len(data) == size
    digest = hashlib.sha256(data).hexdigest()
    assert digest.startswith(prefix)
    assert digest == MODEL_FILES[name]


def test_licence_ships_beside_the_models():
    folder = importlib.resources.files("step_tf.pose") / "models"
    assert "Apache License" in (folder / "LICENSE").read_text()
    assert "Version 2.0" in (folder / "LICENSE").read_text()
    readme = (folder / "README.md").read_text()
    assert all(digest in readme for digest in MODEL_FILES.values())


def test_unknown_model_name_is_refused():
    with pytest.raises(ValueError, match="unknown pose model 'pose_landmark_heavy.tflite'"):
        model_path("pose_landmark_heavy.tflite")
