"""The spatial graph convolution of ST-GCN (Yan et al., AAAI 2018), channels last.

For an input ``x`` of shape ``(N, T, V, C_in)`` the layer computes, for every
frame ``t`` and target joint ``w``,

    out[n, t, w, :] = sum_k sum_v (W_k x[n, t, v] + b_k) * (A_k * M_k)[v, w]

where ``A_k`` (k = 1..K) are the fixed adjacency partitions of
``step_tf.graph.adjacency(layout, strategy, max_hop)`` (``A_k[v, w]`` carries
the message from joint ``v`` to joint ``w``; columns are normalised), ``*`` is
the element-wise product, ``M_k`` a learnable edge-importance mask initialised
to ones, and ``W_k``, ``b_k`` a 1x1 convolution (a dense map over channels)
from ``C_in`` to ``filters`` channels, one per partition. The K maps are one
dense layer with ``K * filters`` outputs: output channel ``k * filters + f`` is
filter ``f`` of partition ``k`` (the order of the PyTorch ST-GCN code, which
views its ``K * C`` channels as ``(K, C)``).
"""

from __future__ import annotations

import numbers

import keras
from keras import ops

from step_tf import graph

# The public STEP code draws every convolution kernel from N(0, 0.02).
DEFAULT_KERNEL_STDDEV = 0.02


def positive_int(value, what, layer_name):
    """``value`` as an int; ``ValueError`` naming the layer and argument unless it is a positive integer."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or int(value) != value or value < 1:
        raise ValueError(f"{layer_name} {what} must be a positive integer, got {value!r}")
    return int(value)


def kernel_initializer_or_default(kernel_initializer):
    """``keras.initializers.get(kernel_initializer)``; ``None`` gives N(0, 0.02)."""
    if kernel_initializer is None:
        return keras.initializers.RandomNormal(mean=0.0, stddev=DEFAULT_KERNEL_STDDEV)
    return keras.initializers.get(kernel_initializer)


@keras.saving.register_keras_serializable(package="step_tf")
class GraphConvolution(keras.layers.Layer):
    """Spatial graph convolution over a skeleton chosen by name.

    Shapes: ``(N, T, V, C_in) -> (N, T, V, filters)``; ``V`` must be the
    layout's joint count.

    Args:
        filters: output channels per joint.
        layout: skeleton layout name (``step_tf.graph.LAYOUTS``).
        strategy: partition strategy (``step_tf.graph.STRATEGIES``).
        max_hop: neighbourhood radius in bones.
        edge_importance: learn the mask ``M`` (K, V, V), initialised to ones;
            ``False`` uses the fixed partitions alone.
        kernel_initializer: initialiser of ``W``; ``None`` is N(0, 0.02) as in
            the public STEP code. The bias starts at zero.
    """

    def __init__(
        self,
        filters,
        layout="step16",
        strategy="spatial",
        max_hop=1,
        edge_importance=True,
        kernel_initializer=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.filters = positive_int(filters, "filters", type(self).__name__)
        self.layout = layout
        self.strategy = strategy
        self.max_hop = max_hop
        self.edge_importance = bool(edge_importance)
        self.kernel_initializer = kernel_initializer_or_default(kernel_initializer)
        # (K, V, V) constant; step_tf.graph validates the names and max_hop.
        self.partitions = graph.adjacency(layout, strategy, max_hop)
        self.num_partitions, self.num_joints, _ = self.partitions.shape
        self.pointwise_convolution = keras.layers.Dense(
            self.num_partitions * self.filters,
            kernel_initializer=self.kernel_initializer,
            name="pointwise_convolution",
        )
        self.edge_mask = None

    def build(self, input_shape):
        if len(input_shape) != 4:
            raise ValueError(f"{self.name} expects (N, T, V, C) inputs, got shape {tuple(input_shape)}")
        if input_shape[2] != self.num_joints:
            raise ValueError(
                f"{self.name} expects {self.num_joints} joints (layout {self.layout!r}) on axis 2, "
                f"got shape {tuple(input_shape)}"
            )
        self.pointwise_convolution.build(input_shape)
        if self.edge_importance:
            self.edge_mask = self.add_weight(
                shape=self.partitions.shape, initializer="ones", trainable=True, name="edge_importance"
            )

    def call(self, inputs):
        # (N, T, V, C_in) -> (N, T, V, K * filters) -> (N, T, V, K, filters)
        features = self.pointwise_convolution(inputs)
        shape = ops.shape(features)
        features = ops.reshape(features, (shape[0], shape[1], shape[2], self.num_partitions, self.filters))
        graph_weights = ops.convert_to_tensor(self.partitions, dtype=features.dtype)
        if self.edge_mask is not None:
            graph_weights = graph_weights * ops.cast(self.edge_mask, features.dtype)
        # Sum over partitions k and source joints v: (N, T, V, K, F) x (K, V, W) -> (N, T, W, F).
        return ops.einsum("ntvkf,kvw->ntwf", features, graph_weights)

    def compute_output_shape(self, input_shape):
        return (*tuple(input_shape)[:3], self.filters)

    def get_config(self):
        config = super().get_config()
        config.update(
            filters=self.filters,
            layout=self.layout,
            strategy=self.strategy,
            max_hop=self.max_hop,
            edge_importance=self.edge_importance,
            kernel_initializer=keras.initializers.serialize(self.kernel_initializer),
        )
        return config
