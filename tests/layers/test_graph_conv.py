"""GraphConvolution: shared layer checks and an independent NumPy loop."""

import numpy as np
import pytest

from step_tf import graph
from step_tf.layers import GraphConvolution
from tests.helpers import run_layer_test


@pytest.mark.parametrize("edge_importance", [True, False])
def test_shared_layer_checks(edge_importance):
    run_layer_test(
        GraphConvolution,
        {"filters": 4, "strategy": "spatial", "edge_importance": edge_importance},
        input_shape=(2, 12, 16, 3),
        expected_output_shape=(2, 12, 16, 4),
    )


def numpy_graph_convolution(x, kernel, bias, partitions, mask):
    """out[n, t, w] = sum_k sum_v (x[n, t, v] W_k + b_k) (A_k * M_k)[v, w], by explicit loops."""
    batch, frames, joints, _ = x.shape
    num_partitions = partitions.shape[0]
    filters = kernel.shape[1] // num_partitions
    out = np.zeros((batch, frames, joints, filters))
    for n in range(batch):
        for t in range(frames):
            for w in range(joints):
                for k in range(num_partitions):
                    weights_k = kernel[:, k * filters:(k + 1) * filters]
                    bias_k = bias[k * filters:(k + 1) * filters]
                    for v in range(joints):
                        out[n, t, w] += (x[n, t, v] @ weights_k + bias_k) * partitions[k, v, w] * mask[k, v, w]
    return out


@pytest.mark.parametrize(
    "strategy, max_hop", [("uniform", 1), ("distance", 2), ("spatial", 1), ("spatial_public", 1)]
)
def test_matches_numpy_loop(strategy, max_hop):
    rng = np.random.default_rng(7)
    filters, channels = 5, 3
    x = rng.standard_normal((2, 3, 16, channels)).astype(np.float32)
    layer = GraphConvolution(filters, strategy=strategy, max_hop=max_hop)
    layer.build(x.shape)
    partitions = graph.adjacency("step16", strategy, max_hop)
    kernel = rng.standard_normal((channels, partitions.shape[0] * filters)).astype(np.float32)
    bias = rng.standard_normal(partitions.shape[0] * filters).astype(np.float32)
    mask = rng.uniform(0.2, 2.0, partitions.shape).astype(np.float32)
    layer.pointwise_convolution.kernel.assign(kernel)
    layer.pointwise_convolution.bias.assign(bias)
    layer.edge_mask.assign(mask)
    expected = numpy_graph_convolution(x.astype(np.float64), kernel, bias, partitions, mask)
    np.testing.assert_allclose(np.asarray(layer(x)), expected, rtol=1e-4, atol=1e-4)


def test_without_edge_importance_uses_fixed_partitions():
    rng = np.random.default_rng(3)
    x = rng.standard_normal((1, 2, 16, 2)).astype(np.float32)
    layer = GraphConvolution(3, edge_importance=False)
    output = np.asarray(layer(x))
    assert len(layer.trainable_weights) == 2  # kernel and bias, no mask
    kernel, bias = (np.asarray(weight) for weight in layer.pointwise_convolution.weights)
    partitions = graph.adjacency("step16", "spatial", 1)
    expected = numpy_graph_convolution(x.astype(np.float64), kernel, bias, partitions, np.ones_like(partitions))
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-5)


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="joints"):
        GraphConvolution(4)(np.zeros((1, 5, 15, 3), np.float32))
    with pytest.raises(ValueError, match="strategy"):
        GraphConvolution(4, strategy="nearest")
    with pytest.raises(ValueError, match="filters"):
        GraphConvolution(0)
