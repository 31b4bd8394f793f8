"""Temporal convolutions over frames, with PyTorch's symmetric padding, channels last.

Both layers convolve every joint's channel sequence along the frame axis with
one kernel ``w`` of ``kernel_size`` taps (a ``kernel_size x 1`` convolution on
``(N, T, V, C)``), and use the padding ``p = (kernel_size - 1) // 2``.

``TemporalConvolution`` (stride ``s``) zero-pads ``p`` frames on *both* sides,
as PyTorch's ``Conv2d(padding=(p, 0))`` does, then slides the kernel:

    y[i] = b + sum_j w[j] x_padded[i * s + j],   i = 0 .. floor((T + 2p - K) / s)

so ``T_out = floor((T + 2p - K) / s) + 1`` (``ceil(T / s)`` for odd K). Keras's
``padding="same"`` would pad asymmetrically for even lengths at stride 2.

``TemporalDeconvolution`` is the transposed convolution (upsampling by ``s``).
Every input frame scatters a scaled copy of the kernel:

    z[t * s + j] += w[j] x[t]        (the full result has (T - 1) s + K frames)

and the output keeps frames ``p .. p + T s - 1`` of ``z`` (zeros past its end)
plus the bias, so ``T_out = T * s``. This is PyTorch's
``ConvTranspose2d(padding=(p, 0), output_padding=(T s - ((T - 1) s + K - 2p), 0))``.
"""

from __future__ import annotations

import keras
from keras import ops

from step_tf.layers.graph_conv import kernel_initializer_or_default, positive_int
from step_tf.layers.temporal_fast import spectral_is_faster, spectral_temporal_convolution

# "auto": the exact transform evaluation (step_tf.layers.temporal_fast) where it saves work, else the padded convolution.
IMPLEMENTATIONS = ("auto", "direct")


class _TemporalBase(keras.layers.Layer):
    """Argument checks and config shared by the two temporal layers."""

    def __init__(self, filters, kernel_size, stride=1, kernel_initializer=None, implementation="auto", **kwargs):
        super().__init__(**kwargs)
        layer_name = type(self).__name__
        self.filters = positive_int(filters, "filters", layer_name)
        self.kernel_size = positive_int(kernel_size, "kernel_size", layer_name)
        self.stride = positive_int(stride, "stride", layer_name)
        self.kernel_initializer = kernel_initializer_or_default(kernel_initializer)
        if implementation not in IMPLEMENTATIONS:
            raise ValueError(f"{layer_name} implementation must be one of {', '.join(IMPLEMENTATIONS)}, got {implementation!r}")
        self.implementation = implementation
        self.padding = (self.kernel_size - 1) // 2

    def _takes_transform(self, inputs, stride) -> bool:
        """Whether ``"auto"`` evaluates this call through the exact transform (it saves at least half the work)."""
        return self.implementation == "auto" and spectral_is_faster(inputs.shape[1], self.kernel_size, stride, inputs.shape[-1], self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            kernel_size=self.kernel_size,
            stride=self.stride,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
            implementation=self.implementation,
        )
        return config


@keras.saving.register_keras_serializable(package="step_tf")
class TemporalConvolution(_TemporalBase):
    """Convolution over frames with symmetric zero padding ``(kernel_size - 1) // 2``.

    Shapes: ``(N, T, V, C_in) -> (N, T_out, V, filters)`` with
    ``T_out = floor((T + 2 p - kernel_size) / stride) + 1``.

    Args:
        filters: output channels.
        kernel_size: frames the kernel spans (public STEP code 75, ST-GCN 9).
        stride: frame stride.
        kernel_initializer: ``None`` is N(0, 0.02) as in the public STEP code.
        implementation: ``"auto"`` evaluates long kernels on frame counts known
            when traced through the discrete Fourier transform
            (``step_tf.layers.temporal_fast``: the same outputs up to float32
            rounding, several times fewer operations for ``kernel_size=75``);
            ``"direct"`` always pads and convolves. Weights are the same.
    """

    def __init__(self, filters, kernel_size, stride=1, kernel_initializer=None, implementation="auto", **kwargs):
        super().__init__(filters, kernel_size, stride, kernel_initializer, implementation, **kwargs)
        self.zero_padding = keras.layers.ZeroPadding2D(((self.padding, self.padding), (0, 0)), name="zero_padding")
        self.convolution = keras.layers.Conv2D(
            self.filters,
            (self.kernel_size, 1),
            strides=(self.stride, 1),
            padding="valid",
            kernel_initializer=self.kernel_initializer,
            name="convolution",
        )

    def build(self, input_shape):
        self.zero_padding.build(input_shape)
        self.convolution.build(self.zero_padding.compute_output_shape(input_shape))

    def call(self, inputs):
        if self._takes_transform(inputs, self.stride):
            return spectral_temporal_convolution(inputs, self.convolution.kernel, self.convolution.bias, self.stride)
        return self.convolution(self.zero_padding(inputs))

    def compute_output_shape(self, input_shape):
        batch, frames, joints, _ = input_shape
        if frames is not None:
            frames = (frames + 2 * self.padding - self.kernel_size) // self.stride + 1
        return (batch, frames, joints, self.filters)


@keras.saving.register_keras_serializable(package="step_tf")
class TemporalDeconvolution(_TemporalBase):
    """Transposed convolution over frames: upsamples ``T`` frames to ``T * stride``.

    Shapes: ``(N, T, V, C_in) -> (N, T * stride, V, filters)``. Of the full
    transposed convolution, the first ``p = (kernel_size - 1) // 2`` frames are
    cropped and the result is cut (or zero-padded, when the kernel is shorter
    than ``p + stride``) to ``T * stride`` frames; the bias is added last so
    that padded frames get it too, as in PyTorch.

    Args:
        filters: output channels.
        kernel_size: frames the kernel spans.
        stride: upsampling factor.
        kernel_initializer: ``None`` is N(0, 0.02) as in the public STEP code.
        implementation: ``"auto"`` evaluates stride 1 with an odd kernel as the
            convolution with the time-flipped kernel (through the transform
            evaluation where it saves work); ``"direct"`` always runs the
            transposed convolution. Weights are the same.
    """

    def __init__(self, filters, kernel_size, stride=1, kernel_initializer=None, implementation="auto", **kwargs):
        super().__init__(filters, kernel_size, stride, kernel_initializer, implementation, **kwargs)
        self.transposed_convolution = keras.layers.Conv2DTranspose(
            self.filters,
            (self.kernel_size, 1),
            strides=(self.stride, 1),
            padding="valid",
            use_bias=False,
            kernel_initializer=self.kernel_initializer,
            name="transposed_convolution",
        )
        # Keras's "valid" result has T s + max(K - s, 0) frames; after
        # cropping p at the start, this many frames lie beyond T s at the end.
        surplus = max(self.kernel_size - self.stride, 0) - self.padding
        self.cropping = keras.layers.Cropping2D(((self.padding, max(surplus, 0)), (0, 0)), name="cropping")
        self.zero_padding = keras.layers.ZeroPadding2D(((0, max(-surplus, 0)), (0, 0)), name="zero_padding")
        self.bias = None

    def build(self, input_shape):
        self.transposed_convolution.build(input_shape)
        shape = self.transposed_convolution.compute_output_shape(input_shape)
        self.cropping.build(shape)
        self.zero_padding.build(self.cropping.compute_output_shape(shape))
        self.bias = self.add_weight(shape=(self.filters,), initializer="zeros", trainable=True, name="bias")

    def call(self, inputs):
        if self.stride == 1 and self.kernel_size % 2 and self.implementation == "auto":
            # At stride 1 and odd K the transposed convolution is the symmetric-padding convolution
            # with the kernel flipped in time; TensorFlow's CPU kernel for the transposed form
            # (Conv2DBackpropInput) is markedly slower to train, and long kernels take the transform path.
            kernel = ops.transpose(ops.flip(self.transposed_convolution.kernel, axis=0), (0, 1, 3, 2))
            if self._takes_transform(inputs, 1):
                return spectral_temporal_convolution(inputs, kernel, self.bias, 1)
            padded = ops.pad(inputs, ((0, 0), (self.padding, self.padding), (0, 0), (0, 0)))
            return ops.conv(padded, kernel, padding="valid") + self.bias
        full = self.transposed_convolution(inputs)
        return self.zero_padding(self.cropping(full)) + self.bias

    def compute_output_shape(self, input_shape):
        batch, frames, joints, _ = input_shape
        return (batch, None if frames is None else frames * self.stride, joints, self.filters)
