"""Guided backpropagation against gradients worked out by hand, and its figure."""

import io

import keras
import numpy as np
import tensorflow as tf
from PIL import Image

from step_tf.evaluation.guided_backpropagation import guided_backpropagation
from step_tf.evaluation.plots import SALIENCY_FIGURE_SIZE, saliency_png
from step_tf.graph import STEP16
from step_tf.models.classifiers import BaselineSTEP


def _dense_network(weights):
    """joints (N, 2, 1, 3) -> flatten (6) -> [Dense ReLU]* -> Dense logits, with given weights, no biases."""
    joints = keras.Input((2, 1, 3))
    x = keras.layers.Flatten()(joints)
    for kernel in weights[:-1]:
        x = keras.layers.Dense(kernel.shape[1], activation="relu", use_bias=False)(x)
    logits = keras.layers.Dense(weights[-1].shape[1], use_bias=False)(x)
    model = keras.Model(joints, logits)
    model.set_weights(weights)
    return model


def test_one_hidden_layer_by_hand():
    x = np.array([1.0, 2.0, 0.0, 0.0, 0.0, 0.0], dtype=np.float32)
    # Three hidden units: a = x0 + x1 = 3 (active), b = x1 = 2 (active), c = -x0 = -1 (inactive).
    first = np.zeros((6, 3), np.float32)
    first[0, 0] = first[1, 0] = 1.0
    first[1, 1] = 1.0
    first[0, 2] = -1.0
    # Class 0 score = 2 a - 3 b + 5 c.
    second = np.array([[2.0, 0.0], [-3.0, 0.0], [5.0, 0.0]], np.float32)
    model = _dense_network([first, second])
    saliency, classes = guided_backpropagation(model, x.reshape(1, 2, 1, 3), class_indices=0)
    # Plain gradient: 2 * d a/dx - 3 * d b/dx = (2, 2 - 3, 0...) = (2, -1, 0, ...); c is inactive.
    # Guided: b's upstream gradient -3 is negative and stops; c is inactive: only 2 * (1, 1, 0, ...).
    np.testing.assert_allclose(saliency.reshape(-1), [2.0, 2.0, 0, 0, 0, 0])
    assert classes.tolist() == [0]


def _guided_by_numpy(weights, x, class_index):
    """The guided rule written out layer by layer in NumPy (no TensorFlow)."""
    pre_activations = []
    h = x
    for kernel in weights[:-1]:
        pre = h @ kernel
        pre_activations.append(pre)
        h = np.maximum(pre, 0)
    gradient = np.broadcast_to(weights[-1][:, class_index], h.shape).copy()
    for kernel, pre in zip(reversed(weights[:-1]), reversed(pre_activations)):
        gradient = gradient * (pre > 0) * (gradient > 0)
        gradient = gradient @ kernel.T
    return gradient


def test_two_hidden_layers_against_the_rule_in_numpy():
    rng = np.random.default_rng(3)
    weights = [rng.standard_normal(shape).astype(np.float32) for shape in ((6, 8), (8, 5), (5, 3))]
    model = _dense_network(weights)
    x = rng.standard_normal((4, 6)).astype(np.float32)
    saliency, classes = guided_backpropagation(model, x.reshape(4, 2, 1, 3), class_indices=[2, 0, 1, 2])
    expected = np.stack([_guided_by_numpy(weights, x[i : i + 1], c)[0] for i, c in enumerate([2, 0, 1, 2])])
    np.testing.assert_allclose(saliency.reshape(4, 6), expected, rtol=1e-5, atol=1e-6)
    # Without a class, each gait's predicted class is explained.
    _, predicted = guided_backpropagation(model, x.reshape(4, 2, 1, 3))
    np.testing.assert_array_equal(predicted, np.argmax(model(x.reshape(4, 2, 1, 3)).numpy(), axis=1))


def test_guided_rule_reaches_the_relus_inside_st_gcn_blocks_and_leaves_the_model_alone():
    # Seeded, and 8 channels: with 4 an initialisation can leave no positive ReLU path to class 1 at all
    # (guided backpropagation then rightly gives zeros; it did with the default dropout's draws).
    keras.utils.set_random_seed(0)
    model = BaselineSTEP(channels=(8, 8), strides=(1, 1), temporal_kernel_size=3)
    joints = np.random.default_rng(0).normal(0, 0.3, (2, 16, 16, 3)).astype(np.float32)
    saliency, _ = guided_backpropagation(model, joints, class_indices=1)
    assert saliency.shape == joints.shape and np.isfinite(saliency).all() and np.abs(saliency).max() > 0
    tensor = tf.constant(joints)
    with tf.GradientTape() as tape:
        tape.watch(tensor)
        score = tf.reduce_sum(model(tensor, training=False)[:, 1])
    plain = tape.gradient(score, tensor).numpy()
    assert not np.allclose(saliency, plain)  # the rule changed something...
    again = guided_backpropagation(model, joints, class_indices=1)[0]
    np.testing.assert_array_equal(again, saliency)  # ...and the model's own gradient path is unchanged


def test_saliency_png_is_a_real_image_of_the_expected_size(tmp_path):
    saliency = np.zeros((75, 16, 3), np.float32)
    saliency[30:40, STEP16.joint_index("hand_left"), 0] = 1.0  # a bright patch: left hand, x axis, 1.0-1.3 s
    png = saliency_png(saliency, STEP16.joint_names, title="test")
    (tmp_path / "saliency.png").write_bytes(png)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    assert image.size == (int(SALIENCY_FIGURE_SIZE[0] * 100), int(SALIENCY_FIGURE_SIZE[1] * 100))
    assert len(set(np.asarray(image.convert("L")).reshape(-1).tolist())) > 20  # drawn, not blank
