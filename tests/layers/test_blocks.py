"""ST-GCN and ST-GDCN blocks: shared layer checks, shapes, residual kinds, a hand parameter count."""

import numpy as np
import pytest

from step_tf.layers import STGCNBlock, STGDCNBlock
from tests.helpers import run_layer_test


@pytest.mark.parametrize(
    "layer_class, init_kwargs, input_shape, expected_output_shape",
    [
        (STGCNBlock, {"filters": 3, "temporal_kernel_size": 5, "stride": 1}, (2, 12, 16, 3), (2, 12, 16, 3)),
        (
            STGCNBlock,
            {"filters": 8, "temporal_kernel_size": 5, "stride": 2, "dropout_rate": 0.1, "strategy": "uniform"},
            (2, 13, 16, 3),
            (2, 7, 16, 8),
        ),
        (
            STGDCNBlock,
            {"filters": 3, "temporal_kernel_size": 5, "stride": 2, "activation": None, "edge_importance": False},
            (2, 6, 16, 4),
            (2, 12, 16, 3),
        ),
        (STGDCNBlock, {"filters": 4, "temporal_kernel_size": 3, "residual": "identity"}, (2, 12, 16, 4), (2, 12, 16, 4)),
    ],
)
def test_shared_layer_checks(layer_class, init_kwargs, input_shape, expected_output_shape):
    run_layer_test(layer_class, init_kwargs, input_shape, expected_output_shape)


@pytest.mark.parametrize(
    "layer_class, channels, stride, residual, frames_out, projection",
    [
        (STGCNBlock, 8, 1, True, 13, False),
        (STGCNBlock, 8, 2, True, 7, True),
        (STGCNBlock, 3, 1, True, 13, True),
        (STGCNBlock, 8, 1, "projection", 13, True),
        (STGCNBlock, 8, 2, False, 7, False),
        (STGCNBlock, 8, 1, "identity", 13, False),
        (STGDCNBlock, 8, 1, "auto", 13, False),
        (STGDCNBlock, 8, 2, "auto", 26, True),
        (STGDCNBlock, 3, 2, "none", 26, False),
        (STGDCNBlock, 3, 1, "projection", 13, True),
    ],
)
def test_output_shapes_and_residual_kinds(layer_class, channels, stride, residual, frames_out, projection):
    block = layer_class(8, temporal_kernel_size=5, stride=stride, residual=residual)
    output = block(np.zeros((2, 13, 16, channels), np.float32))
    assert tuple(output.shape) == (2, frames_out, 16, 8)
    assert (block.residual_projection is not None) == projection


def test_identity_residual_adds_the_input():
    rng = np.random.default_rng(5)
    x = rng.standard_normal((2, 10, 16, 4)).astype(np.float32)
    with_residual = STGCNBlock(4, temporal_kernel_size=3, residual="identity", activation=None)
    without_residual = STGCNBlock(4, temporal_kernel_size=3, residual=False, activation=None)
    with_residual.build(x.shape)
    without_residual.build(x.shape)
    without_residual.set_weights(with_residual.get_weights())
    difference = np.asarray(with_residual(x)) - np.asarray(without_residual(x))
    np.testing.assert_allclose(difference, x, atol=1e-5)


def test_activation_none_keeps_negative_outputs():
    x = np.random.default_rng(2).standard_normal((2, 6, 16, 3)).astype(np.float32)
    raw = np.asarray(STGDCNBlock(3, temporal_kernel_size=3, stride=2, activation=None)(x))
    rectified = np.asarray(STGDCNBlock(3, temporal_kernel_size=3, stride=2)(x))
    assert raw.min() < 0.0
    assert rectified.min() >= 0.0


def test_parameter_count_by_hand():
    # K = 3 partitions, V = 16 joints, C_in = 3, F = 32 filters, temporal kernel 75.
    graph_convolution = 3 * (3 * 32) + 3 * 32 + 3 * 16 * 16  # kernel, bias, edge mask = 1152
    batch_norm = 4 * 32  # gamma, beta, moving mean, moving variance
    temporal_convolution = 75 * 32 * 32 + 32  # 76832
    projection = 3 * 32 + 32 + batch_norm  # 1x1 conv (3 -> 32) and its BatchNorm
    block = STGCNBlock(32, temporal_kernel_size=75, stride=1)
    block.build((None, 75, 16, 3))
    assert block.count_params() == graph_convolution + batch_norm + temporal_convolution + batch_norm + projection
    assert block.count_params() == 78496
    non_trainable = 3 * 2 * 32  # moving statistics of three BatchNorms
    assert sum(int(np.prod(w.shape)) for w in block.trainable_weights) == 78496 - non_trainable

    plain = STGCNBlock(32, temporal_kernel_size=75, residual=False)
    plain.build((None, 75, 16, 3))
    assert plain.count_params() == graph_convolution + batch_norm + temporal_convolution + batch_norm


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="odd"):
        STGCNBlock(8, temporal_kernel_size=4)
    with pytest.raises(ValueError, match="residual"):
        STGCNBlock(8, residual="dense")
    with pytest.raises(ValueError, match="identity residual"):
        STGCNBlock(8, residual="identity", stride=2)(np.zeros((1, 8, 16, 8), np.float32))
    with pytest.raises(ValueError, match="dropout_rate"):
        STGDCNBlock(8, dropout_rate=1.0)
