"""Gaits as moving stick figures: animated GIF (MP4 where ffmpeg is installed) and still PNG strips.

Each gait ``(T, V, 3)`` (metres, y up) is drawn in its own panel, side by side
(real next to generated, say), with the bones of the skeleton layout
(``step_tf.graph``). The view is a side view: the horizontal axis of the
drawing is the gait's main horizontal direction, the first principal direction
of all its joints' (x, z) positions over all frames (the walking direction:
the path of a walking gait, the swing of the legs of a root-centred one), and
the vertical axis is y. All panels share one scale in metres.
"""

from __future__ import annotations

import pathlib

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib import animation  # noqa: E402

from step_tf.evaluation.plots import figure_png  # noqa: E402
from step_tf.files import atomic_output  # noqa: E402
from step_tf.graph import get_layout  # noqa: E402

PANEL_INCHES = (3.0, 3.6)
DPI = 80  # a panel is 240 x 288 pixels


def side_view(joints: np.ndarray) -> np.ndarray:
    """Joints ``(T, V, 3)`` -> drawing coordinates ``(T, V, 2)``: (walking direction, height)."""
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[-1] != 3:
        raise ValueError(f"a gait must be (frames, joints, 3), got {joints.shape}")
    horizontal = joints[..., [0, 2]].reshape(-1, 2)
    horizontal = horizontal - horizontal.mean(axis=0)
    # Right singular vector of the largest singular value: the direction of largest spread.
    direction = np.linalg.svd(horizontal, full_matrices=False)[2][0]
    return np.stack([joints[..., [0, 2]] @ direction, joints[..., 1]], axis=-1)


def _validated(gaits, titles, layout):
    gaits = [np.asarray(gait, dtype=np.float64) for gait in gaits]
    if not gaits:
        raise ValueError("no gait to draw")
    num_joints = get_layout(layout).num_joints
    for index, gait in enumerate(gaits):
        if gait.ndim != 3 or gait.shape[1:] != (num_joints, 3):
            raise ValueError(f"gait {index} must be (frames, {num_joints} joints, 3), got {gait.shape}")
    titles = list(titles) if titles is not None else [f"gait {i + 1}" for i in range(len(gaits))]
    if len(titles) != len(gaits):
        raise ValueError(f"{len(titles)} titles for {len(gaits)} gaits")
    return gaits, titles


def _figure(views, titles, layout):
    """A figure of one panel per view, with line artists per bone; returns (figure, artists per panel)."""
    edges = get_layout(layout).edges
    spans = [np.ptp(view.reshape(-1, 2), axis=0) for view in views]
    half = 0.55 * max(max(span) for span in spans) + 0.05
    figure, axes = plt.subplots(1, len(views), figsize=(PANEL_INCHES[0] * len(views), PANEL_INCHES[1]), dpi=DPI, squeeze=False)
    artists = []
    for panel, view, title in zip(axes[0], views, titles):
        centre = (view.reshape(-1, 2).max(axis=0) + view.reshape(-1, 2).min(axis=0)) / 2
        panel.set_xlim(centre[0] - half, centre[0] + half)
        panel.set_ylim(centre[1] - half, centre[1] + half)
        panel.set_aspect("equal")
        panel.set_title(title, fontsize=10)
        panel.set_xlabel("walking direction (m)", fontsize=8)
        panel.tick_params(labelsize=7)
        bones = [panel.plot([], [], color="tab:blue", linewidth=2)[0] for _ in edges]
        heads = panel.plot([], [], "o", color="tab:red", markersize=5)[0]
        artists.append((bones, heads))
    return figure, artists


def _draw(view, frame, bones, heads, layout):
    layout = get_layout(layout)
    points = view[min(frame, len(view) - 1)]
    for line, (i, j) in zip(bones, layout.edges):
        line.set_data([points[i, 0], points[j, 0]], [points[i, 1], points[j, 1]])
    head = layout.joint_index("head")
    heads.set_data([points[head, 0]], [points[head, 1]])


def animate_gaits(gaits, path, titles=None, frame_rate: float = 30.0, layout: str = "step16") -> pathlib.Path:
    """Writes gaits ``[(T_i, V, 3), ...]`` side by side as an animation at ``path`` (``.gif`` or ``.mp4``).

    The animation has ``max T_i`` frames at ``frame_rate``; a shorter gait
    holds its last pose. Each panel is 240 x 288 pixels. MP4 needs ffmpeg.
    """
    path = pathlib.Path(path)
    suffix = path.suffix.lower()
    if suffix == ".gif":
        writer = animation.PillowWriter(fps=frame_rate)
    elif suffix == ".mp4":
        if not animation.writers.is_available("ffmpeg"):
            raise ValueError(f"{path}: writing MP4 needs ffmpeg, which is not installed; write a .gif instead")
        writer = animation.FFMpegWriter(fps=frame_rate)
    else:
        raise ValueError(f"{path}: the animation must be a .gif or .mp4 file")
    gaits, titles = _validated(gaits, titles, layout)
    views = [side_view(gait) for gait in gaits]
    figure, artists = _figure(views, titles, layout)
    figure.tight_layout()

    def update(frame):
        for view, (bones, heads) in zip(views, artists):
            _draw(view, frame, bones, heads, layout)
        return [artist for bones, heads in artists for artist in (*bones, heads)]

    movie = animation.FuncAnimation(figure, update, frames=max(len(view) for view in views), blit=False)
    with atomic_output(path, suffix=suffix) as temporary:
        movie.save(temporary, writer=writer, dpi=DPI)
    plt.close(figure)
    return path


def gait_strip_png(gaits, titles=None, frame: int | None = None, layout: str = "step16") -> bytes:
    """A still PNG of gaits ``[(T_i, V, 3), ...]`` side by side at one frame (default: the middle one).

    For image summaries (generated gaits in TensorBoard) and reports.
    """
    gaits, titles = _validated(gaits, titles, layout)
    views = [side_view(gait) for gait in gaits]
    figure, artists = _figure(views, titles, layout)
    for view, (bones, heads) in zip(views, artists):
        _draw(view, len(view) // 2 if frame is None else frame, bones, heads, layout)
    return figure_png(figure)
