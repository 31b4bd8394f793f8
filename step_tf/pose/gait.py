"""From per-frame BlazePose landmarks to gaits: axes, 33 -> 16 joints, gaps, 30 fps, windows.

* Axes: BlazePose world landmarks are hip-centred metres with x right, y down
  and z away from the camera (right-handed). Turning them by 180 degrees about
  x, ``(x, y, z) -> (x, -y, -z)``, gives y up and keeps the body's handedness
  (flipping y alone would mirror it, turning a left arm into a right one).
* Joints: ``step_tf.graph.joint_mapping("blazepose33", "step16")``, each STEP
  joint a weighted mean of landmarks.
* People: a ``PoseSequence`` holds one person's poses (one track of
  ``step_tf.pose.tracking``); gaits never mix two people.
* Gaps: frames without a pose between two frames with one are filled by linear
  interpolation when the two are at most ``max_gap`` seconds apart; a longer
  gap splits the sequence into segments.
* 30 fps: each segment is sampled at ``t_0 + k / 30`` s (``k = 0, 1, ...`` up
  to its last pose) by linear interpolation of the poses at the video's own
  timestamps, so 25 and 60 fps (or variable-rate) videos give gaits of the
  speed the classifiers were trained on.
* Windows: ``num_frames`` frames every ``stride`` frames of a segment
  (``step_tf.data.bvh.window_starts``); a segment shorter than one window is
  tiled cyclically to ``num_frames`` (``step_tf.data.preprocess.fit_frames``),
  as the paper's loaders do. Segments shorter than ``min_duration`` seconds
  (less than a step) are dropped. Each window's state, walking or not, is
  ``step_tf.pose.walking``'s rule on its frames (before tiling).
* Centring and view: none here. The classifiers centre on the root inside
  the model and were trained without view normalisation (with random turns
  about the vertical instead), so world landmarks go in as they are.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from step_tf.data.bvh import DEFAULT_STRIDE, window_starts
from step_tf.data.gaits import FRAME_RATE, NUM_FRAMES
from step_tf.data.preprocess import fit_frames
from step_tf.graph import joint_mapping
from step_tf.pose.blazepose import NUM_LANDMARKS
from step_tf.pose.tracking import PoseFrame
from step_tf.pose.walking import WalkCheck, check_walking

BLAZEPOSE_TO_Y_UP = np.array([1.0, -1.0, -1.0], dtype=np.float32)
MAX_GAP_SECONDS = 0.5
MIN_SEGMENT_SECONDS = 1.0


def skeleton_from_world(world: np.ndarray) -> np.ndarray:
    """BlazePose world landmarks ``(..., 33, 3)`` -> STEP joints ``(..., 16, 3)``, y up (see the module docstring)."""
    world = np.asarray(world, dtype=np.float32)
    if world.shape[-2:] != (NUM_LANDMARKS, 3):
        raise ValueError(f"world landmarks must have shape (..., {NUM_LANDMARKS}, 3), got {world.shape}")
    return np.einsum("vj,...jc->...vc", joint_mapping("blazepose33", "step16"), world * BLAZEPOSE_TO_Y_UP)


def image_skeleton(image: np.ndarray) -> np.ndarray:
    """Image landmarks ``(..., 33, 3)`` -> the 16 STEP joints in the image ``(..., 16, 3)`` (for drawing)."""
    return np.einsum("vj,...jc->...vc", joint_mapping("blazepose33", "step16"), np.asarray(image, dtype=np.float32))


@dataclasses.dataclass
class PoseSequence:
    """One person's per-frame poses, NaN where no pose was found.

    ``timestamps`` ``(F,)`` seconds; ``world`` and ``image`` ``(F, 33, 3)``;
    ``visibility`` ``(F, 33)``; ``track_ids`` ``(F,)`` (-1: no pose).
    """

    timestamps: list = dataclasses.field(default_factory=list)
    world: list = dataclasses.field(default_factory=list)
    image: list = dataclasses.field(default_factory=list)
    visibility: list = dataclasses.field(default_factory=list)
    track_ids: list = dataclasses.field(default_factory=list)

    def append(self, timestamp: float, frame: PoseFrame | None) -> None:
        missing = np.full((NUM_LANDMARKS, 3), np.nan, dtype=np.float32)
        self.timestamps.append(float(timestamp))
        self.world.append(missing if frame is None else frame.world)
        self.image.append(missing if frame is None else frame.image)
        self.visibility.append(missing[:, 0] if frame is None else frame.visibility)
        self.track_ids.append(-1 if frame is None else frame.track_id)

    def drop_before(self, count: int) -> None:
        """Forgets the first ``count`` frames (a stream's sliding window)."""
        for values in (self.timestamps, self.world, self.image, self.visibility, self.track_ids):
            del values[:count]

    def __len__(self) -> int:
        return len(self.timestamps)

    @property
    def found(self) -> np.ndarray:
        return np.asarray(self.track_ids) >= 0


@dataclasses.dataclass(frozen=True)
class Segment:
    """One person's continuous stretch of poses: ``joints`` ``(T, 16, 3)`` at ``frame_rate``, y up, from ``start_time`` s.

    ``image`` ``(T, 16, 2)``: the same joints in the image, pixels.
    """

    track_id: int
    start_time: float
    joints: np.ndarray
    image: np.ndarray
    frame_rate: float

    @property
    def duration(self) -> float:
        return self.joints.shape[0] / self.frame_rate

    @property
    def end_time(self) -> float:
        return self.start_time + (self.joints.shape[0] - 1) / self.frame_rate


def resample(timestamps: np.ndarray, values: np.ndarray, frame_rate: float = FRAME_RATE) -> np.ndarray:
    """Samples ``values`` ``(F, ...)`` taken at increasing ``timestamps`` ``(F,)`` at ``t_0 + k / frame_rate``.

    Linear interpolation, up to the last timestamp; returns ``(T, ...)``.
    """
    timestamps = np.asarray(timestamps, dtype=np.float64)
    values = np.asarray(values)
    # The tolerance keeps the last frame when timestamps are rounded (e.g. to ms).
    count = int(np.floor((timestamps[-1] - timestamps[0]) * frame_rate + 1e-3)) + 1
    grid = timestamps[0] + np.arange(count) / frame_rate
    flat = values.reshape(values.shape[0], -1)
    sampled = np.stack([np.interp(grid, timestamps, column) for column in flat.T], axis=-1)
    return sampled.reshape((count,) + values.shape[1:]).astype(values.dtype)


def segments(
    sequence: PoseSequence,
    image_size: tuple[int, int],
    max_gap: float = MAX_GAP_SECONDS,
    min_duration: float = MIN_SEGMENT_SECONDS,
    frame_rate: float = FRAME_RATE,
) -> list[Segment]:
    """The stretches in ``sequence`` (of a ``(width, height)`` video), split at gaps longer than ``max_gap`` s and at changes of person."""
    found = np.flatnonzero(sequence.found)
    if found.size == 0:
        return []
    timestamps = np.asarray(sequence.timestamps, dtype=np.float64)
    track_ids = np.asarray(sequence.track_ids)
    breaks = np.flatnonzero(
        (np.diff(timestamps[found]) > max_gap + 1e-9) | (np.diff(track_ids[found]) != 0)
    ) + 1
    result = []
    for run in np.split(found, breaks):
        times = timestamps[run]
        joints = resample(times, skeleton_from_world(np.stack([sequence.world[i] for i in run])), frame_rate)
        image = image_skeleton(np.stack([sequence.image[i] for i in run]))[..., :2] * np.asarray(image_size, np.float32)
        if joints.shape[0] / frame_rate >= min_duration:
            result.append(Segment(int(track_ids[run[0]]), float(times[0]), joints, resample(times, image, frame_rate), frame_rate))
    return result


@dataclasses.dataclass(frozen=True)
class Window:
    """A gait of one segment: its person, ``joints`` ``(num_frames, 16, 3)``, start and end times (s), whether it was
    tiled, and the walking rule's verdict on it (``walk.state``: walking or not walking)."""

    track_id: int
    segment: int
    start_time: float
    end_time: float
    joints: np.ndarray
    tiled: bool
    walk: WalkCheck


def windows(segment_list: list[Segment], num_frames: int = NUM_FRAMES, stride: int = DEFAULT_STRIDE) -> list[Window]:
    """Windows of ``num_frames`` frames every ``stride`` frames of each segment; short segments tiled."""
    result = []
    for index, segment in enumerate(segment_list):
        length = segment.joints.shape[0]
        for start in window_starts(length, num_frames, stride):
            stop = min(start + num_frames, length)
            result.append(Window(
                track_id=segment.track_id,
                segment=index,
                start_time=segment.start_time + start / segment.frame_rate,
                end_time=segment.start_time + (stop - 1) / segment.frame_rate,
                joints=fit_frames(segment.joints[start:stop], num_frames),
                tiled=length < num_frames,
                walk=check_walking(segment.joints[start:stop], segment.image[start:stop], segment.frame_rate),
            ))
    return result
