"""Temporal (de)convolution: shared layer checks, hand answers and NumPy definitions."""

import numpy as np
import pytest

from step_tf.layers import TemporalConvolution, TemporalDeconvolution
from tests.helpers import run_layer_test


@pytest.mark.parametrize(
    "layer_class, kernel_size, stride, frames, expected_frames",
    [
        (TemporalConvolution, 5, 1, 12, 12),
        (TemporalConvolution, 5, 2, 13, 7),
        (TemporalDeconvolution, 5, 2, 6, 12),
        (TemporalDeconvolution, 3, 3, 5, 15),  # kernel shorter than padding + stride: zero-padded end
    ],
)
def test_shared_layer_checks(layer_class, kernel_size, stride, frames, expected_frames):
    run_layer_test(
        layer_class,
        {"filters": 4, "kernel_size": kernel_size, "stride": stride},
        input_shape=(2, frames, 16, 3),
        expected_output_shape=(2, expected_frames, 16, 4),
    )


def set_weights(layer, kernel, bias):
    """kernel (K, C_in, C_out) of a convolution; for a deconvolution (K, C_out, C_in), Keras's order."""
    convolution = layer.convolution if isinstance(layer, TemporalConvolution) else layer.transposed_convolution
    convolution.kernel.assign(kernel[:, None])
    (layer.convolution.bias if isinstance(layer, TemporalConvolution) else layer.bias).assign(bias)


def single_channel(layer_class, taps, stride, sequence):
    """Runs a 1-channel, 1-joint layer with kernel ``taps`` and zero bias on ``sequence``."""
    layer = layer_class(1, len(taps), stride)
    x = np.asarray(sequence, np.float32).reshape(1, -1, 1, 1)
    layer.build(x.shape)
    set_weights(layer, np.asarray(taps, np.float32).reshape(-1, 1, 1), np.zeros(1, np.float32))
    return np.asarray(layer(x)).ravel()


def test_convolution_hand_answer_pads_symmetrically():
    # Padded [0, 1, 2, 3, 4, 0], windows at 0 and 2: 0+1+2 and 2+3+4. (Keras "same"
    # would pad only at the end and give [6, 7].)
    np.testing.assert_allclose(single_channel(TemporalConvolution, [1, 1, 1], 2, [1, 2, 3, 4]), [3, 9])


def test_deconvolution_hand_answer():
    # Scatter: frame 0 adds [1, 2, 3] at 0..2, frame 1 adds [10, 20, 30] at 2..4, giving
    # [1, 2, 13, 20, 30]; cropping p = 1 frame at the start leaves T * s = 4 frames.
    np.testing.assert_allclose(single_channel(TemporalDeconvolution, [1, 2, 3], 2, [1, 10]), [2, 13, 20, 30])


def numpy_convolution(x, kernel, bias, stride):
    """PyTorch Conv2d((K, 1), stride (s, 1), padding ((K - 1) // 2, 0)) on (N, T, V, C)."""
    size = kernel.shape[0]
    padding = (size - 1) // 2
    padded = np.pad(x, ((0, 0), (padding, padding), (0, 0), (0, 0)))
    frames_out = (x.shape[1] + 2 * padding - size) // stride + 1
    out = np.zeros((x.shape[0], frames_out, x.shape[2], kernel.shape[2]))
    for i in range(frames_out):
        for j in range(size):
            out[:, i] += padded[:, i * stride + j] @ kernel[j]
    return out + bias


def numpy_deconvolution(x, kernel, bias, stride):
    """Transposed convolution by scatter-add; kernel (K, C_out, C_in); crop (K - 1) // 2, keep T * s."""
    size = kernel.shape[0]
    padding = (size - 1) // 2
    frames = x.shape[1]
    full = np.zeros((x.shape[0], (frames - 1) * stride + size + stride + size, x.shape[2], kernel.shape[1]))
    for t in range(frames):
        for j in range(size):
            full[:, t * stride + j] += x[:, t] @ kernel[j].T
    return full[:, padding:padding + frames * stride] + bias


@pytest.mark.parametrize("frames", [11, 12])
@pytest.mark.parametrize("stride", [1, 2])
@pytest.mark.parametrize("kernel_size", [5, 4])
def test_convolution_matches_numpy(frames, stride, kernel_size):
    rng = np.random.default_rng(frames * 10 + stride)
    x = rng.standard_normal((2, frames, 3, 2)).astype(np.float32)
    kernel = rng.standard_normal((kernel_size, 2, 3)).astype(np.float32)
    bias = rng.standard_normal(3).astype(np.float32)
    layer = TemporalConvolution(3, kernel_size, stride)
    layer.build(x.shape)
    set_weights(layer, kernel, bias)
    expected = numpy_convolution(x.astype(np.float64), kernel, bias, stride)
    assert expected.shape[1] == (frames + 2 * ((kernel_size - 1) // 2) - kernel_size) // stride + 1
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("frames", [5, 6])
@pytest.mark.parametrize("kernel_size, stride", [(5, 1), (4, 1), (2, 1), (1, 1), (5, 2), (4, 2), (1, 2), (3, 3)])
def test_deconvolution_matches_numpy(frames, kernel_size, stride):
    rng = np.random.default_rng(frames * 100 + kernel_size * 10 + stride)
    x = rng.standard_normal((2, frames, 3, 2)).astype(np.float32)
    kernel = rng.standard_normal((kernel_size, 3, 2)).astype(np.float32)
    bias = rng.standard_normal(3).astype(np.float32)
    layer = TemporalDeconvolution(3, kernel_size, stride)
    layer.build(x.shape)
    set_weights(layer, kernel, bias)
    expected = numpy_deconvolution(x.astype(np.float64), kernel, bias, stride)
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-5, atol=1e-5)


def test_deconvolution_is_adjoint_of_convolution():
    # With zero bias and one shared kernel, <conv(x), y> = <x, deconv(y)> for any x (T s frames), y (T frames).
    rng = np.random.default_rng(11)
    kernel = rng.standard_normal((5, 2, 3)).astype(np.float32)
    x = rng.standard_normal((1, 12, 4, 2)).astype(np.float32)
    y = rng.standard_normal((1, 6, 4, 3)).astype(np.float32)
    convolution, deconvolution = TemporalConvolution(3, 5, 2), TemporalDeconvolution(2, 5, 2)
    convolution.build(x.shape)
    deconvolution.build(y.shape)
    set_weights(convolution, kernel, np.zeros(3, np.float32))
    set_weights(deconvolution, kernel, np.zeros(2, np.float32))
    forward = np.sum(np.asarray(convolution(x), np.float64) * y)
    backward = np.sum(x * np.asarray(deconvolution(y), np.float64))
    np.testing.assert_allclose(forward, backward, rtol=1e-5)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="kernel_size"):
        TemporalConvolution(4, 0)
    with pytest.raises(ValueError, match="stride"):
        TemporalDeconvolution(4, 3, stride=1.5)
