"""Figures of evaluation results, drawn with matplotlib (no display needed)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402


def confusion_matrix_png(confusion: np.ndarray, label_names, title: str = "Confusion matrix") -> bytes:
    """A PNG of the confusion matrix as row percentages with counts, in the style of paper Figure 6."""
    confusion = np.asarray(confusion)
    rows = confusion.sum(axis=1, keepdims=True)
    percent = np.divide(100.0 * confusion, rows, out=np.zeros(confusion.shape), where=rows > 0)
    figure, axes = plt.subplots(figsize=(4.8, 4.2), dpi=100)
    axes.imshow(percent, cmap="Blues", vmin=0, vmax=100)
    for i in range(confusion.shape[0]):
        for j in range(confusion.shape[1]):
            axes.text(j, i, f"{percent[i, j]:.0f}%\n({confusion[i, j]})", ha="center", va="center",
                      color="white" if percent[i, j] > 50 else "black", fontsize=8)
    axes.set_xticks(range(len(label_names)), label_names, rotation=30)
    axes.set_yticks(range(len(label_names)), label_names)
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(title)
    return figure_png(figure)


def figure_png(figure, tight: bool = True) -> bytes:
    """The figure as PNG bytes, at its own size (``figsize * dpi`` pixels); closes it."""
    if tight:
        figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()


SALIENCY_FIGURE_SIZE = (12.0, 4.2)  # inches, at 100 dpi: 1200 x 420 pixels


def saliency_png(saliency: np.ndarray, joint_names, title: str = "Guided backpropagation", frame_rate: float = 30.0) -> bytes:
    """A PNG of ``|saliency|`` ``(T, V, 3)`` as three joints x frames heatmaps, one per axis (paper Figure 7).

    The three panels share one colour scale, so the axes can be compared.
    """
    saliency = np.abs(np.asarray(saliency, dtype=np.float64))
    if saliency.ndim != 3 or saliency.shape[1] != len(joint_names) or saliency.shape[2] != 3:
        raise ValueError(f"saliency must be (frames, {len(joint_names)} joints, 3 axes), got {saliency.shape}")
    num_frames = saliency.shape[0]
    top = saliency.max() or 1.0
    figure, axes = plt.subplots(1, 3, figsize=SALIENCY_FIGURE_SIZE, dpi=100, sharey=True)
    figure.subplots_adjust(left=0.08, right=0.88, bottom=0.13, top=0.84, wspace=0.05)
    for axis_index, (panel, axis_name) in enumerate(zip(axes, "xyz")):
        # (T, V) -> (V, T): joints down, time across.
        image = panel.imshow(saliency[:, :, axis_index].T, aspect="auto", cmap="inferno", vmin=0, vmax=top,
                             extent=(0, num_frames / frame_rate, len(joint_names) - 0.5, -0.5))
        panel.set_title(f"{axis_name} axis")
        panel.set_xlabel("time (s)")
    axes[0].set_yticks(range(len(joint_names)), joint_names, fontsize=7)
    figure.colorbar(image, ax=axes, fraction=0.02, pad=0.01, label="|guided gradient|")
    figure.suptitle(title)
    return figure_png(figure, tight=False)  # tight_layout cannot place a colour bar shared by three panels
