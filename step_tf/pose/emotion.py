"""Video -> people -> poses -> gaits -> perceived emotion, for a file (``analyse_video``) or a live stream (``EmotionStream``).

Both paths run the same steps: ``PoseTracker.process`` per frame (every
person, each a track), each track's poses gathered in a ``PoseSequence``, cut
into 30 fps segments by ``step_tf.pose.gait.segments`` and 75-frame windows
(for a stream, the last 75 frames, tiled when shorter), each window judged
walking or not by ``step_tf.pose.walking``, and only walking windows
classified.

Window states: ``walking``, ``not walking`` (``step_tf.pose.walking.RULE``)
and ``no person``: a window of the video's 30 fps time grid (75 frames every
30, and one ending on the last frame) in which no frame has anybody in it.

Whom to classify (``PERSON_RULES``): by default every track with walking
windows, each with its own result; ``largest`` the track with the largest
median box; ``walker`` the track with the most walking windows (then the
longest); or a track id. A track's result, and the video's, is the mean of the
class probabilities of its walking windows (each 2.5 s of walking counts
once), with how many there were; without a walking window the result is
"no walking found", never an emotion.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import time
from typing import Callable

import numpy as np

from step_tf.data.bvh import DEFAULT_STRIDE, window_starts
from step_tf.data.gaits import FRAME_RATE, NUM_FRAMES, window_key
from step_tf.data.preprocess import fit_frames
from step_tf.pose.classifier import Classifier
from step_tf.pose.gait import MAX_GAP_SECONDS, MIN_SEGMENT_SECONDS, PoseSequence, Segment, Window, segments, windows
from step_tf.pose.tracking import PoseTracker
from step_tf.pose.video_io import VideoReader
from step_tf.pose.walking import NO_PERSON, NOT_WALKING, RULE, WALKING, check_walking

PERSON_RULES = {
    "all": "every track with walking windows, each on its own",
    "largest": "the track with the largest median box",
    "walker": "the track with the most walking windows (then the longest present)",
}
NO_WALKING = "no walking found"


@dataclasses.dataclass
class Track:
    """One person over the video: the frames they are in (indices), their boxes there (pixels), poses, why the track ended."""

    track_id: int
    frames: list[int]
    boxes: list[np.ndarray]
    sequence: PoseSequence
    end_reason: str = ""

    @property
    def median_area(self) -> float:
        boxes = np.asarray(self.boxes)
        return float(np.median((boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])))


@dataclasses.dataclass(frozen=True)
class Span:
    """A window of the video's time grid with nobody in it."""

    start_time: float
    end_time: float


@dataclasses.dataclass
class Extraction:
    """Everyone in a video, their gaits and the empty stretches; ``stage_seconds`` the time spent decoding, on poses and on gaits.

    ``timestamps`` ``(F,)`` of every frame; ``present`` ``(F,)`` whether the
    model found a person in it; ``windows`` every track's windows (walking or
    not); ``empty`` the ``no person`` windows.
    """

    path: pathlib.Path
    width: int
    height: int
    timestamps: np.ndarray
    present: np.ndarray
    tracks: list[Track]
    segments: list[Segment]
    windows: list[Window]
    empty: list[Span]
    notes: list[str]
    stage_seconds: dict[str, float]

    @property
    def num_frames(self) -> int:
        return len(self.timestamps)

    @property
    def detected_fraction(self) -> float:
        """The share of frames in which the model says a person is present."""
        return float(self.present.mean()) if len(self.present) else 0.0

    def track(self, track_id: int) -> Track:
        for track in self.tracks:
            if track.track_id == track_id:
                return track
        raise ValueError(f"{self.path}: there is no track {track_id}; tracks: {', '.join(str(t.track_id) for t in self.tracks) or 'none'}")

    def gait_key(self, window: Window, stem: str | None = None) -> str:
        """``STEM_SEGMENT_START`` (start in 30 fps frames of its segment), the key of a window saved as a gait."""
        start = round((window.start_time - self.segments[window.segment].start_time) * FRAME_RATE)
        return window_key(f"{stem or self.path.stem}_{window.segment}", start)

    def walking_windows(self, track_ids) -> list[int]:
        """Indices of the walking windows of the tracks ``track_ids``."""
        return [i for i, w in enumerate(self.windows) if w.track_id in track_ids and w.walk.state == WALKING]


def empty_spans(timestamps: np.ndarray, present: np.ndarray, num_frames: int = NUM_FRAMES, stride: int = DEFAULT_STRIDE) -> list[Span]:
    """The windows of the video's 30 fps time grid (``num_frames`` long, every ``stride``, and one ending on the last
    frame, so that an empty end is seen) with nobody in any frame."""
    if len(timestamps) == 0:
        return []
    grid_length = int(np.floor((timestamps[-1] - timestamps[0]) * FRAME_RATE + 1e-3)) + 1
    seen = np.asarray(timestamps)[np.asarray(present, bool)]
    starts = window_starts(grid_length, num_frames, stride)
    if starts[-1] + num_frames < grid_length:
        starts.append(grid_length - num_frames)
    spans = []
    for start in starts:
        begin = timestamps[0] + start / FRAME_RATE
        end = timestamps[0] + (min(start + num_frames, grid_length) - 1) / FRAME_RATE
        if not np.any((seen >= begin - 1e-6) & (seen <= end + 1e-6)):
            spans.append(Span(float(begin), float(end)))
    return spans


def extract_gaits(
    path: str | os.PathLike,
    pose: PoseTracker | None = None,
    num_frames: int = NUM_FRAMES,
    stride: int = DEFAULT_STRIDE,
    max_gap: float = MAX_GAP_SECONDS,
    min_duration: float = MIN_SEGMENT_SECONDS,
    on_frame: Callable[[int, int], None] | None = None,
) -> Extraction:
    """Everyone in the video at ``path``, their tracks, gait windows ``(num_frames, 16, 3)`` and states.

    ``on_frame(frames done, frames expected)`` is called after each frame (a
    progress bar). A video with nobody in it, or nobody walking, is not an
    error: its extraction has no walking window and a note says why.
    """
    reader = VideoReader(path)
    if pose is None:
        pose = PoseTracker()
    else:
        pose.restart()
    tracks: dict[int, Track] = {}
    timestamps, present = [], []
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
        poses = pose.process(image, timestamp)
        seconds["pose"] += time.perf_counter() - started
        for frame in poses:
            track = tracks.setdefault(frame.track_id, Track(frame.track_id, [], [], PoseSequence()))
            track.frames.append(len(timestamps))
            track.boxes.append(frame.box)
            track.sequence.append(timestamp, frame)
        timestamps.append(timestamp)
        present.append(bool(poses))
        if on_frame is not None:
            on_frame(len(timestamps), reader.expected_frames)
    pose.finish()
    notes = reader.notes()
    started = time.perf_counter()
    track_list = [tracks[i] for i in sorted(tracks)]
    for track in track_list:
        track.end_reason = pose.end_reasons.get(track.track_id, "")
    walks = [s for t in track_list for s in segments(t.sequence, (reader.width, reader.height), max_gap, min_duration)]
    gait_windows = windows(walks, num_frames, stride)
    timestamps, present = np.asarray(timestamps, dtype=np.float64), np.asarray(present, dtype=bool)
    if not present.any():
        notes.append(f"{reader.path}: nobody was found in any of its {len(timestamps)} frames")
    elif not walks:
        notes.append(f"{reader.path}: a person was found in {int(present.sum())} of {len(timestamps)} frames, but never for "
                     f"{min_duration:g} s without a gap over {max_gap:g} s: no gait to judge")
    for segment in walks:
        if segment.joints.shape[0] < num_frames:
            notes.append(
                f"{reader.path}: track {segment.track_id}'s stretch from {segment.start_time:.2f} s lasts {segment.duration:.2f} s, "
                f"shorter than one {num_frames}-frame window ({num_frames / FRAME_RATE:.2f} s): it is tiled cyclically to {num_frames} frames"
            )
    empty = empty_spans(timestamps, present, num_frames, stride)
    seconds["gait"] = time.perf_counter() - started
    return Extraction(reader.path, reader.width, reader.height, timestamps, present, track_list, walks, gait_windows,
                      empty, notes, seconds)


def select_tracks(extraction: Extraction, person: str | int = "all") -> list[int]:
    """The ids of the tracks to classify under ``person`` (a ``PERSON_RULES`` name or a track id)."""
    if isinstance(person, int) or str(person).isdecimal():
        return [extraction.track(int(person)).track_id]
    if person not in PERSON_RULES:
        raise ValueError(f"unknown person rule {person!r}; expected a track id or one of {', '.join(PERSON_RULES)}")
    walking = {t.track_id: len(extraction.walking_windows([t.track_id])) for t in extraction.tracks}
    if person == "all":
        return [track_id for track_id, count in walking.items() if count]
    if not extraction.tracks:
        return []
    if person == "largest":
        return [max(extraction.tracks, key=lambda t: (t.median_area, -t.track_id)).track_id]
    best = max(extraction.tracks, key=lambda t: (walking[t.track_id], len(t.frames), -t.track_id))
    return [best.track_id] if walking[best.track_id] else []


def walking_seconds(windows_list: list[Window]) -> float:
    """The time covered by ``windows_list`` (overlaps counted once)."""
    covered, end = 0.0, -np.inf
    for window in sorted(windows_list, key=lambda w: w.start_time):
        stop = window.end_time + 1.0 / FRAME_RATE
        covered += max(0.0, stop - max(window.start_time, end))
        end = max(end, stop)
    return covered


def _result(label_names, probabilities: np.ndarray) -> dict:
    if len(probabilities) == 0:
        return {"state": NO_WALKING, "class_name": None, "windows": 0}
    mean = probabilities.mean(axis=0)
    return {
        "state": WALKING,
        "combined": f"mean of the probabilities of {len(probabilities)} walking window(s)",
        "windows": len(probabilities),
        "class_name": label_names[int(np.argmax(mean))],
        "probabilities": {name: round(float(v), 4) for name, v in zip(label_names, mean)},
    }


def _rounded(values) -> list[float]:
    return [round(float(v), 1) for v in values]


@dataclasses.dataclass
class VideoResult:
    """The classified windows (indices into ``extraction.windows``) of the selected tracks and their probabilities ``(W, K)``."""

    extraction: Extraction
    label_names: tuple[str, ...]
    person: str
    selected: list[int]
    classified: list[int]
    probabilities: np.ndarray
    classify_seconds: float

    def probabilities_of(self, track_ids) -> np.ndarray:
        rows = [row for row, index in enumerate(self.classified) if self.extraction.windows[index].track_id in track_ids]
        return self.probabilities[rows]

    def as_dict(self) -> dict:
        extraction = self.extraction
        total = sum(extraction.stage_seconds.values()) + self.classify_seconds
        rows = {index: row for row, index in enumerate(self.classified)}
        window_entries = []
        for index, window in enumerate(extraction.windows):
            entry = {
                "track": window.track_id, "segment": window.segment, "start_s": round(window.start_time, 3),
                "end_s": round(window.end_time, 3), "state": window.walk.state, "tiled": window.tiled,
                "travel_body_sizes_per_s": round(window.walk.travel_per_second, 3),
                "foot_alternations": window.walk.alternations,
            }
            if index in rows:
                p = self.probabilities[rows[index]]
                entry["class_name"] = self.label_names[int(np.argmax(p))]
                entry["probabilities"] = {name: round(float(v), 4) for name, v in zip(self.label_names, p)}
            window_entries.append(entry)
        window_entries += [{"track": None, "start_s": round(s.start_time, 3), "end_s": round(s.end_time, 3), "state": NO_PERSON}
                           for s in extraction.empty]
        window_entries.sort(key=lambda entry: (entry["start_s"], -1 if entry["track"] is None else entry["track"]))
        tracks = []
        for track in extraction.tracks:
            own = [w for w in extraction.windows if w.track_id == track.track_id]
            walking = [w for w in own if w.walk.state == WALKING]
            times = track.sequence.timestamps
            tracks.append({
                "id": track.track_id,
                "first_frame": track.frames[0], "last_frame": track.frames[-1],
                "start_s": round(times[0], 3), "end_s": round(times[-1], 3), "frames_present": len(track.frames),
                "ended": track.end_reason,
                "windows": {WALKING: len(walking), NOT_WALKING: len(own) - len(walking)},
                "walking_s": round(walking_seconds(walking), 2),
                "selected": track.track_id in self.selected,
                "result": _result(self.label_names, self.probabilities_of([track.track_id])) if track.track_id in self.selected else None,
                "boxes": [[frame] + _rounded(box) for frame, box in zip(track.frames, track.boxes)],
            })
        return {
            "video": str(extraction.path),
            "frames": extraction.num_frames,
            "width": extraction.width, "height": extraction.height,
            "detected_fraction": round(extraction.detected_fraction, 4),
            "label_names": list(self.label_names),
            "rules": {
                "walking": RULE,
                "no person": ("a window of the video's time grid (75 frames every 30 at 30 fps, and one ending on the last frame) "
                              "in which no frame has a person"),
                "emotions": "only walking windows are classified",
            },
            "selection": {"person": self.person, "rule": PERSON_RULES.get(self.person, f"track {self.person}"), "tracks": self.selected},
            "tracks": tracks,
            "windows": window_entries,
            "video_result": {**_result(self.label_names, self.probabilities), "tracks": sorted({extraction.windows[i].track_id for i in self.classified})},
            "notes": extraction.notes,
            "seconds": {**{k: round(v, 3) for k, v in extraction.stage_seconds.items()}, "classify": round(self.classify_seconds, 3)},
            "frames_per_second": round(extraction.num_frames / total, 1) if total > 0 else None,
        }

    def summary(self) -> str:
        """One line for people: frames, presence, each track's walking time and windows classified, the result."""
        report = self.as_dict()
        parts = [f"track {t['id']}: walking {t['walking_s']:.1f} s, {t['windows'][WALKING]} walking / {t['windows'][NOT_WALKING]} "
                 f"not walking window(s){', classified' if t['selected'] else ''}" for t in report["tracks"]]
        result = report["video_result"]
        verdict = (f"{result['class_name']} from {result['windows']} walking window(s) of track(s) {', '.join(map(str, result['tracks']))}"
                   if result["class_name"] else NO_WALKING)
        return (f"{report['frames']} frames, a person present in {100 * report['detected_fraction']:.1f} %, "
                f"{len(report['tracks'])} track(s) ({'; '.join(parts) or 'nobody'}), {report['frames_per_second']} frames/s: {verdict}")


def classify_windows(classifier: Classifier, gait_windows: list[Window]) -> np.ndarray:
    """The probabilities ``(W, K)`` of each window's gait (``(0, K)`` for none)."""
    if not gait_windows:
        return np.zeros((0, len(classifier.label_names)), dtype=np.float32)
    return classifier.predict(np.stack([window.joints for window in gait_windows]))


def analyse_video(path: str | os.PathLike, classifier: Classifier, pose: PoseTracker | None = None, person: str = "all",
                  **options) -> VideoResult:
    """``extract_gaits`` (``options`` go to it), then ``classify_extraction``."""
    return classify_extraction(extract_gaits(path, pose, **options), classifier, person)


def classify_extraction(extraction: Extraction, classifier: Classifier, person: str = "all") -> VideoResult:
    """The walking windows of the tracks ``person`` selects (``select_tracks``), classified."""
    selected = select_tracks(extraction, person)
    classified = extraction.walking_windows(selected)
    started = time.perf_counter()
    probabilities = classify_windows(classifier, [extraction.windows[i] for i in classified])
    return VideoResult(extraction, classifier.label_names, str(person), selected, classified, probabilities,
                       time.perf_counter() - started)


@dataclasses.dataclass(frozen=True)
class StreamUpdate:
    """One person's state at ``timestamp`` (``track_id`` ``None`` and state ``no person`` when nobody is there).

    For a walking person, the probabilities ``(K,)`` of the last ``frames_used``
    frames (tiled when fewer than a window) and the leading class; otherwise
    both ``None``.
    """

    timestamp: float
    track_id: int | None
    state: str
    frames_used: int
    probabilities: np.ndarray | None = None
    class_name: str | None = None


class EmotionStream:
    """Frames in one at a time; every ``every`` frames, the state of each person in view, and the emotion of those walking.

    ``push(frame, timestamp)`` returns the updates when they are due (one per
    person in the frame whose current stretch, without a gap over
    ``max_gap`` s, has lasted ``min_duration`` s; a single ``no person`` update
    when nobody is in the frame), else an empty list. The walking rule and the
    classifier see the last ``num_frames`` frames of the stretch. ``last_poses``
    are the latest frame's poses (for drawing). Only the poses of the last
    window (plus ``max_gap``) are kept, so memory stays constant.
    """

    def __init__(
        self,
        classifier: Classifier,
        every: int = 15,
        num_frames: int = NUM_FRAMES,
        max_gap: float = MAX_GAP_SECONDS,
        min_duration: float = MIN_SEGMENT_SECONDS,
        pose: PoseTracker | None = None,
    ):
        if every < 1:
            raise ValueError(f"every must be at least 1 frame, got {every}")
        self.classifier, self.every, self.num_frames = classifier, every, num_frames
        self.max_gap, self.min_duration = max_gap, min_duration
        self.pose = pose or PoseTracker()
        self.sequences: dict[int, PoseSequence] = {}
        self.frames_seen = 0
        self.last_poses = []

    def push(self, image_bgr: np.ndarray, timestamp: float) -> list[StreamUpdate]:
        self.last_poses = self.pose.process(image_bgr, timestamp)
        for frame in self.last_poses:
            self.sequences.setdefault(frame.track_id, PoseSequence()).append(timestamp, frame)
        self.frames_seen += 1
        horizon = self.num_frames / FRAME_RATE + self.max_gap
        for track_id, sequence in list(self.sequences.items()):
            old = int(np.searchsorted(np.asarray(sequence.timestamps), timestamp - horizon))
            if old == len(sequence):
                del self.sequences[track_id]
            elif old:
                sequence.drop_before(old)
        if self.frames_seen % self.every:
            return []
        if not self.last_poses:
            return [StreamUpdate(timestamp, None, NO_PERSON, 0)]
        height, width = image_bgr.shape[:2]
        updates = []
        for frame in self.last_poses:
            walks = segments(self.sequences[frame.track_id], (width, height), self.max_gap, self.min_duration)
            # Only the stretch going on now counts; one that ended earlier is over.
            if not walks or timestamp - walks[-1].end_time > self.max_gap:
                continue
            joints, image = walks[-1].joints[-self.num_frames:], walks[-1].image[-self.num_frames:]
            check = check_walking(joints, image, walks[-1].frame_rate)
            if check.state != WALKING:
                updates.append(StreamUpdate(timestamp, frame.track_id, check.state, joints.shape[0]))
                continue
            probabilities = self.classifier.predict(fit_frames(joints, self.num_frames)[None])[0]
            updates.append(StreamUpdate(timestamp, frame.track_id, WALKING, joints.shape[0], probabilities,
                                        self.classifier.label_names[int(np.argmax(probabilities))]))
        return updates
