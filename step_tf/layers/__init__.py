"""Keras layers of ST-GCN and STEP-Gen: graph convolution, temporal (de)convolution, blocks.

All tensors are channels last, ``(N, T, V, C)`` = batch, frames, joints,
channels. The skeleton graph is chosen by name (``step_tf.graph``).
"""

from step_tf.layers.blocks import (
    BATCH_NORM_EPSILON,
    BATCH_NORM_MOMENTUM,
    RESIDUAL_KINDS,
    STGCNBlock,
    STGDCNBlock,
    batch_normalization,
)
from step_tf.layers.graph_conv import GraphConvolution
from step_tf.layers.temporal import TemporalConvolution, TemporalDeconvolution

__all__ = [
    "BATCH_NORM_EPSILON",
    "BATCH_NORM_MOMENTUM",
    "RESIDUAL_KINDS",
    "GraphConvolution",
    "STGCNBlock",
    "STGDCNBlock",
    "TemporalConvolution",
    "TemporalDeconvolution",
    "batch_normalization",
]
