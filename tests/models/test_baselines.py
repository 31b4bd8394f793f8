"""The Table 1 baselines through the shared model checks, their architecture and loss by hand."""

import json

import numpy as np
import pytest
import scipy.optimize
import scipy.special

from step_tf.config import resolve
from step_tf.data.sources import load_gaits
from step_tf.features import AffectiveFeatures
from step_tf.models.baselines import STGCN, AffectiveSVM, LSTMClassifier, sparse_multiclass_hinge
from step_tf.training.loop import build_model
from tests.helpers import run_model_test
from tests.models.test_classifiers import _gaits, _hand_count_baseline_step

COMPILE = dict(optimizer="adam", loss="sparse_categorical_crossentropy")
TARGETS = np.array([0, 1, 2, 3])


# That every model name has a class is checked on import (step_tf.models.baselines); that each builds and
# compiles through the one protocol, in tests/models/test_task_protocol.py.


def test_original_stgcn_architecture_and_parameter_count():
    model = STGCN()
    backbone = model.get_layer("backbone")
    assert backbone.channels == (64, 64, 64, 64, 128, 128, 128, 256, 256, 256)
    assert [i + 1 for i, s in enumerate(backbone.strides) if s == 2] == [5, 8]
    assert backbone.temporal_kernel_size == 9 and backbone.dropout_rate == 0.5
    # The hand count of Baseline-STEP's layers, less its 1x1 convolution after pooling.
    expected = _hand_count_baseline_step(kernel=9, channels=backbone.channels, strides=backbone.strides) - (256 * 256 + 256)
    assert model.count_params() == expected
    assert 2.9e6 < expected < 3.2e6  # ST-GCN's well-known size, ~3.1 M
    # 75 frames -> 38 -> 19 after the two stride-2 blocks.
    assert model.get_layer("backbone").compute_output_shape((None, 75, 16, 3)) == (None, 19, 16, 256)


def test_the_stgcn_recipe_builds_the_original_network():
    config = resolve("stgcn")
    assert config.model == "stgcn"
    model = build_model(config, num_classes=4)
    assert model.count_params() == STGCN().count_params()


def test_stgcn_checks():
    model = STGCN(channels=(8, 8, 16), strides=(1, 2, 1), temporal_kernel_size=3, dropout_rate=0.5)
    run_model_test(model, _gaits(), (4, 4), targets=TARGETS, compile_kwargs=COMPILE)


def test_lstm_checks_with_adapted_feature_scaling():
    model = LSTMClassifier(units=8, num_layers=2)
    gaits = _gaits()
    model.adapt_feature_scaling(gaits)
    run_model_test(model, gaits, (4, 4), targets=TARGETS, compile_kwargs=COMPILE, tflite_atol=1e-3)


def test_lstm_recurs_over_frames_and_sees_the_affective_features():
    model = LSTMClassifier(units=8, num_layers=1)
    assert model.get_layer("lstm_1").input.shape[1:] == (None, 48)
    assert model.get_layer("hybrid_features").output.shape[-1] == 8 + 29


def test_affective_svm_checks():
    model = AffectiveSVM()
    gaits = _gaits()
    model.adapt_feature_scaling(gaits)
    run_model_test(model, gaits, (4, 4), targets=TARGETS, compile_kwargs=dict(optimizer="adam", loss=sparse_multiclass_hinge))
    # Only the linear decision functions are learned: 29 x 4 weights and 4 biases.
    assert sum(int(np.prod(v.shape)) for v in model.trainable_weights) == 29 * 4 + 4


def test_multiclass_hinge_by_hand():
    scores = np.array([[2.0, 1.0, 0.5], [2.0, 1.0, 0.5], [2.0, 1.0, 0.5], [0.0, 0.0, 3.0]], dtype=np.float32)
    labels = np.array([0, 1, 2, 2])
    # max(0, 1 + best wrong score - true score): 1+1-2, 1+2-1, 1+2-0.5, 1+0-3.
    np.testing.assert_allclose(np.asarray(sparse_multiclass_hinge(labels, scores)), [0.0, 2.0, 2.5, 0.0])


def test_the_svm_is_compiled_with_the_hinge_loss():
    model = build_model(resolve(model="affective_svm"), num_classes=4)
    assert model.loss is sparse_multiclass_hinge


@pytest.mark.slow
def test_the_svm_recipe_fits_as_well_as_an_independent_linear_classifier(tmp_path):
    """On the default split, the SVM trained by the loop with its recipe scores like a logistic regression fitted by L-BFGS."""
    from step_tf.training.loop import train

    config = resolve("affective_svm")
    metrics = train(config, tmp_path / "run", verbose=0)
    gaits = load_gaits(config.data)
    position = {key: index for index, key in enumerate(gaits.keys.tolist())}
    split = json.loads((tmp_path / "run" / "split.json").read_text())
    features = {name: np.asarray(AffectiveFeatures()(gaits.joints[[position[key] for key in keys]])) for name, keys in split.items()}
    labels = {name: gaits.labels[[position[key] for key in keys]] for name, keys in split.items()}
    mean, deviation = features["train"].mean(axis=0), features["train"].std(axis=0)

    def design(name):  # standardised features and a constant column
        return np.hstack([(features[name] - mean) / deviation, np.ones((len(features[name]), 1))])

    targets = np.eye(4)[labels["train"]]

    def loss_and_gradient(flat):  # mean cross-entropy with a small L2 on the weights
        weights = flat.reshape(30, 4)
        scores = design("train") @ weights
        log_partition = scipy.special.logsumexp(scores, axis=1)
        loss = np.mean(log_partition - (scores * targets).sum(axis=1)) + 1e-4 * np.sum(weights[:-1] ** 2)
        gradient = design("train").T @ (np.exp(scores - log_partition[:, None]) - targets) / len(scores)
        gradient[:-1] += 2e-4 * weights[:-1]
        return loss, gradient.ravel()

    weights = scipy.optimize.minimize(loss_and_gradient, np.zeros(120), jac=True, method="L-BFGS-B").x.reshape(30, 4)
    logistic_accuracy = np.mean(np.argmax(design("test") @ weights, axis=1) == labels["test"])
    assert logistic_accuracy > 0.6  # the linear separability the synthetic set has on purpose
    assert metrics["test"]["accuracy"] >= logistic_accuracy - 0.04


def test_a_saved_run_loads_in_a_fresh_process_after_importing_the_models_package(tmp_path):
    # A tool that imports only step_tf.models (export, serving) must rebuild any trained run: here
    # the SVM baseline compiled with the paper recipe's optimizer, as the training loop saves it.
    import subprocess
    import sys

    model = build_model(resolve("affective_svm", weight_decay_mode="coupled"), num_classes=4)
    path = tmp_path / "svm.keras"
    model.save(path)
    script = f"import keras, step_tf.models; print(type(keras.saving.load_model({str(path)!r})).__name__)"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == "AffectiveSVM"
