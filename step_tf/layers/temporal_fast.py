"""A faster, exact evaluation of the long temporal convolution: the discrete Fourier transform as matrix products.

``TemporalConvolution`` computes, for every gait ``n``, joint ``v`` and output
frame ``i`` (``p = (K - 1) // 2``, stride ``s``, ``T`` input frames),

    y[i] = b + sum_t x[t] w[t - i s + p]      over t in [0, T) with 0 <= t - i s + p < K,

where ``x[t]`` is a ``C``-vector and ``w[j]`` a ``C x F`` matrix. Done as a
padded convolution this costs ``T_out K C F`` multiply-adds per gait and joint,
and with ``K = 75`` on 75 or 38 frames a quarter to a half of them multiply the
zero padding. The same numbers follow from a cyclic correlation of length

    L = max(T + p, T + K - 1 - p)

(long enough that no term wraps around onto a kernel tap): with the discrete
Fourier transforms ``X[k] = sum_t x[t] e^{-2 pi i k t / L}`` and
``H[k] = sum_j w[j] e^{2 pi i k (j - p) / L}`` for ``k = 0 .. L // 2``,

    z[k] = X[k] H[k]                                  (complex, C -> F per frequency)
    y[i] = b + sum_k a_k Re(z[k] e^{2 pi i k i s / L})  a_0 = 1/L, a_k = 2/L, a_{L/2} = 1/L (L even)

Every step is a real matrix product with constant cosine and sine matrices
(no FFT op, so XLA and TFLite take it as it is), costing per gait and joint

    2 (L//2 + 1) T C  +  4 (L//2 + 1) C F  +  2 (L//2 + 1) T_out F

multiply-adds, about a seventh of the padded convolution's for ``K = 75`` (the
kernel's transform ``H`` is per batch, not per gait). The result is the
convolution's up to float32 rounding (about 1e-6 relative). It needs ``T``
known when the graph is traced; ``TemporalConvolution`` falls back to the
padded convolution when it is not, and when the transform would not save at
least half the work (short kernels such as 9).
"""

from __future__ import annotations

import dataclasses
import functools

import numpy as np
from keras import ops

# The transform path is taken only when it needs at most this share of the padded convolution's work.
MAX_WORK_RATIO = 0.5


def output_frames(frames: int, kernel_size: int, stride: int) -> int:
    """``T_out`` of a symmetric-padding convolution: ``floor((T + 2p - K) / s) + 1``."""
    padding = (kernel_size - 1) // 2
    return (frames + 2 * padding - kernel_size) // stride + 1


def transform_length(frames: int, kernel_size: int) -> int:
    """``L``, the shortest cyclic length on which no product wraps onto a kernel tap."""
    padding = (kernel_size - 1) // 2
    return max(frames + padding, frames + kernel_size - 1 - padding)


def direct_multiply_adds(frames, kernel_size, stride, in_channels, out_channels, useful_only=False):
    """Multiply-adds per gait and joint of the padded convolution; ``useful_only`` counts taps on real frames."""
    padding = (kernel_size - 1) // 2
    frames_out = output_frames(frames, kernel_size, stride)
    if not useful_only:
        return frames_out * kernel_size * in_channels * out_channels
    starts = np.arange(frames_out) * stride - padding  # input frame under tap 0
    taps = np.minimum(starts + kernel_size, frames) - np.maximum(starts, 0)
    return int(np.clip(taps, 0, None).sum()) * in_channels * out_channels


def spectral_multiply_adds(frames, kernel_size, stride, in_channels, out_channels):
    """Multiply-adds per gait and joint of ``spectral_temporal_convolution`` (the module docstring's sum)."""
    frequencies = transform_length(frames, kernel_size) // 2 + 1
    frames_out = output_frames(frames, kernel_size, stride)
    return 2 * frequencies * (frames * in_channels + 2 * in_channels * out_channels + frames_out * out_channels)


def spectral_is_faster(frames, kernel_size, stride, in_channels, out_channels) -> bool:
    """Whether the transform needs at most ``MAX_WORK_RATIO`` of the padded convolution's work."""
    if frames is None:
        return False
    direct = direct_multiply_adds(frames, kernel_size, stride, in_channels, out_channels)
    return spectral_multiply_adds(frames, kernel_size, stride, in_channels, out_channels) <= MAX_WORK_RATIO * direct


@dataclasses.dataclass(frozen=True)
class SpectralPlan:
    """The constant matrices of one (frames, kernel_size, stride), float32.

    ``forward`` (2F', T): rows ``[cos; -sin](2 pi k t / L)``, the real and
    imaginary parts of ``X``; ``kernel`` (2F', K): ``[cos; sin](2 pi k (j - p) / L)``
    giving ``H``; ``inverse_real``, ``inverse_imaginary`` (T_out, F'): ``a_k cos``
    and ``-a_k sin`` of ``2 pi k i s / L``. ``F' = L // 2 + 1`` frequencies.
    """

    frequencies: int
    frames_out: int
    forward: np.ndarray
    kernel: np.ndarray
    inverse_real: np.ndarray
    inverse_imaginary: np.ndarray


@functools.lru_cache(maxsize=64)
def spectral_plan(frames: int, kernel_size: int, stride: int) -> SpectralPlan:
    """The matrices of the module docstring, computed in float64 and stored as float32."""
    padding = (kernel_size - 1) // 2
    length = transform_length(frames, kernel_size)
    frequencies = length // 2 + 1
    frames_out = output_frames(frames, kernel_size, stride)
    k = np.arange(frequencies)[:, None]
    to_frequency = 2 * np.pi * k * np.arange(frames)[None, :] / length
    of_kernel = 2 * np.pi * k * (np.arange(kernel_size) - padding)[None, :] / length
    # Real signals: the conjugate half of the spectrum is folded into weights 2/L.
    weights = np.full(frequencies, 2.0 / length)
    weights[0] = 1.0 / length
    if length % 2 == 0:
        weights[-1] = 1.0 / length
    to_frame = 2 * np.pi * (np.arange(frames_out) * stride)[:, None] * k.T / length
    return SpectralPlan(
        frequencies=frequencies,
        frames_out=frames_out,
        forward=np.concatenate([np.cos(to_frequency), -np.sin(to_frequency)]).astype(np.float32),
        kernel=np.concatenate([np.cos(of_kernel), np.sin(of_kernel)]).astype(np.float32),
        inverse_real=(weights * np.cos(to_frame)).astype(np.float32),
        inverse_imaginary=(-weights * np.sin(to_frame)).astype(np.float32),
    )


def spectral_temporal_convolution(inputs, kernel, bias, stride):
    """``TemporalConvolution``'s output computed through the transform; exact up to float32 rounding.

    Args:
        inputs: ``(N, T, V, C)`` with ``T``, ``V`` and ``C`` known statically.
        kernel: ``(K, C, F)`` or Keras Conv2D's ``(K, 1, C, F)``.
        bias: ``(F,)`` or ``None``.
        stride: frame stride.

    Returns:
        ``(N, T_out, V, F)``.
    """
    _, frames, joints, in_channels = inputs.shape
    kernel_size, out_channels = kernel.shape[0], kernel.shape[-1]
    plan = spectral_plan(int(frames), int(kernel_size), int(stride))
    count = plan.frequencies
    dtype = inputs.dtype
    # Explicit sizes, not -1: TFLite cannot infer a reshape's -1 next to a dynamic batch.
    rows = ops.shape(inputs)[0] * joints
    # Frames first, so every transform is one matrix product over all gaits, joints and channels.
    by_frame = ops.reshape(ops.transpose(inputs, (1, 0, 2, 3)), (frames, rows * in_channels))
    spectrum = ops.reshape(ops.matmul(ops.cast(plan.forward, dtype), by_frame), (2, count, rows, in_channels))
    response = ops.matmul(ops.cast(plan.kernel, dtype), ops.reshape(ops.cast(kernel, dtype), (kernel_size, -1)))
    response = ops.reshape(response, (2, count, in_channels, out_channels))
    real, imaginary = spectrum[0], spectrum[1]
    # (F', N V, C) x (F', C, F): the complex product, frequency by frequency.
    product_real = ops.matmul(real, response[0]) - ops.matmul(imaginary, response[1])
    product_imaginary = ops.matmul(real, response[1]) + ops.matmul(imaginary, response[0])
    outputs = ops.matmul(ops.cast(plan.inverse_real, dtype), ops.reshape(product_real, (count, rows * out_channels))) + ops.matmul(
        ops.cast(plan.inverse_imaginary, dtype), ops.reshape(product_imaginary, (count, rows * out_channels))
    )
    outputs = ops.transpose(ops.reshape(outputs, (plan.frames_out, ops.shape(inputs)[0], joints, out_channels)), (1, 0, 2, 3))
    return outputs if bias is None else outputs + ops.cast(bias, dtype)
