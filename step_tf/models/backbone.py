"""The ST-GCN backbone shared by every model: input BatchNorm, then a stack of ST-GCN blocks.

Shapes: ``(N, T, V, C_in) -> (N, T', V, channels[-1])`` with ``T' = T`` divided
by the product of the strides (rounded up at each stride-2 block, as in the
public code's symmetric padding). The input BatchNorm normalises each of the
``V * C_in`` joint coordinates over batch and frames, as the public code's
``data_bn`` does. Classifiers (``step_tf.models.classifiers``) pool the output;
the STEP-Gen encoder reuses the same backbone on gaits with label channels.
"""

from __future__ import annotations

import keras
from keras import ops

from step_tf.layers import STGCNBlock, batch_normalization


@keras.saving.register_keras_serializable(package="step_tf")
class STGCNBackbone(keras.layers.Layer):
    """Input BatchNorm and ST-GCN blocks over a skeleton graph chosen by name.

    Args:
        channels: output channels of each block (paper Baseline-STEP: 32, 64, 64).
        strides: temporal stride of each block (public code: 1, 2, 1 or 1, 2, 2).
        temporal_kernel_size: frames each temporal convolution spans (public
            STEP code 75, ST-GCN 9).
        layout, strategy, max_hop: the skeleton graph (``step_tf.graph``).
        edge_importance: learn a mask over each adjacency partition.
        dropout_rate: dropout after each block's temporal convolution.
        input_batch_norm: normalise the input coordinates first.
    """

    def __init__(
        self,
        channels=(32, 64, 64),
        strides=(1, 2, 1),
        temporal_kernel_size=75,
        layout="step16",
        strategy="spatial",
        max_hop=1,
        edge_importance=True,
        dropout_rate=0.0,
        input_batch_norm=True,
        **kwargs,
    ):
        super().__init__(**kwargs)
        channels, strides = tuple(int(c) for c in channels), tuple(int(s) for s in strides)
        if not channels or len(channels) != len(strides):
            raise ValueError(f"channels and strides must be non-empty and of one length, got {channels} and {strides}")
        if any(s < 1 for s in strides) or any(c < 1 for c in channels):
            raise ValueError(f"channels and strides must be positive, got {channels} and {strides}")
        self.channels = channels
        self.strides = strides
        self.temporal_kernel_size = temporal_kernel_size
        self.layout = layout
        self.strategy = strategy
        self.max_hop = max_hop
        self.edge_importance = edge_importance
        self.dropout_rate = dropout_rate
        self.input_batch_norm = input_batch_norm
        self.input_normalization = (
            batch_normalization("input_bn")
            if input_batch_norm
            else None
        )
        self.blocks = [
            STGCNBlock(
                filters,
                temporal_kernel_size=temporal_kernel_size,
                stride=stride,
                dropout_rate=dropout_rate,
                # The first block sees raw coordinates: no residual, as in ST-GCN and STEP.
                residual=index > 0,
                layout=layout,
                strategy=strategy,
                max_hop=max_hop,
                edge_importance=edge_importance,
                name=f"block_{index + 1}",
            )
            for index, (filters, stride) in enumerate(zip(channels, strides))
        ]

    def build(self, input_shape):
        _, _, num_joints, num_channels = input_shape
        if self.input_normalization is not None:
            self.input_normalization.build((None, None, num_joints * num_channels))
        shape = tuple(input_shape)
        for block in self.blocks:
            block.build(shape)
            shape = block.compute_output_shape(shape)

    def call(self, joints, training=None):
        x = joints
        if self.input_normalization is not None:
            shape = ops.shape(x)
            # (N, T, V, C) -> (N, T, V*C): one statistic per joint coordinate.
            flat = ops.reshape(x, (shape[0], shape[1], shape[2] * shape[3]))
            x = ops.reshape(self.input_normalization(flat, training=training), shape)
        for block in self.blocks:
            x = block(x, training=training)
        return x

    def compute_output_shape(self, input_shape):
        shape = tuple(input_shape)
        for block in self.blocks:
            shape = block.compute_output_shape(shape)
        return shape

    def get_config(self):
        config = super().get_config()
        config.update(
            channels=list(self.channels),
            strides=list(self.strides),
            temporal_kernel_size=self.temporal_kernel_size,
            layout=self.layout,
            strategy=self.strategy,
            max_hop=self.max_hop,
            edge_importance=self.edge_importance,
            dropout_rate=self.dropout_rate,
            input_batch_norm=self.input_batch_norm,
        )
        return config
