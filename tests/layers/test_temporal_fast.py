"""The transform evaluation of the temporal convolution: outputs and gradients equal the padded convolution's."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from step_tf.layers import TemporalConvolution, TemporalDeconvolution
from step_tf.layers.temporal_fast import (
    direct_multiply_adds,
    spectral_is_faster,
    spectral_multiply_adds,
    spectral_temporal_convolution,
    transform_length,
)
from step_tf.models.classifiers import BaselineSTEP
from tests.helpers import run_layer_test
from tests.layers.test_temporal import numpy_convolution, numpy_deconvolution


def padded_convolution(x, kernel, bias, stride):
    """The plain TensorFlow path: symmetric zero padding, then a (K x 1) convolution."""
    padding = (kernel.shape[0] - 1) // 2
    padded = tf.pad(x, [[0, 0], [padding, padding], [0, 0], [0, 0]])
    return tf.nn.conv2d(padded, kernel[:, None], [1, stride, 1, 1], "VALID") + bias


def random_case(frames, kernel_size, stride, in_channels, out_channels, seed):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((2, frames, 3, in_channels)).astype(np.float32)
    # Scaled so that outputs are of order one, as after the blocks' BatchNorm.
    kernel = (rng.standard_normal((kernel_size, in_channels, out_channels)) / np.sqrt(kernel_size * in_channels)).astype(np.float32)
    bias = rng.standard_normal(out_channels).astype(np.float32)
    return x, kernel, bias


@pytest.mark.parametrize(
    "frames, kernel_size, stride",
    [(75, 75, 1), (75, 75, 2), (38, 75, 1), (38, 75, 2), (19, 75, 1), (12, 5, 2), (11, 4, 2), (10, 4, 1), (7, 9, 3), (1, 75, 1)],
)
def test_outputs_equal_the_numpy_convolution(frames, kernel_size, stride):
    x, kernel, bias = random_case(frames, kernel_size, stride, 4, 5, seed=frames + kernel_size + stride)
    expected = numpy_convolution(x.astype(np.float64), kernel.astype(np.float64), bias, stride)
    actual = np.asarray(spectral_temporal_convolution(x, kernel, bias, stride))
    np.testing.assert_allclose(actual, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("frames, stride", [(75, 1), (75, 2), (38, 2)])
def test_gradients_equal_the_padded_convolution(frames, stride):
    x, kernel, bias = (tf.constant(array) for array in random_case(frames, 75, stride, 6, 7, seed=frames * stride))
    upstream = tf.random.stateless_normal((2, (frames - 1) // stride + 1, 3, 7), seed=(1, 2))

    def gradients(function):
        with tf.GradientTape() as tape:
            tape.watch([x, kernel, bias])
            loss = tf.reduce_sum(function(x, kernel, bias, stride) * upstream)
        return tape.gradient(loss, [x, kernel, bias])

    for fast, plain in zip(gradients(spectral_temporal_convolution), gradients(padded_convolution)):
        np.testing.assert_allclose(fast.numpy(), plain.numpy(), rtol=1e-5, atol=1e-5 * np.abs(plain.numpy()).max())


def test_useful_taps_hand_count():
    # T = 4, K = 3, s = 2: padded [0, x0, x1, x2, x3, 0]; window 0 covers (0, x0, x1): 2 real taps,
    # window 1 covers (x1, x2, x3): 3 real taps. One channel in and out.
    assert direct_multiply_adds(4, 3, 2, 1, 1) == 6
    assert direct_multiply_adds(4, 3, 2, 1, 1, useful_only=True) == 5
    # K = T = 75, stride 1: 75 * 75 taps minus two triangles of 1 + ... + 37 padded ones.
    assert direct_multiply_adds(75, 75, 1, 1, 1, useful_only=True) == 75 * 75 - 2 * (37 * 38 // 2)
    # 38 frames, K = 75, stride 1: every window covers all 38 frames.
    assert direct_multiply_adds(38, 75, 1, 1, 1, useful_only=True) == 38 * 38


def test_transform_work_and_choice():
    # L = T + p = 75 + 37 = 112, 57 frequencies: 2 * 57 * (75 * 32 + 2 * 32 * 32 + 75 * 32).
    assert transform_length(75, 75) == 112
    assert spectral_multiply_adds(75, 75, 1, 32, 32) == 2 * 57 * (75 * 32 + 2 * 32 * 32 + 75 * 32)
    assert spectral_is_faster(75, 75, 1, 32, 32)
    assert spectral_is_faster(38, 75, 2, 64, 64)
    assert not spectral_is_faster(75, 9, 1, 32, 32)  # ST-GCN's kernel: the padded convolution stays
    assert not spectral_is_faster(None, 75, 1, 32, 32)  # frames unknown when traced


def test_layer_takes_the_transform_and_matches_the_direct_path():
    x, kernel, bias = random_case(38, 75, 2, 4, 5, seed=3)
    fast, plain = TemporalConvolution(5, 75, 2), TemporalConvolution(5, 75, 2, implementation="direct")
    for layer in (fast, plain):
        layer.build(x.shape)
        layer.convolution.kernel.assign(kernel[:, None])
        layer.convolution.bias.assign(bias)
    np.testing.assert_allclose(np.asarray(fast(x)), np.asarray(plain(x)), rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(np.asarray(fast(x)), numpy_convolution(x.astype(np.float64), kernel, bias, 2), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("kernel_size", [75, 9])  # the transform path, and the flipped-kernel convolution
def test_deconvolution_at_stride_one_matches_the_transposed_convolution(kernel_size):
    rng = np.random.default_rng(kernel_size)
    x = rng.standard_normal((2, 75, 3, 4)).astype(np.float32)
    kernel = rng.standard_normal((kernel_size, 5, 4)).astype(np.float32)  # Keras's (K, C_out, C_in)
    bias = rng.standard_normal(5).astype(np.float32)
    fast, plain = TemporalDeconvolution(5, kernel_size), TemporalDeconvolution(5, kernel_size, implementation="direct")
    for layer in (fast, plain):
        layer.build(x.shape)
        layer.transposed_convolution.kernel.assign(kernel[:, None])
        layer.bias.assign(bias)
    np.testing.assert_allclose(np.asarray(fast(x)), np.asarray(plain(x)), rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(np.asarray(fast(x)), numpy_deconvolution(x.astype(np.float64), kernel, bias, 1), rtol=1e-4, atol=1e-4)


def test_layer_checks_with_a_long_kernel():
    # Shapes, config, .keras round trip, a training step and TFLite, all on the transform path.
    run_layer_test(TemporalConvolution, {"filters": 4, "kernel_size": 75, "stride": 2}, (2, 38, 16, 3), (2, 19, 16, 4))


def test_tflite_with_a_dynamic_batch(tmp_path):
    # The serving signatures leave the batch dynamic; LiteRT must take any batch.
    from ai_edge_litert.interpreter import Interpreter

    inputs = keras.Input(shape=(38, 16, 3))
    model = keras.Model(inputs, TemporalConvolution(4, 75, 2)(inputs))
    x = np.random.default_rng(5).standard_normal((3, 38, 16, 3)).astype(np.float32)
    model.export(str(tmp_path / "saved_model"), input_signature=[tf.TensorSpec((None, 38, 16, 3), tf.float32, name="joints")], verbose=False)
    flatbuffer = tf.lite.TFLiteConverter.from_saved_model(str(tmp_path / "saved_model")).convert()
    runner = Interpreter(model_content=flatbuffer).get_signature_runner("serving_default")
    np.testing.assert_allclose(runner(joints=x)["output_0"], np.asarray(model(x)), rtol=1e-5, atol=1e-5)


def test_bad_implementation_raises():
    with pytest.raises(ValueError, match="implementation"):
        TemporalConvolution(4, 75, implementation="fft")


def test_classifier_outputs_equal_the_direct_path():
    keras.utils.set_random_seed(0)
    model = BaselineSTEP(temporal_kernel_size=75, strides=(1, 2, 1), motion_input=False)  # the backbone takes positions
    joints = np.random.default_rng(0).standard_normal((3, 75, 16, 3)).astype(np.float32)
    # The backbone's features (of order one) and the logits (of order 1e-3 at initialisation).
    fast = [np.asarray(model.backbone(joints, training=False)), np.asarray(model(joints, training=False))]
    temporal_layers = [layer for layer in model._flatten_layers() if isinstance(layer, TemporalConvolution)]
    assert len(temporal_layers) >= 3
    for layer in temporal_layers:
        layer.implementation = "direct"
    plain = [np.asarray(model.backbone(joints, training=False)), np.asarray(model(joints, training=False))]
    for fast_output, plain_output in zip(fast, plain):
        np.testing.assert_allclose(fast_output, plain_output, rtol=1e-5, atol=1e-5 * np.abs(plain_output).max())
