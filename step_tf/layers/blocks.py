"""ST-GCN and ST-GDCN blocks: a graph convolution, then a temporal (de)convolution.

An ST-GCN block (Yan et al. 2018; STEP paper 4.3) maps ``x`` ``(N, T, V, C_in)`` to

    h = ReLU(BN(GraphConvolution(x)))                         (N, T, V, F)
    y = Dropout(BN(TemporalConvolution_s(h)))                 (N, ceil(T / s), V, F)
    out = activation(y + residual(x))

An ST-GDCN block (the STEP-Gen decoder, paper 4.2) is the same with a
*transposed* temporal convolution, so ``y`` and ``out`` have ``T * s`` frames.

``residual(x)`` is zero (``residual=False`` or ``"none"``), ``x`` itself
(``"identity"``: needs ``C_in == F`` and stride 1), or a projection: a 1x1
temporal (de)convolution with the block's stride followed by BatchNorm
(``"projection"``). ``residual=True`` (or ``"auto"``) picks identity when the
shapes allow it and the projection otherwise, as the ST-GCN code does.

BatchNorm uses momentum 0.9 and epsilon 1e-5: PyTorch's momentum 0.1 weighs the
*new* batch statistic, Keras's the old running one. Built under a ``tf.distribute``
strategy with several replicas, it is *synchronized*: batch statistics over the
global batch, so distributed training computes what one device computes.
"""

from __future__ import annotations

import keras
import tensorflow as tf

from step_tf.layers.graph_conv import GraphConvolution, kernel_initializer_or_default
from step_tf.layers.temporal import TemporalConvolution, TemporalDeconvolution

BATCH_NORM_MOMENTUM = 0.9
BATCH_NORM_EPSILON = 1e-5

RESIDUAL_KINDS = ("auto", "none", "identity", "projection")


def batch_normalization(name: str) -> keras.layers.BatchNormalization:
    """BatchNorm with the blocks' momentum and epsilon; synchronized across replicas when built under several.

    One device keeps the unsynchronized layer: its two-pass moments are more exact
    than the synchronized E[x^2] - E[x]^2, and the default path stays as it was.
    """
    several_replicas = tf.distribute.has_strategy() and tf.distribute.get_strategy().num_replicas_in_sync > 1
    return keras.layers.BatchNormalization(
        momentum=BATCH_NORM_MOMENTUM, epsilon=BATCH_NORM_EPSILON, synchronized=several_replicas, name=name
    )


def _residual_kind(residual, layer_name):
    """Maps the ``residual`` argument (bool or one of RESIDUAL_KINDS) to a kind name."""
    if isinstance(residual, bool):
        return "auto" if residual else "none"
    if residual not in RESIDUAL_KINDS:
        raise ValueError(
            f"{layer_name} residual must be True, False or one of {', '.join(RESIDUAL_KINDS)}; got {residual!r}"
        )
    return residual


class _GraphTemporalBlock(keras.layers.Layer):
    """The block shared by ST-GCN and ST-GDCN; subclasses name the temporal layer."""

    temporal_layer_class = None  # TemporalConvolution or TemporalDeconvolution

    def __init__(
        self,
        filters,
        temporal_kernel_size=9,
        stride=1,
        dropout_rate=0.0,
        residual=True,
        layout="step16",
        strategy="spatial",
        max_hop=1,
        edge_importance=True,
        activation="relu",
        kernel_initializer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        layer_name = type(self).__name__
        if int(temporal_kernel_size) % 2 == 0:
            # Symmetric padding keeps frames centred (and the residual aligned) only for odd kernels.
            raise ValueError(f"{layer_name} temporal_kernel_size must be odd, got {temporal_kernel_size}")
        if not 0.0 <= dropout_rate < 1.0:
            raise ValueError(f"{layer_name} dropout_rate must be in [0, 1), got {dropout_rate}")
        self.filters = filters
        self.temporal_kernel_size = temporal_kernel_size
        self.stride = stride
        self.dropout_rate = dropout_rate
        self.residual = residual
        self.residual_kind = _residual_kind(residual, layer_name)
        self.layout = layout
        self.strategy = strategy
        self.max_hop = max_hop
        self.edge_importance = edge_importance
        self.activation = None if activation is None else keras.activations.get(activation)
        self.kernel_initializer = kernel_initializer_or_default(kernel_initializer)

        self.graph_convolution = GraphConvolution(
            filters,
            layout=layout,
            strategy=strategy,
            max_hop=max_hop,
            edge_importance=edge_importance,
            kernel_initializer=self.kernel_initializer,
            name="graph_convolution",
        )
        self.graph_batch_norm = batch_normalization("graph_batch_norm")
        self.temporal_convolution = self.temporal_layer_class(
            filters, temporal_kernel_size, stride, kernel_initializer=self.kernel_initializer, name="temporal_convolution"
        )
        self.temporal_batch_norm = batch_normalization("temporal_batch_norm")
        self.dropout = keras.layers.Dropout(dropout_rate, name="dropout")
        # Created in build(): whether "auto" needs a projection depends on the input channels.
        self.residual_projection = None
        self.residual_batch_norm = None

    def build(self, input_shape):
        input_shape = tuple(input_shape)
        shapes_match = input_shape[-1] == self.filters and self.stride == 1
        if self.residual_kind == "identity" and not shapes_match:
            raise ValueError(
                f"{self.name}: an identity residual needs {self.filters} input channels and stride 1, "
                f"got input shape {input_shape} and stride {self.stride}"
            )
        self.use_projection = self.residual_kind == "projection" or (self.residual_kind == "auto" and not shapes_match)
        self.use_identity = self.residual_kind == "identity" or (self.residual_kind == "auto" and shapes_match)

        self.graph_convolution.build(input_shape)
        shape = self.graph_convolution.compute_output_shape(input_shape)
        self.graph_batch_norm.build(shape)
        self.temporal_convolution.build(shape)
        shape = self.temporal_convolution.compute_output_shape(shape)
        self.temporal_batch_norm.build(shape)
        self.dropout.build(shape)
        if self.use_projection:
            self.residual_projection = self.temporal_layer_class(
                self.filters, 1, self.stride, kernel_initializer=self.kernel_initializer, name="residual_projection"
            )
            self.residual_batch_norm = batch_normalization("residual_batch_norm")
            self.residual_projection.build(input_shape)
            self.residual_batch_norm.build(self.residual_projection.compute_output_shape(input_shape))

    def call(self, inputs, training=None):
        x = self.graph_convolution(inputs)
        x = keras.activations.relu(self.graph_batch_norm(x, training=training))
        x = self.temporal_batch_norm(self.temporal_convolution(x), training=training)
        x = self.dropout(x, training=training)
        if self.use_projection:
            x = x + self.residual_batch_norm(self.residual_projection(inputs), training=training)
        elif self.use_identity:
            x = x + inputs
        return x if self.activation is None else self.activation(x)

    def compute_output_shape(self, input_shape):
        shape = self.graph_convolution.compute_output_shape(tuple(input_shape))
        return self.temporal_convolution.compute_output_shape(shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            temporal_kernel_size=self.temporal_kernel_size,
            stride=self.stride,
            dropout_rate=self.dropout_rate,
            residual=self.residual,
            layout=self.layout,
            strategy=self.strategy,
            max_hop=self.max_hop,
            edge_importance=self.edge_importance,
            activation=None if self.activation is None else keras.activations.serialize(self.activation),
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
        )
        return config


@keras.saving.register_keras_serializable(package="step_tf")
class STGCNBlock(_GraphTemporalBlock):
    """ST-GCN block: graph convolution, temporal convolution with stride, residual.

    Shapes: ``(N, T, V, C_in) -> (N, ceil(T / stride), V, filters)``.

    Args:
        filters: output channels.
        temporal_kernel_size: odd number of frames the temporal kernel spans
            (ST-GCN 9, public STEP code 75).
        stride: temporal stride (downsampling).
        dropout_rate: dropout after the temporal BatchNorm.
        residual: True/"auto", False/"none", "identity" or "projection" (see
            the module docstring).
        layout, strategy, max_hop: the skeleton graph (``step_tf.graph``).
        edge_importance: learn the graph convolution's edge mask.
        activation: applied after the residual sum; ``None`` for raw outputs.
        kernel_initializer: of every convolution; ``None`` is N(0, 0.02).
    """

    temporal_layer_class = TemporalConvolution


@keras.saving.register_keras_serializable(package="step_tf")
class STGDCNBlock(_GraphTemporalBlock):
    """ST-GDCN (graph deconvolution) block of the STEP-Gen decoder.

    Shapes: ``(N, T, V, C_in) -> (N, T * stride, V, filters)``: the temporal
    convolution is transposed, so the stride upsamples frames; a projection
    residual is a 1x1 transposed convolution with the same stride.

    Args: as ``STGCNBlock``. ``activation=None`` lets the last decoder block
    output coordinates of either sign.
    """

    temporal_layer_class = TemporalDeconvolution
