"""Reading video files frame by frame with their timestamps (OpenCV's FFmpeg back end).

Timestamps are the decoder's presentation times (``CAP_PROP_POS_MSEC``), so
variable-rate videos keep their real timing; when a container gives none that
increase, frame ``i`` is taken at ``i / fps``. A file whose header promises
more frames than can be decoded is reported as truncated: the frames up to the
damage are used and ``VideoReader.truncated`` says so.
"""

from __future__ import annotations

import os
import pathlib

import cv2
import numpy as np


class VideoReader:
    """Iterates ``(frame (H, W, 3) uint8 BGR, timestamp s)`` over a video file.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a
    file that is not a readable video or holds no frame.
    """

    def __init__(self, path: str | os.PathLike):
        self.path = pathlib.Path(path)
        if not self.path.is_file():
            raise FileNotFoundError(f"{self.path}: video file not found")
        if self.path.stat().st_size == 0:
            raise ValueError(f"{self.path}: the file is empty (0 bytes), not a video")
        self._capture = cv2.VideoCapture(str(self.path), cv2.CAP_FFMPEG)
        if not self._capture.isOpened():
            raise ValueError(f"{self.path}: not a readable video (no decoder could open it)")
        self.fps = float(self._capture.get(cv2.CAP_PROP_FPS)) or 30.0
        self.expected_frames = int(self._capture.get(cv2.CAP_PROP_FRAME_COUNT))
        self.width = int(self._capture.get(cv2.CAP_PROP_FRAME_WIDTH))
        self.height = int(self._capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
        self.frames_read = 0
        self.truncated = False

    def __iter__(self):
        last_time = -np.inf
        try:
            while True:
                ok, frame = self._capture.read()
                if not ok or frame is None:
                    break
                timestamp = self._capture.get(cv2.CAP_PROP_POS_MSEC) / 1000.0
                if not np.isfinite(timestamp) or timestamp <= last_time:
                    timestamp = self.frames_read / self.fps
                    if timestamp <= last_time:  # never go back, whatever the container said before
                        timestamp = last_time + 1.0 / self.fps
                last_time = timestamp
                self.frames_read += 1
                yield frame, timestamp
        finally:
            self._capture.release()
        if self.frames_read == 0:
            raise ValueError(f"{self.path}: the video holds no decodable frame (zero-frame or damaged file)")
        # Headers round durations; a frame or two short is not damage.
        self.truncated = self.expected_frames > 0 and self.frames_read < self.expected_frames - 2

    def notes(self) -> list[str]:
        """What the user should know about the decoding (truncation)."""
        if self.truncated:
            return [
                f"{self.path}: the video is truncated or damaged: decoding stopped after {self.frames_read} of the "
                f"{self.expected_frames} frames its header announces; the {self.frames_read} frames read are used"
            ]
        return []
