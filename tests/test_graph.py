"""The skeleton graph against the facts of the reference notes and hand counts."""

import numpy as np
import pytest

from step_tf import graph

LAYOUT = graph.STEP16


def test_step16_layout_facts():
    assert LAYOUT.num_joints == 16
    assert len(LAYOUT.edges) == 15
    assert LAYOUT.center == 0
    degrees = np.ones(16, dtype=int)  # the self-loop
    for i, j in LAYOUT.edges:
        degrees[i] += 1
        degrees[j] += 1
    np.testing.assert_array_equal(degrees, [4, 3, 5, 2, 3, 3, 2, 3, 3, 2, 3, 3, 2, 3, 3, 2])


@pytest.mark.parametrize("strategy", graph.STRATEGIES)
def test_every_strategy_averages_each_neighbourhood(strategy):
    partitions = graph.adjacency(LAYOUT, strategy)
    summed = partitions.sum(axis=0)
    np.testing.assert_allclose(summed.sum(axis=0), np.ones(16), atol=1e-6)
    # Each column spreads its weight evenly over the joint and its bone neighbours.
    for i, j in LAYOUT.edges:
        assert summed[i, j] > 0 and summed[j, i] > 0
    np.testing.assert_allclose(np.count_nonzero(summed), 16 + 2 * 15)


def test_partition_counts():
    assert graph.adjacency(LAYOUT, "uniform").shape == (1, 16, 16)
    assert graph.adjacency(LAYOUT, "distance").shape == (2, 16, 16)
    assert graph.adjacency(LAYOUT, "distance", max_hop=2).shape == (3, 16, 16)
    assert graph.adjacency(LAYOUT, "spatial").shape == (3, 16, 16)


def test_public_spatial_partition_has_exactly_six_closer_edges():
    partitions = graph.adjacency(LAYOUT, "spatial_public")
    closer = {(int(v), int(w)) for v, w in zip(*np.nonzero(partitions[2]))}
    assert closer == {(0, 1), (0, 10), (0, 13), (1, 2), (10, 11), (13, 14)}
    np.testing.assert_allclose(np.diag(partitions[0]), 1.0 / np.array([4, 3, 5, 2, 3, 3, 2, 3, 3, 2, 3, 3, 2, 3, 3, 2]))


def test_true_spatial_partition_follows_breadth_first_distances():
    partitions = graph.adjacency(LAYOUT, "spatial")
    # In a tree every bone joins a parent (closer to the root) and a child: the
    # "closer" partition holds one message per bone, parent -> child.
    closer = {(int(v), int(w)) for v, w in zip(*np.nonzero(partitions[2]))}
    farther = {(int(v), int(w)) for v, w in zip(*np.nonzero(partitions[1]))}
    parent_to_child = {(0, 1), (1, 2), (2, 3), (2, 4), (4, 5), (5, 6), (2, 7), (7, 8), (8, 9),
                       (0, 10), (10, 11), (11, 12), (0, 13), (13, 14), (14, 15)}
    assert closer == parent_to_child
    assert farther == {(w, v) for v, w in parent_to_child}
    # Column normalisation by in-degree, e.g. the neck (degree 5 with its self-loop).
    assert partitions[2][1, 2] == pytest.approx(1 / 5)
    assert partitions[1][3, 2] == pytest.approx(1 / 5)


def test_hop_distance_against_hand_count():
    hops = graph.hop_distance(LAYOUT)
    assert hops[0, 3] == 3  # root-spine-neck-head
    assert hops[6, 15] == 8  # hand_left-elbow-shoulder-neck-spine-root-hip-knee-foot: 8 bones
    assert np.isinf(graph.hop_distance(LAYOUT, max_hop=1)[0, 3])


def test_bad_names_are_clear():
    with pytest.raises(ValueError, match="unknown skeleton layout 'coco'"):
        graph.get_layout("coco")
    with pytest.raises(ValueError, match="unknown partition strategy"):
        graph.adjacency(LAYOUT, "radial")
    with pytest.raises(ValueError, match="has no joint 'tail'"):
        LAYOUT.joint_index("tail")
