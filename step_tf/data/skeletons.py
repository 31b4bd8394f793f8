"""Skeletons of other layouts -> the 16 STEP joints: joint maps, units, up axis, checks, ``.npz`` files.

``to_step16(keypoints, layout, units="m", up="y")`` turns 3D keypoints
``(..., K, 3)`` of a known layout into the 16 STEP joints ``(..., 16, 3)``:
metres, y up, right-handed (the conventions of ``step_tf.data.gaits``).

Layouts (joint orders and mappings live in ``step_tf.graph``; every STEP joint
is a weighted mean of source joints, ``step_tf.graph.joint_mapping``):

=============  ====================================  ==========================================================
layout         source                                built joints (all other STEP joints map 1:1)
=============  ====================================  ==========================================================
coco17         COCO-17 keypoints (3D lifted)         root = mid-hip; neck = mid-shoulder; spine = halfway
                                                     root-neck; head = 1/2 nose + 1/2 mid-ear (eyes unused)
h36m17         Human3.6M 17 joints, VideoPose3D      head = 1/2 neck/nose + 1/2 head top; root = pelvis,
               order                                 spine = spine, neck = thorax
blazepose33    MediaPipe Pose world landmarks        as coco17 (the video path's own mapping); alias
               (alias ``mediapipe33``)               ``mediapipe33``; raw world landmarks are y down: up="-y"
body25         OpenPose BODY_25                      spine = halfway mid_hip-neck; head as coco17; root =
                                                     mid_hip, neck = neck (OpenPose's neck is mid-shoulder)
kinect_v2      Kinect v2 JointType 0..24             none: root = SpineBase, spine = SpineMid, neck =
                                                     SpineShoulder, head = Head
step16         the STEP joints themselves            none (units and up axis only)
BVH rig        ``step_tf.data.bvh`` with a           none: ``joint_map`` names one BVH joint per STEP joint
               ``joint_map`` (data spec ``bvh:``)
=============  ====================================  ==========================================================

In every layout hands are wrists and feet are ankles (the E-Gait and Bandai
rigs put them there), so finger, toe, heel and Kinect hand points are unused.
The built joints follow the video path's rule (``step_tf.graph``): a mocap
rig's root, spine, neck and head are not exactly where keypoints put them, so
gaits from keypoints differ from mocap gaits by a few centimetres there (the
tests measure it on four Bandai-Namco walks: at most 2.2, 3.5 and 4.0 cm for
root, spine and neck).

Units (``units=``): ``m``, ``cm`` or ``mm``; coordinates are multiplied by 1,
0.01 or 0.001. After conversion the mean root-to-neck (hip-to-neck) distance
of every gait must lie in 0.2..1.0 m, else the input is refused with the unit
that would fit, so a file in millimetres read as metres fails loudly.

Up axis (``up=``): the input axis that points up, ``y``, ``z`` or ``-y``; the
input must be right-handed. A rotation (never a mirror, which would swap left
and right) brings it to y up:

* ``y``: unchanged (Kinect camera space, BVH);
* ``-y`` (x right, y down, z forward: camera frames of OpenPose, lifting
  models' camera-space output, MediaPipe world landmarks): 180 degrees about x,
  ``(x, y, z) -> (x, -y, -z)``, as ``step_tf.pose.gait`` does for BlazePose;
* ``z`` (z up: Human3.6M world coordinates, most mocap labs): -90 degrees
  about x, ``(x, y, z) -> (x, z, -y)``: z becomes y and the input's y (a
  horizontal axis) becomes -z; a walk along +y becomes a walk along -z.

A left-handed frame (Unity's, for one) needs one horizontal axis negated
before conversion. After the rotation every gait's mean trunk direction (root
to neck) must be within 60 degrees of +y, else it is refused with the input
axis the trunk actually points along.

Input checks: 2D keypoints (last axis 2) are refused (the models need depth,
so lift 2D poses to 3D first); NaN or infinite values are refused naming the
gait's key, the frame and the joint (fill or drop missing detections first).

Files (data spec ``keypoints:FILE.npz,layout=NAME[,units=U][,up=A][,stride=S]``,
``load_keypoints``): an ``.npz`` holding ``joints`` or ``positions``,
``(N, T, K, C)`` or one sequence ``(T, K, C)``; optional ``labels`` ``(N,)``
(ids or label names), ``keys`` ``(N,)`` and ``groups`` ``(N,)``. Each sequence
is cut into 75-frame windows every ``stride`` (default 15) frames
(``step_tf.data.bvh.window_starts``), a shorter one tiled cyclically
(``step_tf.data.preprocess.fit_frames``); windows keep their sequence's group
(its key unless ``groups`` is given) and are keyed ``KEY_START`` (``KEY`` when
the sequences are exactly 75 frames). Without ``labels`` every gait gets label
id 0 as a placeholder: fine for predicting or rendering, meaningless for
training or evaluation. Frames are taken to be 30 fps already.
"""

from __future__ import annotations

import os
import pathlib

import numpy as np

from step_tf.data.bvh import window_starts
from step_tf.data.gaits import EMOTIONS, NUM_FRAMES, GaitSet, window_key
from step_tf.data.plausibility import fit_real_frames
from step_tf.graph import ROOT_JOINT, STEP16, get_layout, joint_mapping

SOURCE_LAYOUTS = ("coco17", "h36m17", "blazepose33", "body25", "kinect_v2", "step16")
ALIASES = {"mediapipe33": "blazepose33"}
UNITS = {"m": 1.0, "cm": 0.01, "mm": 0.001}
# Rotations (right-handed, det +1) taking each named up axis to +y.
UP_ROTATIONS = {
    "y": np.eye(3),
    "-y": np.diag([1.0, -1.0, -1.0]),
    "z": np.array([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, -1.0, 0.0]]),
}
# An adult's hip-to-neck distance is about 0.45-0.6 m; children and noisy
# estimates widen it, a wrong unit moves it by a factor of 10 or more.
HIP_TO_NECK_RANGE_M = (0.2, 1.0)
# Walking trunks lean a few degrees; a wrong up axis tilts them by 90 or 180.
MIN_UPRIGHT_COSINE = 0.5
DEFAULT_STRIDE = 15

_NECK = STEP16.joint_index("neck")


def resolve_layout(layout: str) -> str:
    """The canonical name of a source layout (aliases resolved); unknown names list the known ones."""
    name = ALIASES.get(layout, layout)
    if name not in SOURCE_LAYOUTS:
        known = ", ".join(SOURCE_LAYOUTS + tuple(f"{alias} (= {target})" for alias, target in ALIASES.items()))
        raise ValueError(
            f"unknown skeleton layout {layout!r}; known layouts: {known}. "
            "BVH rigs go through the bvh: data spec with a joint map"
        )
    return name


def mapping_matrix(layout: str) -> np.ndarray:
    """``(16, K)`` float64: STEP joints as weighted means of ``layout``'s joints."""
    name = resolve_layout(layout)
    if name == "step16":
        return np.eye(STEP16.num_joints)
    return joint_mapping(name, "step16").astype(np.float64)


def describe_mapping(layout: str) -> dict[str, str]:
    """Each STEP joint's recipe in ``layout``, e.g. ``{"root": "1/2 left_hip + 1/2 right_hip", ...}`` (for docs)."""
    name = resolve_layout(layout)
    source = get_layout(name)
    recipes = {}
    for row, step_joint in zip(mapping_matrix(name), STEP16.joint_names):
        parts = [(w, source.joint_names[j]) for j, w in enumerate(row) if w]
        recipes[step_joint] = " + ".join(
            joint if np.isclose(w, 1.0) else f"{_fraction(w)} {joint}" for w, joint in parts
        )
    return recipes


def _fraction(weight: float) -> str:
    for denominator in (2, 4):
        if np.isclose(weight * denominator, round(weight * denominator)):
            return f"{round(weight * denominator)}/{denominator}"
    return f"{weight:g}"


def _gait_names(keys, count: int, source: str) -> list[str]:
    if keys is None:
        return [source] if count == 1 else [f"{source}[{i}]" for i in range(count)]
    return [str(key) for key in keys]


def to_step16(
    keypoints,
    layout: str,
    units: str = "m",
    up: str = "y",
    source: str = "<array>",
    keys=None,
) -> np.ndarray:
    """3D keypoints ``(N, T, K, 3)`` or ``(T, K, 3)`` of ``layout`` -> STEP joints ``(N, T, 16, 3)`` or ``(T, 16, 3)``.

    float32, metres, y up (see the module docstring for layouts, units, axes
    and the checks). ``source`` and ``keys`` (one per gait) name the data in
    error messages.
    """
    name = resolve_layout(layout)
    if units not in UNITS:
        raise ValueError(f"{source}: unknown units {units!r}; choose one of {', '.join(UNITS)}")
    if up not in UP_ROTATIONS:
        raise ValueError(f"{source}: unknown up axis {up!r}; choose one of {', '.join(UP_ROTATIONS)}")
    points = np.asarray(keypoints)
    if points.ndim not in (3, 4) or not np.issubdtype(points.dtype, np.number):
        raise ValueError(
            f"{source}: keypoints must be numbers of shape (N, T, K, 3) or (T, K, 3), got {points.dtype} {points.shape}"
        )
    num_joints = get_layout(name).num_joints
    if points.shape[-1] == 2:
        raise ValueError(
            f"{source}: keypoints are 2D (last axis 2); the 16 STEP joints need 3D (x, y, z): "
            "lift the 2D poses to 3D first (e.g. with a 3D pose estimator)"
        )
    if points.shape[-1] != 3:
        raise ValueError(
            f"{source}: keypoints must have 3 coordinates (x, y, z) on the last axis, got {points.shape[-1]}; "
            "drop confidence or visibility columns first"
        )
    if points.shape[-2] != num_joints:
        raise ValueError(f"{source}: layout {name!r} has {num_joints} joints, but the keypoints have {points.shape[-2]}")
    batch = points.reshape((-1,) + points.shape[-3:]).astype(np.float64)
    names = _gait_names(keys, batch.shape[0], source)
    if len(names) != batch.shape[0]:
        raise ValueError(f"{source}: {len(names)} keys for {batch.shape[0]} gaits")
    bad = np.argwhere(~np.isfinite(batch).all(axis=-1))
    if bad.size:
        gait, frame, joint = bad[0]
        raise ValueError(
            f"{source}: gait {names[gait]!r}, frame {frame}: joint {get_layout(name).joint_names[joint]!r} "
            "is NaN or infinite; fill or drop missing keypoints first"
        )
    rotation = UP_ROTATIONS[up]
    joints = np.einsum("vk,ntkc->ntvc", mapping_matrix(name), batch * UNITS[units]) @ rotation.T
    _check_plausible(joints, rotation, names, units, up, source)
    return joints.reshape(points.shape[:-2] + (STEP16.num_joints, 3)).astype(np.float32)


def _check_plausible(joints, rotation, names, units, up, source) -> None:
    """Refuses gaits whose trunk length or direction says the units or the up axis are wrong."""
    trunk = joints[:, :, _NECK] - joints[:, :, ROOT_JOINT]  # (N, T, 3), metres, y up
    lengths = np.linalg.norm(trunk, axis=-1).mean(axis=1)
    low, high = HIP_TO_NECK_RANGE_M
    for gait, length in enumerate(lengths):
        if not low <= length <= high:
            raw = length / UNITS[units]  # the distance in the numbers of the file
            fitting = [unit for unit, factor in UNITS.items() if low <= raw * factor <= high]
            hint = f"; the coordinates look like {fitting[0]}: pass units={fitting[0]}" if fitting else ""
            raise ValueError(
                f"{source}: gait {names[gait]!r}: mean hip-to-neck distance {length:.3g} m (units={units}) is "
                f"outside the plausible {low:g}-{high:g} m{hint}"
            )
    mean_trunk = trunk.mean(axis=1)
    for gait, direction in enumerate(mean_trunk):
        cosine = direction[1] / np.linalg.norm(direction)
        if cosine < MIN_UPRIGHT_COSINE:
            raw = rotation.T @ direction  # back in the input's axes
            axis = int(np.argmax(np.abs(raw)))
            guess = ("-" if raw[axis] < 0 else "") + "xyz"[axis]
            hint = (
                f"pass up={guess}" if guess in UP_ROTATIONS
                else f"only {', '.join(UP_ROTATIONS)} are supported: rotate the data so that one of them is up"
            )
            raise ValueError(
                f"{source}: gait {names[gait]!r}: with up={up} the trunk (root to neck) leans "
                f"{np.degrees(np.arccos(np.clip(cosine, -1, 1))):.0f} degrees from vertical; in the input it points "
                f"along {guess}: {hint}"
            )


def load_keypoints(
    path: str | os.PathLike,
    layout: str,
    units: str = "m",
    up: str = "y",
    stride: int = DEFAULT_STRIDE,
    num_frames: int = NUM_FRAMES,
    label_names: tuple[str, ...] = EMOTIONS,
    plausibility_check: bool = True,
) -> GaitSet:
    """Gaits from an ``.npz`` of keypoints (see the module docstring for the arrays and the windows).

    A sequence shorter than a window is tiled only if it has ``MIN_FRAMES`` real frames
    (``step_tf.data.plausibility.fit_real_frames``) unless ``plausibility_check=False``.
    """
    path = pathlib.Path(path)
    source = str(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: keypoint file not found")
    try:
        archive = np.load(path, allow_pickle=False)  # no pickles: a data file must not run code
        if not isinstance(archive, np.lib.npyio.NpzFile):
            raise ValueError(f"{path}: not an .npz archive (a single .npy array?); save it with numpy.savez")
        with archive:
            arrays = {key: archive[key] for key in archive.files}
    except (OSError, ValueError, EOFError) as error:
        if str(error).startswith(str(path)):
            raise
        raise ValueError(f"{path}: not a readable .npz file ({error})") from None
    present = [key for key in ("joints", "positions") if key in arrays]
    if len(present) != 1:
        problem = "holds neither" if not present else "holds both"
        raise ValueError(f"{path}: the file {problem} 'joints' and 'positions'; expected exactly one (its keys: {', '.join(arrays)})")
    key_name = present[0]
    points = arrays[key_name]
    if points.ndim == 3:
        points = points[None]
    if points.ndim != 4:
        raise ValueError(f"{path}: {key_name!r} must have shape (N, T, K, C) or (T, K, C), got {arrays[key_name].shape}")
    count, length = points.shape[:2]
    if count == 0 or length == 0:
        raise ValueError(f"{path}: {key_name!r} holds no frames (shape {arrays[key_name].shape})")

    def per_sequence(name, default):
        if name not in arrays:
            return default
        values = np.asarray(arrays[name]).reshape(-1) if arrays[name].ndim == 0 else np.asarray(arrays[name])
        if values.shape != (count,):
            raise ValueError(f"{path}: {name!r} must have one entry per sequence, shape ({count},), got {values.shape}")
        return values

    keys = per_sequence("keys", None)
    keys = np.array([path.stem] if count == 1 else [f"{path.stem}_{i:05d}" for i in range(count)]) if keys is None else keys.astype(str)
    if len(set(keys.tolist())) != count:
        raise ValueError(f"{path}: 'keys' must be unique")
    groups = per_sequence("groups", keys).astype(str)
    labels = _label_ids(per_sequence("labels", np.zeros(count, dtype=np.int32)), label_names, keys, path)

    joints = to_step16(points, layout, units=units, up=up, source=f"{path}: {key_name!r}", keys=keys)
    starts = window_starts(length, num_frames, stride)
    cut = length != num_frames
    windows = [
        fit_real_frames(sequence[start : start + num_frames], num_frames, f"{path}: sequence {key!r}", plausibility_check)
        for key, sequence in zip(keys, joints) for start in starts
    ]
    return GaitSet(
        joints=np.stack(windows),
        labels=np.repeat(labels, len(starts)),
        label_names=tuple(label_names),
        groups=np.repeat(groups, len(starts)),
        keys=np.array([window_key(key, start) if cut else key for key in keys for start in starts]),
        source=source,
    )


def _label_ids(labels: np.ndarray, label_names, keys, path) -> np.ndarray:
    if np.issubdtype(labels.dtype, np.integer):
        return labels.astype(np.int32)  # GaitSet checks the range and names the gait
    if labels.dtype.kind in "US":
        labels = labels.astype(str)
        unknown = [i for i, label in enumerate(labels) if label not in label_names]
        if unknown:
            i = unknown[0]
            raise ValueError(
                f"{path}: 'labels': sequence {str(keys[i])!r} has label {str(labels[i])!r}; "
                f"the label names are {', '.join(label_names)}"
            )
        return np.array([label_names.index(label) for label in labels], dtype=np.int32)
    raise ValueError(f"{path}: 'labels' must be integer ids or label names, got {labels.dtype}")
