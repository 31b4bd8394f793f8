"""Gait preprocessing in NumPy: root centring, frame-count fitting, view normalisation, the canonical view.

View normalisation (paper section 4.1) moves every gait into one viewpoint with
the least-squares similarity transform of Umeyama ("Least-squares estimation
of transformation parameters between two point patterns", TPAMI 1991). For
point sets ``X`` (source) and ``Y`` (target), both ``(P, 3)``, with means
``mu_x``, ``mu_y``, variance ``s2_x = mean ||x - mu_x||^2`` and cross-covariance
``S = (Y - mu_y)^T (X - mu_x) / P = U D V^T`` (SVD):

    R = U E V^T,  E = diag(1, 1, det(U V^T))      (reflection fix)
    c = tr(D E) / s2_x
    t = mu_y - c R mu_x

minimises ``mean ||y - (c R x + t)||^2`` over rotations ``R``, scales ``c`` and
translations ``t``. ``E`` flips the last singular direction when the best
orthogonal matrix would be a reflection.

Shapes: a gait is ``(T, V, 3)``, a batch of gaits ``(N, T, V, 3)``; y is up.
"""

from __future__ import annotations

import numpy as np

from step_tf.data.gaits import NUM_FRAMES, UP_AXIS
from step_tf.graph import ROOT_JOINT, get_layout


def root_centre(joints: np.ndarray, root: int = ROOT_JOINT) -> np.ndarray:
    """Subtracts the root joint from every joint, frame by frame. ``(..., T, V, 3)``."""
    joints = np.asarray(joints)
    return joints - joints[..., root : root + 1, :]


def fit_frames(gait: np.ndarray, num_frames: int = NUM_FRAMES) -> np.ndarray:
    """Brings one gait ``(T_i, V, 3)`` to ``(num_frames, V, 3)``.

    A shorter gait is tiled cyclically (repeated from its first frame, then cut),
    as the public STEP loaders do; zero padding would fake a standing pose. A
    longer gait keeps its first ``num_frames`` frames, so a gait is never
    stretched in time (speeds stay true).
    """
    gait = np.asarray(gait)
    if gait.shape[0] == 0:
        raise ValueError("cannot fit an empty gait (0 frames) to a frame count")
    if num_frames < 1:
        raise ValueError(f"num_frames must be positive, got {num_frames}")
    repeats = -(-num_frames // gait.shape[0])  # ceiling division
    return np.concatenate([gait] * repeats, axis=0)[:num_frames]


def umeyama(source: np.ndarray, target: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
    """Similarity ``(scale, rotation (3, 3), translation (3,))`` mapping ``source`` onto ``target``.

    Both point sets are ``(P, 3)`` with corresponding rows; see the module docstring.
    """
    source = np.asarray(source, dtype=np.float64)
    target = np.asarray(target, dtype=np.float64)
    if source.shape != target.shape or source.ndim != 2:
        raise ValueError(f"umeyama needs two (P, D) point sets of one shape, got {source.shape} and {target.shape}")
    mean_source = source.mean(axis=0)
    mean_target = target.mean(axis=0)
    centred_source = source - mean_source
    centred_target = target - mean_target
    variance_source = np.mean(np.sum(centred_source**2, axis=1))
    if variance_source <= 0:
        raise ValueError("umeyama: the source points all coincide, so no transform is defined")
    covariance = centred_target.T @ centred_source / source.shape[0]
    u, singular_values, vt = np.linalg.svd(covariance)
    signs = np.ones(source.shape[1])
    if np.linalg.det(u) * np.linalg.det(vt) < 0:
        signs[-1] = -1.0
    rotation = u @ np.diag(signs) @ vt
    scale = float(np.sum(singular_values * signs) / variance_source)
    translation = mean_target - scale * rotation @ mean_source
    return scale, rotation, translation


def apply_similarity(points: np.ndarray, scale: float, rotation: np.ndarray, translation: np.ndarray) -> np.ndarray:
    """``scale * R x + t`` for every point of ``points`` ``(..., 3)``."""
    return (scale * np.asarray(points) @ np.asarray(rotation).T + translation).astype(np.asarray(points).dtype)


def view_normalise(joints: np.ndarray, reference_pose: np.ndarray) -> np.ndarray:
    """Aligns each root-centred gait to ``reference_pose`` ``(V, 3)``, as paper section 4.1 describes.

    ``joints`` ``(N, T, V, 3)``: the similarity that maps a gait's first frame
    onto the reference pose is applied to all its frames (the public code's
    procedure; its reference is the first frame of the first gait).
    """
    joints = np.asarray(joints)
    aligned = np.empty_like(joints)
    for i, gait in enumerate(joints):
        aligned[i] = apply_similarity(gait, *umeyama(gait[0], reference_pose))
    return aligned


def rotation_about_vertical(angle: float) -> np.ndarray:
    """The ``(3, 3)`` rotation by ``angle`` radians about the y (up) axis, right-handed."""
    cos, sin = np.cos(angle), np.sin(angle)
    return np.array([[cos, 0.0, sin], [0.0, 1.0, 0.0], [-sin, 0.0, cos]])


def rotate_about_vertical(joints: np.ndarray, angle: float) -> np.ndarray:
    """Rotates gaits ``(..., 3)`` by ``angle`` radians about the vertical axis."""
    joints = np.asarray(joints)
    return (joints @ rotation_about_vertical(angle).T).astype(joints.dtype)


# The view STEP-Gen learns gaits in (step_tf.training.generator): each gait is moved so
# that its root starts above the origin and turned about the vertical so that it faces
# +z. Gaits recorded anywhere and facing anywhere then share one frame, as the paper's
# view normalisation intends, while the walking translation and body size, which the
# affective features measure, are kept.
def canonical_view(joints: np.ndarray, layout: str = "step16") -> np.ndarray:
    """Gaits ``(N, T, V, 3)`` with the root's first-frame horizontal position at the origin, facing +z.

    The facing direction is the horizontal part of ``(hip_left - hip_right) x up``
    averaged over frames (forward for a y-up, right-handed frame), so it is
    defined for walking on the spot too.
    """
    joints = np.asarray(joints, dtype=np.float32)
    names = get_layout(layout)
    if joints.ndim != 4 or joints.shape[2:] != (names.num_joints, 3):
        raise ValueError(f"gaits must have shape (N, T, {names.num_joints}, 3), got {joints.shape}")
    root, hip_left, hip_right = (names.joint_index(name) for name in ("root", "hip_left", "hip_right"))
    start = joints[:, :1, root, :].copy()
    start[..., UP_AXIS] = 0.0
    moved = joints - start[:, :, None, :]
    facing = np.cross(joints[:, :, hip_left] - joints[:, :, hip_right], np.eye(3, dtype=np.float32)[UP_AXIS]).mean(axis=1)
    angles = -np.arctan2(facing[:, 0], facing[:, 2])  # rotating by this brings (x, 0, z) onto +z
    return np.stack([gait @ rotation_about_vertical(angle).T for gait, angle in zip(moved, angles)]).astype(np.float32)
