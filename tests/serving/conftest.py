"""One tiny trained run and one export of it, shared by every serving test (trained once per session)."""

import json

import keras
import numpy as np
import pytest

from step_tf.config import TrainConfig, resolve
from step_tf.data.datasets import grouped_stratified_split
from step_tf.data.sources import load_gaits

MODEL_NAME = "gaits"


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory):
    from step_tf.training.loop import train

    directory = tmp_path_factory.mktemp("serving") / "run"
    config = resolve(data="embedded:160", epochs=1, batch_size=16, channels=(8, 8), strides=(1, 2), temporal_kernel_size=3)
    train(config, directory, verbose=0)
    return directory


@pytest.fixture(scope="session")
def exported(run_dir, tmp_path_factory):
    """``(model base path, metadata)`` of the run exported as version 1, TFLite files included."""
    from step_tf.serving.exporting import export_run

    base_path = tmp_path_factory.mktemp("saved_models") / MODEL_NAME
    metadata = export_run(run_dir, base_path)
    return base_path, metadata


@pytest.fixture(scope="session")
def version_dir(exported):
    base_path, metadata = exported
    return base_path / str(metadata["version"])


@pytest.fixture(scope="session")
def test_split(run_dir):
    """The run's test gaits ``(N, 75, 16, 3)``, found again from its data spec and ``split.json``."""
    config = TrainConfig.load(run_dir / "config.json")
    gaits = load_gaits(config.data, config.label_names)
    split = grouped_stratified_split(gaits.labels, gaits.groups, config.split_fractions, config.seed, gaits.num_classes)
    test = split.apply(gaits)["test"]
    assert test.keys.tolist() == json.loads((run_dir / "split.json").read_text())["test"]
    return test


@pytest.fixture(scope="session")
def keras_probabilities(run_dir, test_split):
    """Softmax of the Keras model's logits, computed in NumPy (independent of the exported graph's softmax)."""
    logits = keras.saving.load_model(run_dir / "best.keras").predict(test_split.joints, verbose=0).astype(np.float64)
    shifted = np.exp(logits - logits.max(axis=1, keepdims=True))
    return shifted / shifted.sum(axis=1, keepdims=True)
