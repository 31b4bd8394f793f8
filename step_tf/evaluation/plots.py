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
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    plt.close(figure)
    return buffer.getvalue()
