"""Video -> poses -> gaits -> perceived emotion, for a file (``analyse_video``) or a live stream (``EmotionStream``).

Both paths run the same steps: ``BlazePose.process`` per frame, the poses
gathered in a ``PoseSequence``, cut into 30 fps segments by
``step_tf.pose.gait.segments``, brought to 75-frame gaits (windows, or the last
75 frames for a stream, tiled when shorter) and classified.

A video's result combines its windows by averaging their class probabilities
(each window, 2.5 s of walking, counts once); the class is the arg-max of the
mean.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import time
from typing import Callable

import numpy as np

from step_tf.data.bvh import DEFAULT_STRIDE
from step_tf.data.gaits import FRAME_RATE, NUM_FRAMES
from step_tf.data.preprocess import fit_frames
from step_tf.pose.blazepose import BlazePose
from step_tf.pose.classifier import Classifier
from step_tf.pose.gait import MAX_GAP_SECONDS, MIN_SEGMENT_SECONDS, PoseSequence, Segment, Window, segments, windows
from step_tf.pose.video_io import VideoReader


@dataclasses.dataclass
class Extraction:
    """The poses of a video and its gaits; ``stage_seconds`` the time spent decoding, on poses and on gaits."""

    path: pathlib.Path
    width: int
    height: int
    sequence: PoseSequence
    segments: list[Segment]
    windows: list[Window]
    notes: list[str]
    stage_seconds: dict[str, float]

    @property
    def num_frames(self) -> int:
        return len(self.sequence)

    @property
    def detected_fraction(self) -> float:
        return float(self.sequence.found.mean()) if len(self.sequence) else 0.0


def extract_gaits(
    path: str | os.PathLike,
    pose: BlazePose | None = None,
    num_frames: int = NUM_FRAMES,
    stride: int = DEFAULT_STRIDE,
    max_gap: float = MAX_GAP_SECONDS,
    min_duration: float = MIN_SEGMENT_SECONDS,
    on_frame: Callable[[int, int], None] | None = None,
) -> Extraction:
    """Poses of every frame of the video at ``path`` and its gait windows ``(num_frames, 16, 3)``.

    ``on_frame(frames done, frames expected)`` is called after each frame (a
    progress bar). Raises ``ValueError`` when nobody, or no walk of at least
    ``min_duration`` seconds, is found.
    """
    reader = VideoReader(path)
    if pose is None:
        pose = BlazePose()
    else:
        pose.restart()
    sequence = PoseSequence()
    seconds = {"decode": 0.0, "pose": 0.0, "gait": 0.0}
    frames = iter(reader)
    while True:
        started = time.perf_counter()
        try:
            image, timestamp = next(frames)
        except StopIteration:
            break
        seconds["decode"] += time.perf_counter() - started
        started = time.perf_counter()
        sequence.append(timestamp, pose.process(image, timestamp))
        seconds["pose"] += time.perf_counter() - started
        if on_frame is not None:
            on_frame(len(sequence), reader.expected_frames)
    notes = reader.notes()
    started = time.perf_counter()
    found = int(sequence.found.sum())
    if found == 0:
        raise ValueError(f"{reader.path}: nobody was found in any of its {len(sequence)} frames")
    walks = segments(sequence, max_gap, min_duration)
    if not walks:
        raise ValueError(
            f"{reader.path}: a person was found in {found} of {len(sequence)} frames, but never for {min_duration:g} s "
            f"without a gap over {max_gap:g} s: no gait to classify"
        )
    if len({segment.track_id for segment in walks}) > 1:
        notes.append(f"{reader.path}: {len({s.track_id for s in walks})} people were followed one after another (a lost "
                     "person was re-detected elsewhere); their gaits are kept apart")
    for segment in walks:
        if segment.joints.shape[0] < num_frames:
            notes.append(
                f"{reader.path}: the walk from {segment.start_time:.2f} s lasts {segment.duration:.2f} s, shorter than one "
                f"{num_frames}-frame window ({num_frames / FRAME_RATE:.2f} s): it is tiled cyclically to {num_frames} frames"
            )
    gait_windows = windows(walks, num_frames, stride)
    seconds["gait"] = time.perf_counter() - started
    return Extraction(reader.path, reader.width, reader.height, sequence, walks, gait_windows, notes, seconds)


@dataclasses.dataclass
class VideoResult:
    """Per-window probabilities ``(W, K)`` and the video's mean; see ``as_dict`` for the JSON form."""

    extraction: Extraction
    label_names: tuple[str, ...]
    probabilities: np.ndarray
    classify_seconds: float

    @property
    def mean_probabilities(self) -> np.ndarray:
        return self.probabilities.mean(axis=0)

    @property
    def class_name(self) -> str:
        return self.label_names[int(np.argmax(self.mean_probabilities))]

    def as_dict(self) -> dict:
        extraction = self.extraction
        total = sum(extraction.stage_seconds.values()) + self.classify_seconds
        return {
            "video": str(extraction.path),
            "frames": extraction.num_frames,
            "detected_fraction": round(extraction.detected_fraction, 4),
            "label_names": list(self.label_names),
            "windows": [
                {
                    "segment": window.segment,
                    "start_s": round(window.start_time, 3),
                    "end_s": round(window.end_time, 3),
                    "tiled": window.tiled,
                    "class_name": self.label_names[int(np.argmax(p))],
                    "probabilities": {name: round(float(v), 4) for name, v in zip(self.label_names, p)},
                }
                for window, p in zip(extraction.windows, self.probabilities)
            ],
            "video_result": {
                "combined": "mean of the window probabilities",
                "class_name": self.class_name,
                "probabilities": {name: round(float(v), 4) for name, v in zip(self.label_names, self.mean_probabilities)},
            },
            "notes": extraction.notes,
            "seconds": {**{k: round(v, 3) for k, v in extraction.stage_seconds.items()}, "classify": round(self.classify_seconds, 3)},
            "frames_per_second": round(extraction.num_frames / total, 1) if total > 0 else None,
        }


def classify_windows(classifier: Classifier, gait_windows: list[Window]) -> np.ndarray:
    """The probabilities ``(W, K)`` of each window's gait."""
    return classifier.predict(np.stack([window.joints for window in gait_windows]))


def analyse_video(path: str | os.PathLike, classifier: Classifier, pose: BlazePose | None = None, **options) -> VideoResult:
    """``extract_gaits`` (``options`` go to it), then every window classified."""
    extraction = extract_gaits(path, pose, **options)
    started = time.perf_counter()
    probabilities = classify_windows(classifier, extraction.windows)
    return VideoResult(extraction, classifier.label_names, probabilities, time.perf_counter() - started)


@dataclasses.dataclass(frozen=True)
class StreamUpdate:
    """The emotion at ``timestamp``: probabilities ``(K,)`` of the last ``frames_used`` frames (tiled when fewer than a window)."""

    timestamp: float
    probabilities: np.ndarray
    class_name: str
    frames_used: int


class EmotionStream:
    """Frames in one at a time; every ``every`` frames, the emotion of the last window of walking.

    ``push(frame, timestamp)`` returns a ``StreamUpdate`` when one is due and
    the current walk (no gap over ``max_gap`` s) has lasted ``min_duration``
    s, else ``None``; ``last_pose`` is the latest frame's pose (for drawing). Only the poses of the last window (plus ``max_gap``) are
    kept, so memory stays constant.
    """

    def __init__(
        self,
        classifier: Classifier,
        every: int = 15,
        num_frames: int = NUM_FRAMES,
        max_gap: float = MAX_GAP_SECONDS,
        min_duration: float = MIN_SEGMENT_SECONDS,
        pose: BlazePose | None = None,
    ):
        if every < 1:
            raise ValueError(f"every must be at least 1 frame, got {every}")
        self.classifier, self.every, self.num_frames = classifier, every, num_frames
        self.max_gap, self.min_duration = max_gap, min_duration
        self.pose = pose or BlazePose()
        self.sequence = PoseSequence()
        self.frames_seen = 0
        self.last_pose = None

    def push(self, image_bgr: np.ndarray, timestamp: float) -> StreamUpdate | None:
        self.last_pose = self.pose.process(image_bgr, timestamp)
        self.sequence.append(timestamp, self.last_pose)
        self.frames_seen += 1
        horizon = self.num_frames / FRAME_RATE + self.max_gap
        old = int(np.searchsorted(np.asarray(self.sequence.timestamps), timestamp - horizon))
        if old:
            self.sequence.drop_before(old)
        if self.frames_seen % self.every:
            return None
        walks = segments(self.sequence, self.max_gap, self.min_duration)
        # A walk that ended more than max_gap ago is over: it is not reported again.
        if not walks or timestamp - walks[-1].end_time > self.max_gap:
            return None
        joints = walks[-1].joints[-self.num_frames:]
        probabilities = self.classifier.predict(fit_frames(joints, self.num_frames)[None])[0]
        return StreamUpdate(timestamp, probabilities, self.classifier.label_names[int(np.argmax(probabilities))], joints.shape[0])
