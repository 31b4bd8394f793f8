"""Following every person through a video: found by BlazePose's detector, followed by its landmark model, every pose checked.

A track is one person followed from frame to frame, MediaPipe's way: the
landmark model runs on the track's region of interest (ROI) and the two
auxiliary landmarks it returns, smoothed, give the next frame's ROI. Several
tracks can live at once; each has its own id, ROI and filters.

Finding people: the detector runs on every frame while nobody is followed, on
the frame a track ends, and every ``DETECT_EVERY`` frames otherwise (so that
people who come in are found). A detection whose mid-hip key point lies within
``SAME_PERSON_DISTANCE`` ROI sides of a live track's mid-hip is that person.
Any other detection is tried: the landmark model on its ROI must say that a
person is present and pass the plausibility check, then it becomes a track. It
takes the id of a track lost at most ``REID_SECONDS`` ago whose last mid-hip
lies within ``REID_DISTANCE`` of that track's ROI sides (the same person after
a brief loss), else a new id.

Losing people: a track ends on the first frame where

* the model's pose-presence probability is below ``PRESENCE_THRESHOLD``;
* the pose is implausible (``implausibility``): the mid-hip is outside the
  image; the ROI side is under ``MIN_ROI_PIXELS`` (too few pixels for a pose)
  or over ``MAX_ROI_SCALE`` times the image's larger side (no person fills
  more: a region drifting and growing); a bone of the world skeleton is
  outside ``BONE_RANGES`` metres (a body no human has);
* its mid-hip comes within ``SAME_PERSON_DISTANCE`` of an older live track's
  (two tracks on one person): the younger one ends.

Smoothing is MediaPipe's, per track: One-Euro filters (``step_tf.pose.smoothing``)
on the world landmarks (min cutoff 0.1 Hz, beta 40, derivative cutoff 1 Hz, in
metres), on the image landmarks (0.05, 80, 1, scaled by the person's size in
pixels) and on the auxiliary points (0.01, 10, 1); a new track starts fresh.
"""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np

from step_tf.pose.blazepose import NUM_LANDMARKS, BlazePose, Landmarks, Roi
from step_tf.pose.smoothing import OneEuroFilter

PRESENCE_THRESHOLD = 0.5
DETECT_EVERY = 10
SAME_PERSON_DISTANCE = 0.2
REID_SECONDS = 1.0
REID_DISTANCE = 0.5
MIN_ROI_PIXELS = 32.0
MAX_ROI_SCALE = 2.0
# (name, BlazePose landmark pairs, (shortest, longest) in metres): wide of any adult's or child's (the fixture
# walker's are 0.20-0.49 m, and the model gave a real person's thigh 0.15 m on a half-size frame); the torso runs
# from mid-shoulder to mid-hip. They catch bodies no human has, not unusual people.
BONE_RANGES = (
    ("thigh", ((23, 25), (24, 26)), (0.08, 1.0)),
    ("shin", ((25, 27), (26, 28)), (0.08, 1.0)),
    ("upper arm", ((11, 13), (12, 14)), (0.05, 0.7)),
    ("forearm", ((13, 15), (14, 16)), (0.05, 0.7)),
)
TORSO_RANGE = (0.15, 1.0)
HIPS, SHOULDERS = [23, 24], [11, 12]


@dataclasses.dataclass(frozen=True)
class PoseFrame:
    """One tracked person's pose in one frame.

    ``world`` ``(33, 3)`` metres, hip-centred, BlazePose's axes (x right, y
    down, z away from the camera); ``image`` ``(33, 3)`` x and y normalised to
    the image width and height, z in units of the width; ``visibility``
    ``(33,)`` and ``presence`` (the model's pose-presence probability) in
    [0, 1]; ``roi`` the region the landmarks came from; ``track_id`` the
    person; ``box`` ``(x_min, y_min, x_max, y_max)`` around the landmarks, in
    pixels, clipped to the image.
    """

    world: np.ndarray
    image: np.ndarray
    visibility: np.ndarray
    presence: float
    roi: Roi
    track_id: int
    box: np.ndarray


def implausibility(landmarks: Landmarks, roi: Roi, width: int, height: int) -> str | None:
    """Why the pose ``landmarks`` (from ``roi`` of a ``width`` x ``height`` frame) is not a person's, or ``None``."""
    hip = landmarks.image[HIPS, :2].mean(axis=0)
    if not (0.0 <= hip[0] <= width and 0.0 <= hip[1] <= height):
        return f"mid-hip at ({hip[0]:.0f}, {hip[1]:.0f}) px, outside the {width}x{height} image"
    if not MIN_ROI_PIXELS <= roi.size <= MAX_ROI_SCALE * max(width, height):
        return (f"tracked region of {roi.size:.3g} px, outside {MIN_ROI_PIXELS:g}..{MAX_ROI_SCALE:g} x the image's "
                f"{max(width, height)} px")
    world = landmarks.world
    for name, pairs, (shortest, longest) in BONE_RANGES:
        for i, j in pairs:
            length = float(np.linalg.norm(world[i] - world[j]))
            if not shortest <= length <= longest:
                return f"{name} of {length:.2f} m, outside {shortest:g}..{longest:g} m"
    torso = float(np.linalg.norm(world[SHOULDERS].mean(axis=0) - world[HIPS].mean(axis=0)))
    if not TORSO_RANGE[0] <= torso <= TORSO_RANGE[1]:
        return f"torso of {torso:.2f} m, outside {TORSO_RANGE[0]:g}..{TORSO_RANGE[1]:g} m"
    return None


def rejection(landmarks: Landmarks, roi: Roi, width: int, height: int) -> str | None:
    """Why ``landmarks`` end (or do not start) a track: no presence or an implausible pose; ``None`` when they are a person."""
    if landmarks.presence < PRESENCE_THRESHOLD:
        return f"pose presence {landmarks.presence:.2f} < {PRESENCE_THRESHOLD:g}"
    return implausibility(landmarks, roi, width, height)


class _Track:
    """One followed person: id, the ROI for the next frame, its own filters, its last mid-hip (pixels) and time."""

    def __init__(self, track_id: int, roi: Roi):
        self.track_id, self.roi = track_id, roi
        self.hip: np.ndarray | None = None
        self.last_time: float | None = None
        self._world_filter = OneEuroFilter(min_cutoff=0.1, beta=40.0, derivative_cutoff=1.0)
        self._image_filter = OneEuroFilter(min_cutoff=0.05, beta=80.0, derivative_cutoff=1.0)
        self._auxiliary_filter = OneEuroFilter(min_cutoff=0.01, beta=10.0, derivative_cutoff=1.0)

    def update(self, landmarks: Landmarks, timestamp: float, width: int, height: int) -> PoseFrame:
        """Smooths ``landmarks`` (taken on ``self.roi``), moves the ROI on, returns the frame's pose."""
        body = landmarks.image[:NUM_LANDMARKS]
        object_scale = float(np.mean(body[:, :2].max(axis=0) - body[:, :2].min(axis=0)))
        value_scale = 1.0 / max(object_scale, 1e-6)
        body = self._image_filter(body, timestamp, value_scale)
        auxiliary = self._auxiliary_filter(landmarks.image[NUM_LANDMARKS:NUM_LANDMARKS + 2], timestamp, value_scale)
        world = self._world_filter(landmarks.world, timestamp, 1.0)
        roi = self.roi
        self.roi = Roi.from_points(auxiliary[0, :2], auxiliary[1, :2])
        self.hip, self.last_time = body[HIPS, :2].mean(axis=0), timestamp
        low = np.clip(body[:, :2].min(axis=0), 0.0, [width, height])
        high = np.clip(body[:, :2].max(axis=0), 0.0, [width, height])
        return PoseFrame(
            world=world.astype(np.float32),
            image=(body / np.array([width, height, width])).astype(np.float32),
            visibility=landmarks.visibility.astype(np.float32),
            presence=landmarks.presence,
            roi=roi,
            track_id=self.track_id,
            box=np.concatenate([low, high]).astype(np.float32),
        )


def _near(hip: np.ndarray, tracks: list[_Track], distance: float) -> _Track | None:
    """The first of ``tracks`` whose mid-hip lies within ``distance`` of its ROI sides of ``hip`` (pixels), or ``None``."""
    return next((track for track in tracks if np.linalg.norm(hip - track.hip) < distance * track.roi.size), None)


class PoseTracker:
    """Every person in a video, frame by frame (see the module docstring); feed frames in time order with ``process``.

    ``models``: the BlazePose models to use (shared between trackers, they
    keep no state). ``end_reasons[track_id]`` says why each ended track ended.
    """

    def __init__(self, models: BlazePose | None = None, detect_every: int = DETECT_EVERY):
        if detect_every < 1:
            raise ValueError(f"detect_every must be at least 1 frame, got {detect_every}")
        self.models = models or BlazePose()
        self.detect_every = detect_every
        self.restart()

    def restart(self) -> None:
        """Forgets everyone (a new video)."""
        self._tracks: list[_Track] = []
        self._lost: list[_Track] = []
        self._next_id = 0
        self._frame = 0
        self._last_time: float | None = None
        self.end_reasons: dict[int, str] = {}

    def _end(self, track: _Track, reason: str) -> None:
        self.end_reasons[track.track_id] = reason
        self._lost.append(track)

    def _new_id(self, hip: np.ndarray, timestamp: float) -> int:
        track = _near(hip, self._lost, REID_DISTANCE)  # lost at most REID_SECONDS ago: older ones are forgotten
        if track is not None:
            self._lost.remove(track)
            self.end_reasons.pop(track.track_id, None)
            return track.track_id
        self._next_id += 1
        return self._next_id - 1

    def process(self, image_bgr: np.ndarray, timestamp: float) -> list[PoseFrame]:
        """The pose of every person followed in one ``(H, W, 3)`` BGR uint8 frame taken at ``timestamp`` seconds."""
        if image_bgr.ndim != 3 or image_bgr.shape[2] != 3 or image_bgr.dtype != np.uint8:
            raise ValueError(f"a frame must be an (H, W, 3) uint8 BGR image, got {image_bgr.shape} {image_bgr.dtype}")
        if self._last_time is not None and timestamp <= self._last_time:
            raise ValueError(f"frame timestamps must increase: {timestamp} s after {self._last_time} s")
        height, width = image_bgr.shape[:2]
        image_rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
        self._lost = [track for track in self._lost if timestamp - track.last_time <= REID_SECONDS]
        poses, alive, ended = [], [], False
        for track in self._tracks:  # oldest first, so that of two tracks on one person the younger ends
            landmarks = self.models.landmarks(image_rgb, track.roi)
            reason = rejection(landmarks, track.roi, width, height)
            twin = _near(landmarks.image[HIPS, :2].mean(axis=0), alive, SAME_PERSON_DISTANCE)
            if reason is None and twin is not None:
                reason = f"the same person as track {twin.track_id}"
            if reason is not None:
                self._end(track, reason)
                ended = True
                continue
            poses.append(track.update(landmarks, timestamp, width, height))
            alive.append(track)
        if not alive or ended or self._frame % self.detect_every == 0:
            pixels = np.array([width, height], dtype=np.float64)
            for detection in self.models.detect(image_rgb):
                hip = detection.keypoints[0] * pixels
                if _near(hip, alive, SAME_PERSON_DISTANCE) is not None:
                    continue
                roi = Roi.from_points(hip, detection.keypoints[1] * pixels)
                landmarks = self.models.landmarks(image_rgb, roi)
                hip = landmarks.image[HIPS, :2].mean(axis=0)
                # The detector's mid-hip is rough: the landmarks' tell better whether this is someone already followed.
                if rejection(landmarks, roi, width, height) is not None or _near(hip, alive, SAME_PERSON_DISTANCE) is not None:
                    continue
                track = _Track(self._new_id(hip, timestamp), roi)
                poses.append(track.update(landmarks, timestamp, width, height))
                alive.append(track)
        self._tracks = alive
        self._frame += 1
        self._last_time = timestamp
        return poses

    def finish(self) -> None:
        """Ends the live tracks at the end of the video (``end_reasons`` says so)."""
        for track in self._tracks:
            self.end_reasons[track.track_id] = "the video ended"
        self._tracks = []
