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
ROOT_JOINT = STEP16.joint_index("root")  # the pelvis centre, joint 0: what gaits are centred on

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

# The source layouts of step_tf.data.skeletons (3D keypoints of other pose
# estimators and sensors), each in its producer's output order; "left" is the
# subject's left. Edges are each producer's drawn skeleton, kept connected.

# COCO-17 keypoints (COCO 2017 person keypoints; also the order of most 3D
# estimators trained on COCO), with COCO's skeleton links.
COCO17 = Layout(
    name="coco17",
    joint_names=(
        "nose", "left_eye", "right_eye", "left_ear", "right_ear",
        "left_shoulder", "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist",
        "left_hip", "right_hip", "left_knee", "right_knee", "left_ankle", "right_ankle",
    ),
    edges=(
        (15, 13), (13, 11), (16, 14), (14, 12), (11, 12), (5, 11), (6, 12), (5, 6), (5, 7), (6, 8),
        (7, 9), (8, 10), (1, 2), (0, 1), (0, 2), (1, 3), (2, 4), (3, 5), (4, 6),
    ),
    center=11,
)

# Human3.6M's 17 joints in the order of the lifting models (VideoPose3D,
# facebookresearch/VideoPose3D common/h36m_dataset.py: the 32-joint mocap
# skeleton after remove_joints; parents -1,0,1,2,0,4,5,0,7,8,9,8,11,12,8,14,15).
# "thorax" is the mocap's Neck joint (between the shoulders), "neck_nose" its
# Head joint (base of the skull, about nose height) and "head" the head top.
H36M17 = Layout(
    name="h36m17",
    joint_names=(
        "pelvis", "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
        "spine", "thorax", "neck_nose", "head",
        "left_shoulder", "left_elbow", "left_wrist", "right_shoulder", "right_elbow", "right_wrist",
    ),
    edges=tuple(
        (child, parent)
        for child, parent in enumerate((-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15))
        if parent >= 0
    ),
    center=0,
)

# OpenPose BODY_25 (openpose doc/02_output.md), its rendering pairs as edges.
# Its "neck" is the mid-shoulder point and "mid_hip" the mid-hip point.
BODY25 = Layout(
    name="body25",
    joint_names=(
        "nose", "neck", "right_shoulder", "right_elbow", "right_wrist",
        "left_shoulder", "left_elbow", "left_wrist", "mid_hip",
        "right_hip", "right_knee", "right_ankle", "left_hip", "left_knee", "left_ankle",
        "right_eye", "left_eye", "right_ear", "left_ear",
        "left_big_toe", "left_small_toe", "left_heel", "right_big_toe", "right_small_toe", "right_heel",
    ),
    edges=(
        (1, 8), (1, 2), (1, 5), (2, 3), (3, 4), (5, 6), (6, 7), (8, 9), (9, 10), (10, 11), (8, 12),
        (12, 13), (13, 14), (1, 0), (0, 15), (15, 17), (0, 16), (16, 18), (14, 19), (19, 20),
        (14, 21), (11, 22), (22, 23), (11, 24),
    ),
    center=8,
)

# Microsoft Kinect v2 body joints, in the SDK's JointType order (0..24), with
# the SDK sample's bones. "spine_shoulder" is between the shoulders; "neck" is
# higher, at the base of the head.
KINECT_V2 = Layout(
    name="kinect_v2",
    joint_names=(
        "spine_base", "spine_mid", "neck", "head",
        "shoulder_left", "elbow_left", "wrist_left", "hand_left",
        "shoulder_right", "elbow_right", "wrist_right", "hand_right",
        "hip_left", "knee_left", "ankle_left", "foot_left",
        "hip_right", "knee_right", "ankle_right", "foot_right",
        "spine_shoulder", "hand_tip_left", "thumb_left", "hand_tip_right", "thumb_right",
    ),
    edges=(
        (0, 1), (1, 20), (20, 2), (2, 3), (20, 4), (4, 5), (5, 6), (6, 7), (7, 21), (6, 22),
        (20, 8), (8, 9), (9, 10), (10, 11), (11, 23), (10, 24),
        (0, 12), (12, 13), (13, 14), (14, 15), (0, 16), (16, 17), (17, 18), (18, 19),
    ),
    center=0,
)

LAYOUTS = {layout.name: layout for layout in (STEP16, BLAZEPOSE33, COCO17, H36M17, BODY25, KINECT_V2)}

# Each target joint as a weighted mean of source joints: {(source, target):
# {target joint: {source joint: weight}}}. Joints a source layout has are taken
# as they are; the ones it lacks are built by one rule for every layout, the
# rule the video path has always used for BlazePose:
#
# * root = mid-hip, neck = mid-shoulder (where the arms attach, the STEP neck's
#   place in the graph), spine = halfway between root and neck;
# * head = the head's centre: halfway between the nose and the mid-ear point
#   (COCO, BlazePose, BODY_25), or halfway between H36M's neck/nose joint and
#   head top;
# * hands = wrists, feet = ankles (E-Gait's and the Bandai rig's hand and foot
#   joints sit at the wrist and ankle), so Kinect's hand and BlazePose's finger
#   and toe points are not used.
#
# The BlazePose mapping is that of the shared video fixture, made with
# MediaPipe's own output. step_tf.data.skeletons documents the table.
_MID_HIP = {"left_hip": 0.5, "right_hip": 0.5}
_MID_SHOULDER = {"left_shoulder": 0.5, "right_shoulder": 0.5}
_MID_TRUNK = {"left_hip": 0.25, "right_hip": 0.25, "left_shoulder": 0.25, "right_shoulder": 0.25}
_FACE_HEAD = {"nose": 0.5, "left_ear": 0.25, "right_ear": 0.25}
# COCO, BlazePose and BODY_25 name their limb joints alike.
_LIMBS = {
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
}
JOINT_MAPPINGS = {
    ("blazepose33", "step16"): {
        "root": _MID_HIP, "spine": _MID_TRUNK, "neck": _MID_SHOULDER, "head": _FACE_HEAD, **_LIMBS,
    },
    ("coco17", "step16"): {
        "root": _MID_HIP, "spine": _MID_TRUNK, "neck": _MID_SHOULDER, "head": _FACE_HEAD, **_LIMBS,
    },
    ("body25", "step16"): {
        # BODY_25 has the mid-hip and mid-shoulder points itself.
        "root": {"mid_hip": 1.0}, "spine": {"mid_hip": 0.5, "neck": 0.5}, "neck": {"neck": 1.0},
        "head": _FACE_HEAD, **_LIMBS,
    },
    ("h36m17", "step16"): {
        "root": {"pelvis": 1.0}, "spine": {"spine": 1.0}, "neck": {"thorax": 1.0},
        "head": {"neck_nose": 0.5, "head": 0.5}, **_LIMBS,
    },
    ("kinect_v2", "step16"): {
        "root": {"spine_base": 1.0}, "spine": {"spine_mid": 1.0}, "neck": {"spine_shoulder": 1.0},
        "head": {"head": 1.0},
        **{name: {name.replace("hand", "wrist").replace("foot", "ankle"): 1.0} for name in STEP16.joint_names[4:]},
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
