"""The annotated video: each person's box, track id and 16-joint skeleton, and the class probabilities over time.

Each output frame is the video frame (``(H, W)``) above a chart panel of
``PANEL_HEIGHT`` pixels: one line per class, at each frame the mean
probabilities of the classified (walking) windows that contain it, and a
cursor at the frame's time. Outside walking windows the panel is greyed and
shows no figures; frames with nobody in them get no drawing at all. Classified
tracks' boxes are drawn in white, the others in grey. An ``.mp4`` keeps the video's size (MPEG-4 Part 2,
which OpenCV's wheels can always write); a ``.gif`` is scaled down to at most
``GIF_MAX_WIDTH`` pixels wide to stay small. Files are written atomically.
"""

from __future__ import annotations

import os
import pathlib

import cv2
import numpy as np

from step_tf.data.gaits import FRAME_RATE
from step_tf.files import atomic_output
from step_tf.graph import get_layout
from step_tf.pose.emotion import VideoResult
from step_tf.pose.gait import image_skeleton
from step_tf.pose.video_io import VideoReader

PANEL_HEIGHT = 120
GIF_MAX_WIDTH = 480
FORMATS = (".mp4", ".gif")
# BGR colours of angry, neutral, happy, sad (then cycled for other label sets).
CLASS_COLOURS = ((40, 40, 220), (160, 160, 160), (40, 200, 240), (220, 120, 40))
LEFT_COLOUR, RIGHT_COLOUR, CENTRE_COLOUR = (255, 160, 0), (0, 140, 255), (240, 240, 240)


def output_size(width: int, height: int, suffix: str) -> tuple[int, int]:
    """``(width, height)`` of the rendered frames for a ``width`` x ``height`` video."""
    total_height = height + PANEL_HEIGHT
    if suffix == ".gif" and width > GIF_MAX_WIDTH:
        scale = GIF_MAX_WIDTH / width
        return GIF_MAX_WIDTH, max(1, round(total_height * scale))
    return width, total_height


SELECTED_COLOUR, OTHER_COLOUR, GREY_PANEL, PANEL = (255, 255, 255), (140, 140, 140), 60, 24


def _class_curves(result: VideoResult, timestamps: np.ndarray) -> np.ndarray:
    """Probabilities ``(F, K)`` at each frame time: the mean of the classified windows covering it, NaN where none does."""
    total = np.zeros((len(timestamps), len(result.label_names)))
    count = np.zeros(len(timestamps))
    # Windows end on their last frame's time; frames between two 30 fps samples still belong to it.
    slack = 0.5 / FRAME_RATE
    for index, probabilities in zip(result.classified, result.probabilities):
        window = result.extraction.windows[index]
        inside = (timestamps >= window.start_time - slack) & (timestamps <= window.end_time + slack)
        total[inside] += probabilities
        count[inside] += 1
    with np.errstate(invalid="ignore"):
        return np.where(count[:, None] > 0, total / count[:, None], np.nan)


def draw_box(frame: np.ndarray, box: np.ndarray, track_id: int, colour) -> None:
    """Draws a track's pixel ``box`` and its id onto a BGR ``frame`` in place."""
    low, high = tuple(np.round(box[:2]).astype(int)), tuple(np.round(box[2:]).astype(int))
    thickness = max(1, round(min(frame.shape[:2]) / 300))
    cv2.rectangle(frame, low, high, colour, thickness, cv2.LINE_AA)
    cv2.putText(frame, f"id {track_id}", (low[0] + 3, max(low[1] - 6, 14)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 1, cv2.LINE_AA)


def draw_skeleton(frame: np.ndarray, image_landmarks: np.ndarray) -> None:
    """Draws the STEP skeleton of normalised image landmarks ``(33, 3)`` onto a BGR ``frame`` in place."""
    height, width = frame.shape[:2]
    layout = get_layout("step16")
    points = image_skeleton(image_landmarks)[:, :2] * np.array([width, height])
    thickness = max(2, round(min(width, height) / 150))
    for i, j in layout.edges:
        name = layout.joint_names[j]
        colour = LEFT_COLOUR if name.endswith("_left") else RIGHT_COLOUR if name.endswith("_right") else CENTRE_COLOUR
        cv2.line(frame, tuple(np.round(points[i]).astype(int)), tuple(np.round(points[j]).astype(int)), colour, thickness, cv2.LINE_AA)
    for point in points:
        cv2.circle(frame, tuple(np.round(point).astype(int)), thickness + 1, CENTRE_COLOUR, -1, cv2.LINE_AA)


def _panel(width: int, timestamps: np.ndarray, curves: np.ndarray, now: int, label_names) -> np.ndarray:
    walking = np.isfinite(curves[now]).all()
    panel = np.full((PANEL_HEIGHT, width, 3), PANEL if walking else GREY_PANEL, dtype=np.uint8)
    left, right, top, bottom = 150, width - 10, 10, PANEL_HEIGHT - 10
    duration = max(timestamps[-1] - timestamps[0], 1e-6)
    x = left + (timestamps - timestamps[0]) / duration * (right - left)
    cv2.rectangle(panel, (left, top), (right, bottom), (70, 70, 70), 1)
    covered = np.isfinite(curves).all(axis=-1)
    # One polyline per stretch of classified frames: no line is drawn across times nobody walked.
    runs = np.split(np.flatnonzero(covered), np.flatnonzero(np.diff(np.flatnonzero(covered)) > 1) + 1)
    for k, name in enumerate(label_names):
        colour = CLASS_COLOURS[k % len(CLASS_COLOURS)]
        y = bottom - np.nan_to_num(curves[:, k]) * (bottom - top)
        lines = [np.stack([x[run], y[run]], axis=-1).round().astype(np.int32) for run in runs if run.size]
        if lines:
            cv2.polylines(panel, lines, False, colour, 2, cv2.LINE_AA)
        text = f"{name} {curves[now, k]:.2f}" if walking else name
        cv2.putText(panel, text, (8, 22 + 26 * k), cv2.FONT_HERSHEY_SIMPLEX, 0.55, colour, 1, cv2.LINE_AA)
    if not walking:
        cv2.putText(panel, "not classified: nobody walking", (left + 8, top + 18), cv2.FONT_HERSHEY_SIMPLEX, 0.45, (200, 200, 200), 1, cv2.LINE_AA)
    cursor = int(round(x[now]))
    cv2.line(panel, (cursor, top), (cursor, bottom), (255, 255, 255), 1)
    return panel


def render_video(result: VideoResult, output: str | os.PathLike) -> tuple[int, tuple[int, int]]:
    """Writes the annotated video of ``result`` to ``output`` (``.mp4`` or ``.gif``); returns (frames, (width, height))."""
    output = pathlib.Path(output)
    suffix = output.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"{output}: cannot render to {suffix or 'a file without suffix'}; choose one of {', '.join(FORMATS)}")
    extraction = result.extraction
    timestamps = extraction.timestamps
    curves = _class_curves(result, timestamps)
    people: dict[int, list] = {}  # frame index -> [(track id, image landmarks, box)]
    for track in extraction.tracks:
        for frame_index, landmarks, box in zip(track.frames, track.sequence.image, track.boxes):
            people.setdefault(frame_index, []).append((track.track_id, landmarks, box))
    size = output_size(extraction.width, extraction.height, suffix)
    reader = VideoReader(extraction.path)
    fps = reader.fps
    count = 0
    with atomic_output(output, suffix=suffix) as temporary:
        writer = cv2.VideoWriter(str(temporary), cv2.VideoWriter_fourcc(*"mp4v"), fps, size) if suffix == ".mp4" else None
        if writer is not None and not writer.isOpened():
            raise ValueError(f"{output}: OpenCV cannot write an MPEG-4 video here")
        gif_frames = []
        for index, (frame, _) in enumerate(reader):
            if index >= len(timestamps):  # the first pass read fewer frames (e.g. a file still being written)
                break
            for track_id, landmarks, box in people.get(index, []):
                draw_skeleton(frame, landmarks)
                draw_box(frame, box, track_id, SELECTED_COLOUR if track_id in result.selected else OTHER_COLOUR)
            canvas = np.concatenate([frame, _panel(frame.shape[1], timestamps, curves, index, result.label_names)])
            if canvas.shape[1::-1] != size:
                canvas = cv2.resize(canvas, size, interpolation=cv2.INTER_AREA)
            if writer is not None:
                writer.write(canvas)
            else:
                gif_frames.append(canvas[:, :, ::-1].copy())
            count += 1
        if writer is not None:
            writer.release()
        else:
            from PIL import Image

            images = [Image.fromarray(rgb) for rgb in gif_frames]
            images[0].save(temporary, format="GIF", save_all=True, append_images=images[1:],
                           duration=round(1000 / fps), loop=0, optimize=False)
    return count, size
