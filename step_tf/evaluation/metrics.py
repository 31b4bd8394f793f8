"""Classification metrics over integer labels, in NumPy.

``confusion[i, j]`` counts gaits of true class ``i`` predicted as ``j``.
Balanced accuracy is the mean of per-class recalls: on imbalanced data (E-Gait
is about 53 % one class) plain accuracy rewards always answering the majority.

The confidence interval of accuracy is a percentile bootstrap. Without groups
it resamples test gaits (``scipy.stats.bootstrap``): for ``n`` gaits of which a
share ``p`` is correct, each resampled accuracy is ``Binomial(n, p) / n``, so
the interval is close to ``p +- 1.96 sqrt(p (1 - p) / n)`` at 95 %. Gaits cut
from one recording or subject are correlated (about 8 per subject in E-Gait,
5-23 windows per clip in the Bandai walks), so with ``groups`` it resamples
whole groups (the cluster bootstrap): ``G`` groups drawn with replacement, the
statistic computed over all their gaits. When every group holds one class
(a clip), the groups are drawn within each class, so every resample keeps each
class's number of recordings. With ``G`` equal groups whose gaits are all right
or all wrong, the interval is that of ``G`` independent trials,
``p +- 1.96 sqrt(p (1 - p) / G)``: wider than the gait bootstrap's by
``sqrt(n / G)``. It measures the test set's sampling noise only; the spread
over training seeds and splits is ``summarize`` over repeated runs.
"""

from __future__ import annotations

import numpy as np
from scipy import stats


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


def balanced_accuracy(true_labels, predicted_labels) -> float:
    """The mean over the classes present in ``true_labels`` of their recall."""
    true_labels = np.asarray(true_labels)
    correct = np.asarray(predicted_labels) == true_labels
    return float(np.mean([correct[true_labels == label].mean() for label in np.unique(true_labels)]))


def _accuracy(true_labels, predicted_labels) -> float:
    return float(np.mean(np.asarray(true_labels) == np.asarray(predicted_labels)))


STATISTICS = {"accuracy": _accuracy, "balanced_accuracy": balanced_accuracy}


def accuracy_interval(
    true_labels, predicted_labels, confidence: float = 0.95, num_resamples: int = 9999, seed: int = 0,
    groups=None, statistic: str = "accuracy",
) -> dict:
    """A percentile-bootstrap interval of ``statistic`` (accuracy or balanced_accuracy).

    ``groups`` ``(N,)``: resample whole groups (recordings, subjects) rather than
    gaits; see the module docstring. Returns ``{"low", "high", "confidence",
    "num_resamples", "method"}``.
    """
    true_labels = np.asarray(true_labels)
    predicted_labels = np.asarray(predicted_labels)
    if true_labels.shape != predicted_labels.shape or true_labels.ndim != 1 or true_labels.size < 2:
        raise ValueError(f"labels must be 1-D of one length, at least 2 gaits, got {true_labels.shape} and {predicted_labels.shape}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must lie strictly between 0 and 1, got {confidence}")
    if statistic not in STATISTICS:
        raise ValueError(f"statistic must be one of {', '.join(STATISTICS)}, got {statistic!r}")
    measure = STATISTICS[statistic]
    if groups is not None:
        low, high, method = _group_bootstrap(true_labels, predicted_labels, np.asarray(groups), measure, confidence, num_resamples, seed)
    elif statistic == "accuracy":
        correct = (true_labels == predicted_labels).astype(np.float64)
        method = "percentile bootstrap over gaits"
        if correct.min() == correct.max():  # every resample has the same accuracy
            low = high = float(correct[0])
        else:
            result = stats.bootstrap(
                (correct,), np.mean, confidence_level=confidence, n_resamples=num_resamples,
                method="percentile", random_state=np.random.default_rng(seed), vectorized=True,
            )
            low, high = float(result.confidence_interval.low), float(result.confidence_interval.high)
    else:  # every gait its own group: gaits resampled within each class
        low, high, _ = _group_bootstrap(
            true_labels, predicted_labels, np.arange(true_labels.size), measure, confidence, num_resamples, seed
        )
        method = "percentile bootstrap over gaits within each class"
    return {"low": low, "high": high, "confidence": confidence, "num_resamples": num_resamples, "method": method}


def _group_bootstrap(true_labels, predicted_labels, groups, measure, confidence, num_resamples, seed):
    """``(low, high, method)``: percentile interval of ``measure`` over resampled groups (see the module docstring)."""
    if groups.shape != true_labels.shape:
        raise ValueError(f"groups must have one entry per gait, got {groups.shape} for {true_labels.shape} gaits")
    unique, group_of_gait = np.unique(groups, return_inverse=True)
    members = [np.flatnonzero(group_of_gait == group) for group in range(len(unique))]
    pure = all(len(np.unique(true_labels[index])) == 1 for index in members)
    # Strata: the groups of each class when every group holds one class, else all groups together.
    strata = (
        [[g for g in range(len(unique)) if true_labels[members[g][0]] == label] for label in np.unique(true_labels)]
        if pure else [list(range(len(unique)))]
    )
    rng = np.random.default_rng(seed)
    values = np.empty(num_resamples)
    for resample in range(num_resamples):
        drawn = [g for stratum in strata for g in rng.choice(stratum, size=len(stratum), replace=True)]
        index = np.concatenate([members[g] for g in drawn])
        values[resample] = measure(true_labels[index], predicted_labels[index])
    tail = (1.0 - confidence) / 2.0 * 100.0
    low, high = np.percentile(values, [tail, 100.0 - tail])
    method = "percentile bootstrap over groups" + (" within each class" if pure else "")
    return float(low), float(high), method


def summarize(values) -> dict:
    """Mean and sample standard deviation (``ddof=1``; ``None`` for one value) of repeated scores."""
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"expected a non-empty list of scores, got shape {values.shape}")
    return {
        "mean": float(values.mean()),
        "sd": float(values.std(ddof=1)) if values.size > 1 else None,
        "values": values.tolist(),
    }
