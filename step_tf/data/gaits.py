"""The one in-memory gait representation every reader returns and every model reads.

Conventions (the E-Gait data set's):

* ``joints``: ``(N, T, V, C)`` float32 -- gaits, frames, joints, coordinates;
  channels last, metres, y up, ``FRAME_RATE`` frames per second, V joints in
  the order of a ``step_tf.graph`` layout (16 joints of ``"step16"`` by default).
* ``labels``: ``(N,)`` int32 emotion ids, indices into ``label_names``.
* ``groups``: ``(N,)`` str, the recording (clip or subject) a gait was cut
  from. Splits keep every group on one side, so windows of one recording never
  land in both training and test data.
* ``keys``: ``(N,)`` str, a unique name per gait (the E-Gait HDF5 key).
"""

from __future__ import annotations

import dataclasses

import numpy as np

NUM_FRAMES = 75
FRAME_RATE = 30.0
# The fewest real frames a gait may have before it is tiled to NUM_FRAMES: 0.5 s at 30 fps, one window of the
# affective features' smoothing filter (step_tf.features takes its window from here, so that the readers,
# which enforce the minimum, need not import TensorFlow).
MIN_FRAMES = 15
NUM_COORDINATES = 3
UP_AXIS = 1  # joints are (x, y, z) with y up
# The public STEP code's reading of the E-Gait label integers 0..3.
EMOTIONS = ("angry", "neutral", "happy", "sad")


def window_key(name: str, start: int) -> str:
    """The key of the window of ``name`` (a clip, sequence or segment) that starts at frame ``start``: ``NAME_00012``."""
    return f"{name}_{start:05d}"


@dataclasses.dataclass(frozen=True)
class GaitSet:
    """Gaits with their labels, group keys and names; validated on construction."""

    joints: np.ndarray
    labels: np.ndarray
    label_names: tuple[str, ...] = EMOTIONS
    groups: np.ndarray | None = None
    keys: np.ndarray | None = None
    source: str = "<memory>"

    def __post_init__(self):
        joints = np.asarray(self.joints)
        if joints.ndim != 4 or joints.shape[-1] != NUM_COORDINATES:
            raise ValueError(f"{self.source}: joints must have shape (N, T, V, 3), got {joints.shape}")
        if not np.issubdtype(joints.dtype, np.floating):
            raise ValueError(f"{self.source}: joints must be floating point, got {joints.dtype}")
        joints = joints.astype(np.float32, copy=False)
        num_gaits = joints.shape[0]
        labels = np.asarray(self.labels)
        if labels.shape != (num_gaits,):
            raise ValueError(f"{self.source}: labels must have shape ({num_gaits},), got {labels.shape}")
        if num_gaits and not np.issubdtype(labels.dtype, np.integer):
            raise ValueError(f"{self.source}: labels must be integers, got {labels.dtype}")
        labels = labels.astype(np.int32)
        label_names = tuple(self.label_names)
        if len(set(label_names)) != len(label_names) or not label_names:
            raise ValueError(f"{self.source}: label names must be distinct and non-empty, got {label_names}")
        keys = np.array([f"{i:05d}" for i in range(num_gaits)]) if self.keys is None else np.asarray(self.keys, dtype=str)
        groups = keys if self.groups is None else np.asarray(self.groups, dtype=str)
        for name, values in (("keys", keys), ("groups", groups)):
            if values.shape != (num_gaits,):
                raise ValueError(f"{self.source}: {name} must have shape ({num_gaits},), got {values.shape}")
        if len(set(keys.tolist())) != num_gaits:
            raise ValueError(f"{self.source}: gait keys must be unique")
        bad_label = np.flatnonzero((labels < 0) | (labels >= len(label_names)))
        if bad_label.size:
            i = bad_label[0]
            raise ValueError(
                f"{self.source}: gait {str(keys[i])!r} has label id {labels[i]}, "
                f"outside 0..{len(label_names) - 1} ({', '.join(label_names)})"
            )
        not_finite = np.flatnonzero(~np.isfinite(joints).all(axis=(1, 2, 3)))
        if not_finite.size:
            raise ValueError(f"{self.source}: gait {str(keys[not_finite[0]])!r} has NaN or infinite coordinates")
        for field, value in (("joints", joints), ("labels", labels), ("label_names", label_names), ("groups", groups), ("keys", keys)):
            object.__setattr__(self, field, value)

    def __len__(self) -> int:
        return self.joints.shape[0]

    @property
    def num_frames(self) -> int:
        return self.joints.shape[1]

    @property
    def num_joints(self) -> int:
        return self.joints.shape[2]

    @property
    def num_classes(self) -> int:
        return len(self.label_names)

    def subset(self, indices) -> "GaitSet":
        """The gaits at ``indices`` (an index array or boolean mask)."""
        indices = np.asarray(indices)
        return dataclasses.replace(
            self,
            joints=self.joints[indices],
            labels=self.labels[indices],
            groups=self.groups[indices],
            keys=self.keys[indices],
        )

    def class_counts(self) -> np.ndarray:
        return np.bincount(self.labels, minlength=self.num_classes)


def concatenate(gait_sets: list[GaitSet], source: str | None = None) -> GaitSet:
    """Joins gait sets with the same label names, frame count and joint count."""
    if not gait_sets:
        raise ValueError("nothing to concatenate: no gait sets given")
    first = gait_sets[0]
    for other in gait_sets[1:]:
        if other.label_names != first.label_names:
            raise ValueError(f"{other.source}: label names {other.label_names} differ from {first.label_names} of {first.source}")
        if other.joints.shape[1:] != first.joints.shape[1:]:
            raise ValueError(f"{other.source}: gait shape {other.joints.shape[1:]} differs from {first.joints.shape[1:]} of {first.source}")
    return GaitSet(
        joints=np.concatenate([s.joints for s in gait_sets]),
        labels=np.concatenate([s.labels for s in gait_sets]),
        label_names=first.label_names,
        groups=np.concatenate([s.groups for s in gait_sets]),
        keys=np.concatenate([s.keys for s in gait_sets]),
        source=source or " + ".join(s.source for s in gait_sets),
    )
