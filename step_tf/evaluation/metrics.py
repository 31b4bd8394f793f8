"""Classification metrics over integer labels, in NumPy.

``confusion[i, j]`` counts gaits of true class ``i`` predicted as ``j``.
Balanced accuracy is the mean of per-class recalls: on imbalanced data (E-Gait
is about 53 % one class) plain accuracy rewards always answering the majority.
"""

from __future__ import annotations

import numpy as np


def confusion_matrix(true_labels, predicted_labels, num_classes: int) -> np.ndarray:
    """``(num_classes, num_classes)`` int64 counts, rows true, columns predicted."""
    true_labels = np.asarray(true_labels, dtype=np.int64)
    predicted_labels = np.asarray(predicted_labels, dtype=np.int64)
    if true_labels.shape != predicted_labels.shape or true_labels.ndim != 1:
        raise ValueError(f"labels must be 1-D of one length, got {true_labels.shape} and {predicted_labels.shape}")
    for name, labels in (("true", true_labels), ("predicted", predicted_labels)):
        if labels.size and (labels.min() < 0 or labels.max() >= num_classes):
            raise ValueError(f"{name} labels must lie in 0..{num_classes - 1}")
    return np.bincount(true_labels * num_classes + predicted_labels, minlength=num_classes**2).reshape(num_classes, num_classes)


def classification_report(true_labels, predicted_labels, label_names) -> dict:
    """Accuracy, balanced accuracy, per-class precision/recall/F1/support and the confusion matrix."""
    num_classes = len(label_names)
    confusion = confusion_matrix(true_labels, predicted_labels, num_classes)
    support = confusion.sum(axis=1)
    predicted = confusion.sum(axis=0)
    correct = np.diag(confusion)
    with np.errstate(invalid="ignore", divide="ignore"):
        recall = np.where(support > 0, correct / support, np.nan)
        precision = np.where(predicted > 0, correct / predicted, np.nan)
        f1 = np.where(precision + recall > 0, 2 * precision * recall / (precision + recall), 0.0)
    f1 = np.where(np.isnan(precision) | np.isnan(recall), np.nan, f1)
    total = int(confusion.sum())
    present = support > 0

    def clean(value):
        return None if np.isnan(value) else float(value)

    return {
        "num_gaits": total,
        "accuracy": float(correct.sum() / total) if total else None,
        "balanced_accuracy": float(np.mean(recall[present])) if present.any() else None,
        "per_class": {
            name: {"precision": clean(precision[i]), "recall": clean(recall[i]), "f1": clean(f1[i]), "support": int(support[i])}
            for i, name in enumerate(label_names)
        },
        "confusion_matrix": confusion.tolist(),
        "label_names": list(label_names),
    }
