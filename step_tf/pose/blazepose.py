"""BlazePose on LiteRT: the person detector and the full landmark model (following people is ``step_tf.pose.tracking``).

This re-implements, in NumPy and OpenCV, the CPU graph of MediaPipe Pose 0.10.21
(``pose_landmark_cpu`` with ``model_complexity=1``) around Google's two model
files shipped in ``step_tf/pose/models`` (Apache-2.0).

Detector (``pose_detection.tflite``): the frame is letterboxed into a
224 x 224 square (black borders), scaled to [-1, 1]. The model scores 2254 SSD
anchors (strides 8, 16, 32, 32, 32 -> 28x28x2 + 14x14x2 + 7x7x6, all of size 1)
and regresses, per anchor ``a`` (centre ``(a_x, a_y)``), a box and 4 key points
in 224-pixel units: ``x = raw_x / 224 + a_x`` (likewise y; sizes ``raw_w / 224``).
Scores are ``sigmoid(clip(raw, -100, 100))``, kept above 0.5, merged by
weighted non-maximum suppression (IoU > 0.3: score-weighted mean of the
boxes and key points, the highest score kept). Key point 0 is the mid-hip,
key point 1 a point whose distance from it gives the body's size and whose
direction gives its rotation.

Region of interest (ROI) from two points ``p0`` (centre) and ``p1``, in
pixels: a square of side ``2 * 1.25 * |p1 - p0|`` centred on ``p0``, rotated by
``theta = pi / 2 - atan2(-(y1 - y0), x1 - x0)`` (wrapped to [-pi, pi)), so that
the body stands upright in the crop. The crop maps output pixel ``(u, v)`` of an
S x S tensor to the image point ``c + R(theta) [(u / S - 1/2) w, (v / S - 1/2) h]``
with ``R(theta) = [[cos, -sin], [sin, cos]]`` (image y down).

Landmark model (``pose_landmark_full.tflite``): a 256 x 256 crop in [0, 1]
gives 39 landmarks ``(x, y, z, visibility, presence)`` in crop pixels (the
last two as logits), the pose-presence flag, and 39 world landmarks in metres
(hip-centred, y down, x right, z away from the camera), which are rotated back
by ``R(theta)``. Image landmarks are mapped back through the crop's transform.
Landmarks 33 and 34 are the auxiliary points that give the next frame's ROI.
The pose-presence flag is already a probability: MediaPipe reads it with
``TensorsToFloatsCalculator`` and no activation, and the model gives 0.92-1.0
on the fixture's walker but below 0.02 on a blank, a noise frame or the
fixture's empty background (a sigmoid on top would map all of these into
0.5-0.73, and "no pose" could never be said).
"""

from __future__ import annotations

import dataclasses
import hashlib
import importlib.resources
import math
import pathlib

import cv2
import numpy as np

NUM_LANDMARKS = 33
NUM_MODEL_LANDMARKS = 39  # 33 BlazePose landmarks + 2 auxiliary ROI points + 4 unused
DETECTOR_SIZE = 224
LANDMARK_SIZE = 256
DETECTION_SCORE_THRESHOLD = 0.5
NMS_IOU_THRESHOLD = 0.3
ROI_SCALE = 1.25

# File name -> sha256 of the shipped models (those of the mediapipe 0.10.21 wheels).
MODEL_FILES = {
    "pose_detection.tflite": "9ba9dd3d42efaaba86b4ff0122b06f29c4122e756b329d89dca1e297fd8f866c",
    "pose_landmark_full.tflite": "e9a5c5cb17f736fafd4c2ec1da3b3d331d6edbe8a0d32395855aeb2cdfd64b9f",
}


def model_path(name: str) -> pathlib.Path:
    """The path of a shipped model file (``MODEL_FILES``), checked against its sha256."""
    if name not in MODEL_FILES:
        raise ValueError(f"unknown pose model {name!r}; shipped models: {', '.join(MODEL_FILES)}")
    path = pathlib.Path(str(importlib.resources.files("step_tf.pose") / "models" / name))
    if not path.is_file():
        raise FileNotFoundError(f"{path}: the pose model is missing from the installed package (reinstall step_tf)")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if digest != MODEL_FILES[name]:
        raise ValueError(f"{path}: sha256 {digest} differs from the shipped model's {MODEL_FILES[name]} (damaged file)")
    return path


def ssd_anchors() -> np.ndarray:
    """The detector's 2254 anchor centres ``(A, 2)`` (x, y), normalised, in the model's output order."""
    centres = []
    for stride, anchors_per_cell in ((8, 2), (16, 2), (32, 6)):
        cells = math.ceil(DETECTOR_SIZE / stride)
        y, x = np.meshgrid((np.arange(cells) + 0.5) / cells, (np.arange(cells) + 0.5) / cells, indexing="ij")
        grid = np.stack([x.ravel(), y.ravel()], axis=-1)
        centres.append(np.repeat(grid, anchors_per_cell, axis=0))
    return np.concatenate(centres).astype(np.float32)


@dataclasses.dataclass(frozen=True)
class Detection:
    """A detected person: score, box ``(x_min, y_min, x_max, y_max)`` and key points ``(4, 2)``, normalised to the image."""

    score: float
    box: np.ndarray
    keypoints: np.ndarray


@dataclasses.dataclass(frozen=True)
class Roi:
    """A rotated square region in pixels: centre, side, rotation (radians, clockwise on screen)."""

    centre_x: float
    centre_y: float
    size: float
    rotation: float

    @classmethod
    def from_points(cls, centre: np.ndarray, scale_point: np.ndarray) -> "Roi":
        """The ROI of two pixel points (see the module docstring)."""
        dx, dy = scale_point - centre
        rotation = math.pi / 2 - math.atan2(-dy, dx)
        rotation = (rotation + math.pi) % (2 * math.pi) - math.pi
        return cls(float(centre[0]), float(centre[1]), 2.0 * ROI_SCALE * math.hypot(dx, dy), rotation)

    def crop_to_image(self, output_size: int) -> np.ndarray:
        """The ``(2, 3)`` affine map from crop pixels ``(u, v, 1)`` to image pixels."""
        cos, sin = math.cos(self.rotation), math.sin(self.rotation)
        scale = self.size / output_size
        return np.array([
            [cos * scale, -sin * scale, self.centre_x - 0.5 * self.size * (cos - sin)],
            [sin * scale, cos * scale, self.centre_y - 0.5 * self.size * (sin + cos)],
        ])

    def box(self) -> np.ndarray:
        """The axis-aligned pixel box ``(x_min, y_min, x_max, y_max)`` around the rotated square."""
        corners = np.array([[0, 0, 1], [1, 0, 1], [0, 1, 1], [1, 1, 1]], dtype=np.float64)
        points = corners @ self.crop_to_image(1).T
        return np.concatenate([points.min(axis=0), points.max(axis=0)])


def crop(image: np.ndarray, roi: Roi, output_size: int, border: int) -> np.ndarray:
    """The ROI of an ``(H, W, 3)`` uint8 image resampled to ``(output_size, output_size, 3)``."""
    return cv2.warpAffine(
        image, roi.crop_to_image(output_size), (output_size, output_size),
        flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP, borderMode=border, borderValue=0,
    )


def box_iou(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Intersection over union of boxes ``(..., 4)`` ``(x_min, y_min, x_max, y_max)``, broadcast."""
    low = np.maximum(first[..., :2], second[..., :2])
    high = np.minimum(first[..., 2:], second[..., 2:])
    intersection = np.prod(np.clip(high - low, 0.0, None), axis=-1)
    area = lambda box: np.prod(np.clip(box[..., 2:] - box[..., :2], 0.0, None), axis=-1)  # noqa: E731
    union = area(first) + area(second) - intersection
    return np.where(union > 0, intersection / np.where(union > 0, union, 1.0), 0.0)


def weighted_nms(scores: np.ndarray, boxes: np.ndarray, keypoints: np.ndarray) -> list[Detection]:
    """MediaPipe's weighted non-maximum suppression, best first; ``boxes (A, 4)``, ``keypoints (A, 4, 2)``."""
    order = list(np.argsort(-scores))
    detections = []
    while order:
        best = order[0]
        overlaps = box_iou(boxes[best], boxes[order])
        members = [index for index, overlap in zip(order, overlaps) if overlap > NMS_IOU_THRESHOLD]
        weights = scores[members] / scores[members].sum()
        detections.append(Detection(
            score=float(scores[best]),
            box=np.tensordot(weights, boxes[members], axes=1),
            keypoints=np.tensordot(weights, keypoints[members], axes=1),
        ))
        order = [index for index, overlap in zip(order, overlaps) if overlap <= NMS_IOU_THRESHOLD]
    return detections


@dataclasses.dataclass(frozen=True)
class Landmarks:
    """The landmark model's answer for one ROI, unsmoothed.

    ``image`` ``(35, 3)`` the 33 body landmarks and the 2 auxiliary ROI points
    in image pixels (z in pixels, like x); ``world`` ``(33, 3)`` metres
    (BlazePose's axes, turned back upright); ``visibility`` ``(33,)`` in [0, 1];
    ``presence`` the probability that a pose is in the ROI.
    """

    image: np.ndarray
    world: np.ndarray
    visibility: np.ndarray
    presence: float


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(values, dtype=np.float64), -100.0, 100.0)))


class BlazePose:
    """The detector and the landmark model; stateless between calls (``step_tf.pose.tracking`` keeps the state).

    ``num_threads``: LiteRT CPU threads per model. ``detector_calls`` and
    ``landmark_calls`` count the invocations (to check how often each runs).
    """

    def __init__(self, num_threads: int = 2):
        # Imported here so that importing step_tf.pose does not load LiteRT.
        from ai_edge_litert.interpreter import Interpreter

        self._detector = Interpreter(model_path=str(model_path("pose_detection.tflite")), num_threads=num_threads)
        self._landmarker = Interpreter(model_path=str(model_path("pose_landmark_full.tflite")), num_threads=num_threads)
        for interpreter in (self._detector, self._landmarker):
            interpreter.allocate_tensors()
        self._detector_input = self._detector.get_input_details()[0]["index"]
        detector_outputs = {d["name"]: d["index"] for d in self._detector.get_output_details()}
        self._detector_boxes, self._detector_scores = detector_outputs["Identity"], detector_outputs["Identity_1"]
        self._landmark_input = self._landmarker.get_input_details()[0]["index"]
        outputs = {d["name"]: d["index"] for d in self._landmarker.get_output_details()}
        self._landmark_outputs = (outputs["Identity"], outputs["Identity_1"], outputs["Identity_4"])
        self._anchors = ssd_anchors()
        self.detector_calls = 0
        self.landmark_calls = 0

    def detect(self, image_rgb: np.ndarray) -> list[Detection]:
        """Every person the detector finds in an ``(H, W, 3)`` RGB uint8 frame, best first."""
        height, width = image_rgb.shape[:2]
        side = max(height, width)
        letterbox = Roi(width / 2.0, height / 2.0, float(side), 0.0)
        tensor = crop(image_rgb, letterbox, DETECTOR_SIZE, cv2.BORDER_CONSTANT).astype(np.float32) / 127.5 - 1.0
        self._detector.set_tensor(self._detector_input, tensor[None])
        self._detector.invoke()
        self.detector_calls += 1
        raw = self._detector.get_tensor(self._detector_boxes)[0]
        scores = _sigmoid(self._detector.get_tensor(self._detector_scores)[0, :, 0])
        keep = scores > DETECTION_SCORE_THRESHOLD
        if not keep.any():
            return []
        raw, scores, anchors = raw[keep], scores[keep], self._anchors[keep]
        centre = raw[:, 0:2] / DETECTOR_SIZE + anchors
        half = raw[:, 2:4] / DETECTOR_SIZE / 2.0
        keypoints = raw[:, 4:12].reshape(-1, 4, 2) / DETECTOR_SIZE + anchors[:, None, :]
        # Letterbox square (normalised) -> image pixels -> image-normalised.
        to_image = lambda xy: (xy - 0.5) * side + np.array([width / 2.0, height / 2.0])  # noqa: E731
        boxes = np.concatenate([to_image(centre - half), to_image(centre + half)], axis=-1)
        boxes /= np.array([width, height, width, height])
        keypoints = to_image(keypoints) / np.array([width, height])
        return weighted_nms(scores, boxes, keypoints)

    def landmarks(self, image_rgb: np.ndarray, roi: Roi) -> Landmarks:
        """The landmark model on ``roi`` of an ``(H, W, 3)`` RGB uint8 frame."""
        tensor = crop(image_rgb, roi, LANDMARK_SIZE, cv2.BORDER_REPLICATE).astype(np.float32) / 255.0
        self._landmarker.set_tensor(self._landmark_input, tensor[None])
        self._landmarker.invoke()
        self.landmark_calls += 1
        image_raw, presence_raw, world_raw = (self._landmarker.get_tensor(index)[0] for index in self._landmark_outputs)
        image_raw = image_raw.reshape(NUM_MODEL_LANDMARKS, 5)
        # Crop pixels -> image pixels (z scaled like x).
        matrix = roi.crop_to_image(LANDMARK_SIZE)
        points = image_raw[:NUM_LANDMARKS + 2, :2] @ matrix[:, :2].T + matrix[:, 2]
        depth = image_raw[:NUM_LANDMARKS + 2, 2:3] * roi.size / LANDMARK_SIZE
        cos, sin = math.cos(roi.rotation), math.sin(roi.rotation)
        world = world_raw.reshape(NUM_MODEL_LANDMARKS, 3)[:NUM_LANDMARKS] @ np.array([[cos, sin, 0.0], [-sin, cos, 0.0], [0.0, 0.0, 1.0]])
        return Landmarks(
            image=np.concatenate([points, depth], axis=-1),
            world=world,
            visibility=_sigmoid(image_raw[:NUM_LANDMARKS, 3]),
            presence=float(presence_raw[0]),  # a probability already (see the module docstring)
        )
