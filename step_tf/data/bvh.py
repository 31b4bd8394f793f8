"""Reading BVH motion capture into gaits of the 16 STEP joints.

A BVH file has two sections. ``HIERARCHY`` is a tree of joints: ``ROOT`` and
``JOINT`` blocks, each with an ``OFFSET x y z`` (its rest translation from its
parent) and a ``CHANNELS n name ...`` line, and ``End Site`` leaves with an
offset only. ``MOTION`` gives ``Frames: F``, ``Frame Time: dt`` (seconds) and F
rows of numbers, one per channel, in the order the channels were declared
(depth first).

Forward kinematics (vectorised over frames). For joint ``j`` with parent ``p``:

    R_local[j] = R_c1 @ R_c2 @ R_c3        (its rotation channels in declared order)
    t_local[j] = OFFSET[j], with each axis named by a position channel replaced
                 by that channel's value
    R_world[j] = R_world[p] @ R_local[j]
    x_world[j] = x_world[p] + R_world[p] @ t_local[j]

and for a root ``R_world = R_local``, ``x_world = t_local``. ``R_c`` is the
right-handed rotation by the channel's angle (degrees) about the x, y or z axis,
so ``Zrotation Xrotation Yrotation`` gives ``Rz @ Rx @ Ry``: intrinsic rotations
applied in channel order (scipy's upper-case ``"ZXY"``). Each joint's own order
is honoured. Position channels *replace* the offset (the BVH convention; the
Bandai-Namco files give every joint position channels equal to its offset, and
the replacing convention reproduces the reference fixtures, see the tests).
End Sites are parsed but not returned: the STEP joints never need them.
Positions are multiplied by ``scale`` (0.01: centimetres to metres).

Resampling: when the file's frame rate differs from the requested one, joint
positions (after forward kinematics) are interpolated linearly in time at
``k / frame_rate`` for every ``k`` that stays within the clip. Rates within a
relative 1e-4 (``Frame Time 0.0333333`` for 30 fps) are not resampled.

Windowing: a clip of F frames gives the windows starting at ``0, stride,
2 * stride, ...`` that fit whole into the clip (trailing frames that do not
fill a window are dropped). The default stride is 30 frames (one second at
30 fps): consecutive 75-frame windows overlap by 45 frames. A clip shorter than
the window gives one gait, tiled cyclically with
``step_tf.data.plausibility.fit_real_frames``: it needs at least 15 frames after
resampling (so a clip whose frames collapse to one is refused) unless
``plausibility_check=False``. Gaits stay in world coordinates (not
root-centred); every window of a clip gets the clip's file stem as its group,
so a split never puts windows of one recording on both sides.

Why a parser of our own: of the PyPI packages, ``bvh`` (0.3, 2017) is
unmaintained and does no forward kinematics, ``bvhio`` walks an object per
joint and frame on PyGLM, and ``pybvh`` (0.9, 14k lines, pulls matplotlib)
removes old names without a deprecation cycle. The format needs ~150 lines,
and our own parser can name the file and line of every error.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re
from collections.abc import Mapping

import numpy as np
from scipy.spatial.transform import Rotation

from step_tf.data.gaits import EMOTIONS, FRAME_RATE, NUM_FRAMES, GaitSet, concatenate, window_key
from step_tf.data.plausibility import fit_real_frames
from step_tf.graph import STEP16

DEFAULT_SCALE = 0.01
DEFAULT_STRIDE = 30
POSITION_CHANNELS = ("Xposition", "Yposition", "Zposition")
ROTATION_CHANNELS = ("Xrotation", "Yrotation", "Zrotation")

# STEP16 joint name -> BVH joint name, for the Bandai-Namco Research Motion
# data set (its `joint_Root` is a ground projection, so `Hips` is the body root).
BANDAI_NAMCO_JOINT_MAP = dict(
    zip(
        STEP16.joint_names,
        (
            "Hips", "Spine", "Neck", "Head",
            "UpperArm_L", "LowerArm_L", "Hand_L",
            "UpperArm_R", "LowerArm_R", "Hand_R",
            "UpperLeg_L", "LowerLeg_L", "Foot_L",
            "UpperLeg_R", "LowerLeg_R", "Foot_R",
        ),
    )
)

# File-name words that mean a label other than their own spelling.
LABEL_ALIASES = {"normal": "neutral"}


@dataclasses.dataclass(frozen=True)
class BvhJoint:
    """One ``ROOT`` or ``JOINT``: its parent's index (-1 for a root), offset and channels."""

    name: str
    parent: int
    offset: np.ndarray
    channels: tuple[str, ...]
    first_column: int  # where its channels start in a motion row


@dataclasses.dataclass(frozen=True)
class BvhMotion:
    """A parsed BVH clip with world joint positions.

    ``channels``: ``(F, C)`` float64, the raw motion rows. ``positions``:
    ``(F, J, 3)`` float64, world positions of the ``J`` joints (End Sites
    excluded) in file order, times ``scale``.
    """

    source: str
    joints: tuple[BvhJoint, ...]
    frame_time: float
    channels: np.ndarray
    positions: np.ndarray

    @property
    def joint_names(self) -> tuple[str, ...]:
        return tuple(joint.name for joint in self.joints)

    @property
    def num_frames(self) -> int:
        return self.channels.shape[0]

    @property
    def frame_rate(self) -> float:
        return 1.0 / self.frame_time

    def joint_positions(self, names) -> np.ndarray:
        """Positions ``(F, len(names), 3)`` of the named joints, in the given order."""
        index = {name: i for i, name in enumerate(self.joint_names)}
        missing = [name for name in names if name not in index]
        if missing:
            raise ValueError(
                f"{self.source}: no joint {missing[0]!r} in the BVH hierarchy; "
                f"its joints are {', '.join(self.joint_names)}"
            )
        return self.positions[:, [index[name] for name in names]]


class _Tokens:
    """The hierarchy's whitespace-separated tokens with their line numbers."""

    def __init__(self, lines: list[tuple[int, str]], source: str):
        self.items = [(token, number) for number, line in lines for token in line.split()]
        self.position = 0
        self.source = source

    def error(self, message: str) -> ValueError:
        line = self.items[min(self.position, len(self.items) - 1)][1] if self.items else 1
        return ValueError(f"{self.source}: line {line}: {message}")

    def done(self) -> bool:
        return self.position >= len(self.items)

    def next(self, what: str) -> str:
        if self.done():
            raise self.error(f"expected {what}, but the hierarchy ended")
        token = self.items[self.position][0]
        self.position += 1
        return token

    def expect(self, literal: str) -> None:
        token = self.next(repr(literal))
        if token != literal:
            self.position -= 1
            raise self.error(f"expected {literal!r}, found {token!r}")

    def number(self, what: str, kind=float):
        token = self.next(what)
        try:
            return kind(token)
        except ValueError:
            self.position -= 1
            raise self.error(f"expected {what}, found {token!r}") from None


def _parse_joint(tokens: _Tokens, parent: int, joints: list[BvhJoint], column: int) -> int:
    """Parses a ``ROOT``/``JOINT`` block (after its keyword) into ``joints``; returns the next free column."""
    name = tokens.next("a joint name")
    tokens.expect("{")
    index = len(joints)
    joints.append(None)  # reserves the depth-first index; filled once the block is read
    offset, channels = None, None
    while True:
        keyword = tokens.next("OFFSET, CHANNELS, JOINT, End Site or '}'")
        if keyword == "OFFSET":
            offset = np.array([tokens.number("an OFFSET coordinate") for _ in range(3)])
        elif keyword == "CHANNELS":
            if channels is not None:
                raise tokens.error(f"joint {name!r} has a second CHANNELS line")
            count = tokens.number("a channel count", int)
            channels = tuple(tokens.next("a channel name") for _ in range(count))
            unknown = [c for c in channels if c not in POSITION_CHANNELS + ROTATION_CHANNELS]
            if unknown or len(set(channels)) != count:
                tokens.position -= 1
                raise tokens.error(
                    f"joint {name!r} has channels {' '.join(channels)}; expected distinct names among "
                    f"{', '.join(POSITION_CHANNELS + ROTATION_CHANNELS)}"
                )
            first_column = column
            column += count
        elif keyword == "JOINT":
            # Motion rows list a joint's channels before its children's.
            if channels is None:
                raise tokens.error(f"joint {name!r} declares a child before its CHANNELS")
            column = _parse_joint(tokens, index, joints, column)
        elif keyword == "End":
            tokens.expect("Site")
            tokens.expect("{")
            tokens.expect("OFFSET")
            for _ in range(3):
                tokens.number("an OFFSET coordinate")
            tokens.expect("}")
        elif keyword == "}":
            break
        else:
            tokens.position -= 1
            raise tokens.error(f"unexpected {keyword!r} in joint {name!r}")
    if offset is None or channels is None:
        raise tokens.error(f"joint {name!r} lacks {'an OFFSET' if offset is None else 'a CHANNELS line'}")
    joints[index] = BvhJoint(name, parent, offset, channels, first_column)
    return column


def _parse_hierarchy(lines: list[tuple[int, str]], source: str) -> tuple[BvhJoint, ...]:
    tokens = _Tokens(lines, source)
    tokens.expect("HIERARCHY")
    joints: list[BvhJoint] = []
    column = 0
    while not tokens.done():
        tokens.expect("ROOT")
        try:
            column = _parse_joint(tokens, -1, joints, column)
        except RecursionError:  # _parse_joint recurses once per level; a skeleton is a few dozen deep
            raise ValueError(f"{source}: the joint hierarchy is nested too deeply ({len(joints)} joints read)") from None
    if not joints:
        raise ValueError(f"{source}: the HIERARCHY section declares no ROOT joint")
    names = [joint.name for joint in joints]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValueError(f"{source}: joint name {duplicates[0]!r} appears more than once in the hierarchy")
    return tuple(joints)


def _header_value(lines: list[tuple[int, str]], position: int, label: str, kind, source: str):
    if position >= len(lines):
        raise ValueError(f"{source}: the MOTION section ends before its {label!r} line")
    number, line = lines[position]
    if not line.strip().startswith(label):
        raise ValueError(f"{source}: line {number}: expected {label!r}, found {line.strip()!r}")
    text = line.strip()[len(label) :].strip()
    try:
        return kind(text)
    except ValueError:
        raise ValueError(f"{source}: line {number}: {label} {text!r} is not a valid number") from None


MAX_FRAME_TIME = 1.0  # seconds: motion capture samples at 1 fps or faster


def _parse_motion(lines: list[tuple[int, str]], num_channels: int, source: str) -> tuple[float, np.ndarray]:
    num_frames = _header_value(lines, 0, "Frames:", int, source)
    frame_time = _header_value(lines, 1, "Frame Time:", float, source)
    if num_frames < 0:
        raise ValueError(f"{source}: line {lines[0][0]}: Frames: {num_frames} is negative")
    if not 0 < frame_time <= MAX_FRAME_TIME:  # beyond it, resampling to 30 fps would make an absurd number of frames
        raise ValueError(f"{source}: line {lines[1][0]}: Frame Time: {frame_time} must be in (0, {MAX_FRAME_TIME:g}] seconds")
    rows = lines[2:]
    if len(rows) != num_frames:
        state = "truncated" if len(rows) < num_frames else "too long"
        raise ValueError(f"{source}: motion section {state}: 'Frames: {num_frames}' but {len(rows)} frame rows")
    channels = np.empty((num_frames, num_channels))
    for frame, (number, line) in enumerate(rows):
        values = line.split()
        if len(values) != num_channels:
            raise ValueError(
                f"{source}: line {number}: frame {frame} has {len(values)} values; "
                f"the hierarchy declares {num_channels} channels"
            )
        try:
            channels[frame] = np.array(values, dtype=np.float64)
        except ValueError:
            bad = next(v for v in values if not _is_number(v))
            raise ValueError(f"{source}: line {number}: frame {frame} has a non-numeric value {bad!r}") from None
    if not np.isfinite(channels).all():
        frame = int(np.flatnonzero(~np.isfinite(channels).all(axis=1))[0])
        raise ValueError(f"{source}: line {rows[frame][0]}: frame {frame} has a NaN or infinite value")
    return frame_time, channels


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def forward_kinematics(joints: tuple[BvhJoint, ...], channels: np.ndarray) -> np.ndarray:
    """World joint positions ``(F, J, 3)`` from motion rows ``(F, C)`` (see the module docstring)."""
    num_frames = channels.shape[0]
    world_rotation = np.empty((num_frames, len(joints), 3, 3))
    world_position = np.empty((num_frames, len(joints), 3))
    for j, joint in enumerate(joints):
        translation = np.broadcast_to(joint.offset, (num_frames, 3)).copy()
        rotation_axes, rotation_columns = "", []
        for k, channel in enumerate(joint.channels):
            column = channels[:, joint.first_column + k]
            axis = "XYZ".index(channel[0])
            if channel in POSITION_CHANNELS:
                translation[:, axis] = column
            else:
                rotation_axes += channel[0]
                rotation_columns.append(column)
        if rotation_axes:
            # Upper-case axes: intrinsic rotations, so "ZXY" is Rz @ Rx @ Ry.
            angles = np.stack(rotation_columns, axis=1)  # (F, number of rotation channels)
            local_rotation = Rotation.from_euler(rotation_axes, angles, degrees=True).as_matrix()
        else:
            local_rotation = np.broadcast_to(np.eye(3), (num_frames, 3, 3))
        if joint.parent < 0:
            world_rotation[:, j] = local_rotation
            world_position[:, j] = translation
        else:
            parent_rotation = world_rotation[:, joint.parent]
            world_rotation[:, j] = parent_rotation @ local_rotation
            rotated = np.einsum("fab,fb->fa", parent_rotation, translation)
            world_position[:, j] = world_position[:, joint.parent] + rotated
    return world_position


def read_bvh(path: str | os.PathLike, scale: float = DEFAULT_SCALE) -> BvhMotion:
    """Parses a BVH file and computes world positions of all its joints (times ``scale``)."""
    path = pathlib.Path(path)
    source = str(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: BVH file not found")
    try:
        text = path.read_text()
    except UnicodeDecodeError:
        raise ValueError(f"{path}: not a BVH file (not text)") from None
    lines = [(number, line) for number, line in enumerate(text.splitlines(), start=1) if line.strip()]
    if not lines:
        raise ValueError(f"{path}: the file is empty")
    if lines[0][1].split()[0] != "HIERARCHY":
        first_line = lines[0][1].strip()[:40]
        raise ValueError(f"{path}: line {lines[0][0]}: not a BVH file: expected 'HIERARCHY', found {first_line!r}")
    motion_start = next((i for i, (_, line) in enumerate(lines) if line.split()[0] == "MOTION"), None)
    if motion_start is None:
        raise ValueError(f"{path}: no MOTION section")
    joints = _parse_hierarchy(lines[:motion_start], source)
    num_channels = sum(len(joint.channels) for joint in joints)
    frame_time, channels = _parse_motion(lines[motion_start + 1 :], num_channels, source)
    positions = forward_kinematics(joints, channels) * scale
    return BvhMotion(source=source, joints=joints, frame_time=frame_time, channels=channels, positions=positions)


def resample(positions: np.ndarray, frame_time: float, frame_rate: float) -> np.ndarray:
    """Linearly interpolates positions ``(F, ...)`` sampled every ``frame_time`` s to ``frame_rate`` fps."""
    num_frames = positions.shape[0]
    if num_frames < 2 or abs(frame_time * frame_rate - 1.0) < 1e-4:
        return positions
    duration = (num_frames - 1) * frame_time
    # Frame Time is printed to ~6 digits: a last sample up to 1 % of a frame past the end still counts.
    target_times = np.arange(int(np.floor(duration * frame_rate + 0.01)) + 1) / frame_rate
    source_index = np.minimum(target_times / frame_time, num_frames - 1)
    lower = np.minimum(np.floor(source_index).astype(int), num_frames - 2)
    weight = (source_index - lower).reshape((-1,) + (1,) * (positions.ndim - 1))
    return (1.0 - weight) * positions[lower] + weight * positions[lower + 1]


def _ordered_bvh_names(joint_map: Mapping[str, str], source: str) -> list[str]:
    missing = [name for name in STEP16.joint_names if name not in joint_map]
    extra = sorted(set(joint_map) - set(STEP16.joint_names))
    if missing or extra:
        raise ValueError(
            f"{source}: the joint map must name a BVH joint for each of the 16 STEP joints "
            f"({', '.join(STEP16.joint_names)}); "
            + (f"missing {missing[0]!r}" if missing else f"unknown STEP joint {extra[0]!r}")
        )
    return [joint_map[name] for name in STEP16.joint_names]


def bvh_positions(
    path: str | os.PathLike,
    joint_map: Mapping[str, str] = BANDAI_NAMCO_JOINT_MAP,
    scale: float = DEFAULT_SCALE,
    frame_rate: float | None = FRAME_RATE,
) -> np.ndarray:
    """The 16 STEP joints of a BVH clip, ``(F, 16, 3)`` float32, world frame, y up.

    ``joint_map`` maps each STEP16 joint name to a BVH joint name. The clip is
    resampled to ``frame_rate`` fps (``None``: kept at the file's rate).
    """
    motion = read_bvh(path, scale=scale)
    positions = motion.joint_positions(_ordered_bvh_names(joint_map, motion.source))
    if frame_rate is not None:
        positions = resample(positions, motion.frame_time, frame_rate)
    return positions.astype(np.float32)


def window_starts(num_frames: int, window: int = NUM_FRAMES, stride: int = DEFAULT_STRIDE) -> list[int]:
    """First frames of the whole windows of ``window`` frames, ``stride`` apart ([0] for a short clip)."""
    if window < 1 or stride < 1:
        raise ValueError(f"window and stride must be positive, got window={window}, stride={stride}")
    return list(range(0, max(num_frames - window, 0) + 1, stride))


def bvh_windows(
    path: str | os.PathLike,
    joint_map: Mapping[str, str] = BANDAI_NAMCO_JOINT_MAP,
    num_frames: int = NUM_FRAMES,
    stride: int = DEFAULT_STRIDE,
    scale: float = DEFAULT_SCALE,
    frame_rate: float = FRAME_RATE,
    plausibility_check: bool = True,
) -> tuple[np.ndarray, np.ndarray]:
    """Keys ``(N,)`` and gaits ``(N, num_frames, 16, 3)`` float32 of one BVH clip, unlabelled.

    Windows start every ``stride`` frames (after resampling to ``frame_rate``);
    keys are ``f"{stem}_{start:05d}"``. A clip shorter than ``num_frames`` is
    tiled only if it has ``MIN_FRAMES`` frames (``plausibility_check=False``: any).
    """
    path = pathlib.Path(path)
    positions = bvh_positions(path, joint_map=joint_map, scale=scale, frame_rate=frame_rate)
    if positions.shape[0] == 0:
        raise ValueError(f"{path}: the clip has no frames")
    starts = window_starts(positions.shape[0], num_frames, stride)
    gaits = np.stack([
        fit_real_frames(positions[start : start + num_frames], num_frames,
                        f"{path} (resampled to {frame_rate:g} fps)", plausibility_check)
        for start in starts
    ])
    return np.array([window_key(path.stem, start) for start in starts]), gaits


def read_bvh_gaits(
    path: str | os.PathLike,
    label: str,
    label_names: tuple[str, ...] = EMOTIONS,
    **window_options,
) -> GaitSet:
    """Cuts one BVH clip into gaits (``bvh_windows``), all labelled ``label``, grouped by the file stem.

    ``window_options`` go to ``bvh_windows`` (joint_map, num_frames, stride, scale, frame_rate, plausibility_check).
    """
    path = pathlib.Path(path)
    if label not in label_names:
        raise ValueError(f"{path}: unknown label {label!r}; the label names are {', '.join(label_names)}")
    keys, gaits = bvh_windows(path, **window_options)
    return GaitSet(
        joints=gaits,
        labels=np.full(len(keys), label_names.index(label), dtype=np.int32),
        label_names=tuple(label_names),
        groups=np.full(len(keys), path.stem),
        keys=keys,
        source=str(path),
    )


def infer_label(path: str | os.PathLike, label_names: tuple[str, ...] = EMOTIONS) -> str:
    """The one label name among the words of a file name (``"normal"`` counts as ``"neutral"``)."""
    words = re.split(r"[^a-z]+", pathlib.Path(path).stem.lower())
    names = {name.lower(): name for name in label_names}
    found = {names[LABEL_ALIASES.get(word, word)] for word in words if LABEL_ALIASES.get(word, word) in names}
    if len(found) != 1:
        problem = "names no label" if not found else f"names several labels ({', '.join(sorted(found))})"
        raise ValueError(
            f"{path}: cannot infer the label from the file name: it {problem}; expected exactly one word "
            f"among {', '.join(label_names)} (or 'normal' for neutral), or pass labels="
        )
    return found.pop()


def read_bvh_folder(
    directory: str | os.PathLike,
    labels: Mapping[str, str] | None = None,
    label_names: tuple[str, ...] = EMOTIONS,
    **gait_options,
) -> GaitSet:
    """Reads every ``*.bvh`` file of ``directory`` (not its subfolders), in sorted order.

    ``labels`` maps file names or stems to label names; ``None`` infers each
    label from its file name (see ``infer_label``). ``gait_options`` go to
    ``read_bvh_gaits`` (joint_map, num_frames, stride, scale, frame_rate, plausibility_check).
    """
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: folder not found")
    paths = sorted(p for p in directory.iterdir() if p.is_file() and p.suffix.lower() == ".bvh")
    if not paths:
        raise ValueError(f"{directory}: the folder holds no .bvh files")
    gait_sets = []
    for path in paths:
        if labels is None:
            label = infer_label(path, label_names)
        elif path.name in labels or path.stem in labels:
            label = labels.get(path.name, labels.get(path.stem))
        else:
            raise ValueError(
                f"{path}: no label given for this file (labels= names neither {path.name!r} nor {path.stem!r})"
            )
        gait_sets.append(read_bvh_gaits(path, label, label_names=label_names, **gait_options))
    return concatenate(gait_sets, source=str(directory))
