"""Skeleton layouts and the adjacency partitions of ST-GCN (NumPy only).

A *layout* names the joints of a skeleton, its bones (undirected edges) and its
centre joint. A *partition strategy* splits the self-looped adjacency matrix
into K matrices ``A_k`` of shape ``(V, V)`` so that a graph convolution can
learn one weight per partition (Yan et al., "Spatial Temporal Graph
Convolutional Networks for Skeleton-Based Action Recognition", AAAI 2018):

    out[t, w] = sum_k sum_v (W_k x)[t, v] * A_k[v, w]

``A_k[v, w]`` carries the message *from* joint ``v`` *to* joint ``w``. Every
matrix is normalised by column: the summed partitions give each target joint
``w`` the average over its neighbourhood (itself included), so every column of
``sum_k A_k`` sums to 1.

Strategies (``hops(v, w)`` is the number of bones between two joints):

* ``"uniform"`` (K = 1): one matrix, the whole neighbourhood.
* ``"distance"`` (K = max_hop + 1): partition d holds the neighbours at d hops.
* ``"spatial"`` (K = 3): the joint itself; neighbours *farther* from the centre
  than the target joint; neighbours *closer* to the centre. Distances to the
  centre are true breadth-first hop counts. The partition order is that of the
  ST-GCN and STEP code (self, farther, closer).
* ``"spatial_public"`` (K = 3): the public STEP (and ST-GCN) code's variant,
  which measures distances to the centre only up to ``max_hop`` = 1 hop. Every
  joint two or more hops away is "infinitely far", so only the six bones that
  leave the root or its neighbours outwards (0->1, 0->10, 0->13, 1->2,
  10->11, 13->14 for the STEP layout) land in the "closer" partition; every
  other neighbour lands with the "farther" ones. Kept so that results of the
  public code can be reproduced exactly.
"""

from __future__ import annotations

import dataclasses

import numpy as np

STRATEGIES = ("uniform", "distance", "spatial", "spatial_public")


@dataclasses.dataclass(frozen=True)
class Layout:
    """A skeleton: joint names in array order, undirected bones, centre joint."""

    name: str
    joint_names: tuple[str, ...]
    edges: tuple[tuple[int, int], ...]
    center: int

    @property
    def num_joints(self) -> int:
        return len(self.joint_names)

    def joint_index(self, joint_name: str) -> int:
        try:
            return self.joint_names.index(joint_name)
        except ValueError:
            raise ValueError(
                f"layout {self.name!r} has no joint {joint_name!r}; "
                f"its joints are {', '.join(self.joint_names)}"
            ) from None


# The E-Gait / STEP joint order. The E-Gait README calls side "a" left and
# side "b" right; the public code calls them the opposite. We follow the data
# set README (a = left); the graph is symmetric, so only named features care.
STEP16 = Layout(
    name="step16",
    joint_names=(
        "root", "spine", "neck", "head",
        "shoulder_left", "elbow_left", "hand_left",
        "shoulder_right", "elbow_right", "hand_right",
        "hip_left", "knee_left", "foot_left",
        "hip_right", "knee_right", "foot_right",
    ),
    edges=(
        (0, 1), (1, 2), (2, 3), (2, 4), (4, 5), (5, 6), (2, 7), (7, 8),
        (8, 9), (0, 10), (10, 11), (11, 12), (0, 13), (13, 14), (14, 15),
    ),
    center=0,
)

# Google's BlazePose (MediaPipe Pose) landmarks, in the model's output order;
# "left" is the subject's left. The edges are MediaPipe's POSE_CONNECTIONS plus
# nose-mouth and nose-shoulder links, without which the face would float free
# of the body (MediaPipe draws it that way, but a graph must be connected).
BLAZEPOSE33 = Layout(
    name="blazepose33",
    joint_names=(
        "nose", "left_eye_inner", "left_eye", "left_eye_outer",
        "right_eye_inner", "right_eye", "right_eye_outer", "left_ear", "right_ear",
        "mouth_left", "mouth_right", "left_shoulder", "right_shoulder",
        "left_elbow", "right_elbow", "left_wrist", "right_wrist",
        "left_pinky", "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb",
        "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
        "left_heel", "right_heel", "left_foot_index", "right_foot_index",
    ),
    edges=(
        (0, 1), (1, 2), (2, 3), (3, 7), (0, 4), (4, 5), (5, 6), (6, 8), (9, 10),
        (11, 12), (11, 13), (13, 15), (15, 17), (15, 19), (15, 21), (17, 19),
        (12, 14), (14, 16), (16, 18), (16, 20), (16, 22), (18, 20),
        (11, 23), (12, 24), (23, 24), (23, 25), (24, 26), (25, 27), (26, 28),
        (27, 29), (28, 30), (29, 31), (30, 32), (27, 31), (28, 32),
        (0, 9), (0, 10), (0, 11), (0, 12),
    ),
    center=23,
)

LAYOUTS = {STEP16.name: STEP16, BLAZEPOSE33.name: BLAZEPOSE33}

# Each target joint as a weighted mean of source joints: {(source, target):
# {target joint: {source joint: weight}}}. BlazePose -> STEP: root = mid-hip,
# neck = mid-shoulder, spine = halfway between them, head = halfway between the
# nose and the mid-ear point (the head's centre), hands = wrists, feet =
# ankles (E-Gait's foot joint is the ankle); the mapping of the shared video
# fixture, made with MediaPipe's own output.
JOINT_MAPPINGS = {
    ("blazepose33", "step16"): {
        "root": {"left_hip": 0.5, "right_hip": 0.5},
        "spine": {"left_hip": 0.25, "right_hip": 0.25, "left_shoulder": 0.25, "right_shoulder": 0.25},
        "neck": {"left_shoulder": 0.5, "right_shoulder": 0.5},
        "head": {"nose": 0.5, "left_ear": 0.25, "right_ear": 0.25},
        "shoulder_left": {"left_shoulder": 1.0},
        "elbow_left": {"left_elbow": 1.0},
        "hand_left": {"left_wrist": 1.0},
        "shoulder_right": {"right_shoulder": 1.0},
        "elbow_right": {"right_elbow": 1.0},
        "hand_right": {"right_wrist": 1.0},
        "hip_left": {"left_hip": 1.0},
        "knee_left": {"left_knee": 1.0},
        "foot_left": {"left_ankle": 1.0},
        "hip_right": {"right_hip": 1.0},
        "knee_right": {"right_knee": 1.0},
        "foot_right": {"right_ankle": 1.0},
    },
}


def joint_mapping(source: str, target: str) -> np.ndarray:
    """The ``(V_target, V_source)`` float32 matrix ``M`` with ``target_joints = M @ source_joints``.

    Rows sum to 1 (each target joint is a weighted mean of source joints).
    """
    try:
        weights = JOINT_MAPPINGS[(source, target)]
    except KeyError:
        raise ValueError(
            f"no joint mapping from layout {source!r} to {target!r}; known mappings: "
            + ", ".join(f"{a} -> {b}" for a, b in sorted(JOINT_MAPPINGS))
        ) from None
    source_layout, target_layout = get_layout(source), get_layout(target)
    matrix = np.zeros((target_layout.num_joints, source_layout.num_joints), dtype=np.float32)
    for target_joint, parts in weights.items():
        for source_joint, weight in parts.items():
            matrix[target_layout.joint_index(target_joint), source_layout.joint_index(source_joint)] = weight
    return matrix


def get_layout(name: str) -> Layout:
    """Returns the layout called ``name`` (see ``LAYOUTS``)."""
    try:
        return LAYOUTS[name]
    except KeyError:
        raise ValueError(
            f"unknown skeleton layout {name!r}; known layouts: {', '.join(sorted(LAYOUTS))}"
        ) from None


def hop_distance(layout: Layout, max_hop: int | None = None) -> np.ndarray:
    """Hop counts between joints, ``(V, V)`` float; ``inf`` beyond ``max_hop``.

    ``max_hop=None`` gives the true breadth-first distances (the skeleton is
    connected, so none is infinite).
    """
    num_joints = layout.num_joints
    adjacency = np.zeros((num_joints, num_joints), dtype=bool)
    for i, j in layout.edges:
        adjacency[i, j] = adjacency[j, i] = True
    limit = num_joints - 1 if max_hop is None else max_hop
    distance = np.full((num_joints, num_joints), np.inf)
    np.fill_diagonal(distance, 0.0)
    reached = np.eye(num_joints, dtype=bool)
    for hop in range(1, limit + 1):
        # Joints reachable in `hop` steps that were not reachable in fewer.
        reached_next = reached | (reached.astype(np.int64) @ adjacency.astype(np.int64) > 0)
        distance[reached_next & ~reached] = hop
        reached = reached_next
    return distance


def normalize_columns(matrix: np.ndarray) -> np.ndarray:
    """Divides each column by its sum (the in-degree of the target joint)."""
    column_sums = matrix.sum(axis=0)
    scale = np.where(column_sums > 0, 1.0 / np.where(column_sums > 0, column_sums, 1.0), 0.0)
    return matrix * scale[None, :]


def adjacency(layout: Layout | str = "step16", strategy: str = "spatial", max_hop: int = 1) -> np.ndarray:
    """Adjacency partitions ``(K, V, V)`` float32 of ``layout`` for ``strategy``.

    ``max_hop`` is the neighbourhood radius (1: joints joined by a bone).
    """
    if isinstance(layout, str):
        layout = get_layout(layout)
    if strategy not in STRATEGIES:
        raise ValueError(f"unknown partition strategy {strategy!r}; choose one of {', '.join(STRATEGIES)}")
    if max_hop < 1:
        raise ValueError(f"max_hop must be at least 1, got {max_hop}")

    hops = hop_distance(layout, max_hop)
    normalized = normalize_columns((hops <= max_hop).astype(np.float64))

    if strategy == "uniform":
        partitions = [normalized]
    elif strategy == "distance":
        partitions = [np.where(hops == d, normalized, 0.0) for d in range(max_hop + 1)]
    else:
        center_hops = hop_distance(layout, max_hop if strategy == "spatial_public" else None)[:, layout.center]
        source = center_hops[:, None]  # distance of the sending joint v
        target = center_hops[None, :]  # distance of the receiving joint w
        self_part = np.where(hops == 0, normalized, 0.0)
        neighbour = (hops > 0) & (hops <= max_hop)
        # Equal distances (two "infinitely far" joints in the public variant)
        # join the "farther" partition, exactly as in the public code.
        farther = np.where(neighbour & (source >= target), normalized, 0.0)
        closer = np.where(neighbour & (source < target), normalized, 0.0)
        partitions = [self_part, farther, closer]
    return np.stack(partitions).astype(np.float32)
