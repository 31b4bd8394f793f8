"""Metrics against independent computations: a confusion matrix by hand, bootstrap against the binomial."""

import numpy as np
import pytest
from scipy import stats

from step_tf.evaluation.metrics import accuracy_interval, classification_report, confusion_matrix, summarize

NAMES = ("angry", "neutral", "happy", "sad")


def test_confusion_matrix_and_report_by_hand():
    true = [0, 0, 0, 1, 1, 2, 2, 2, 2, 3]
    predicted = [0, 0, 1, 1, 2, 2, 2, 2, 0, 2]
    # Counted by hand: rows true, columns predicted.
    expected = np.array([[2, 1, 0, 0], [0, 1, 1, 0], [1, 0, 3, 0], [0, 0, 1, 0]])
    np.testing.assert_array_equal(confusion_matrix(true, predicted, 4), expected)
    report = classification_report(true, predicted, NAMES)
    assert report["accuracy"] == pytest.approx(6 / 10)
    # Recalls 2/3, 1/2, 3/4, 0/1.
    assert report["balanced_accuracy"] == pytest.approx((2 / 3 + 1 / 2 + 3 / 4 + 0) / 4)
    happy = report["per_class"]["happy"]
    # Precision 3 of 5 predicted happy; recall 3/4; F1 the harmonic mean.
    assert happy["precision"] == pytest.approx(3 / 5) and happy["recall"] == pytest.approx(3 / 4)
    assert happy["f1"] == pytest.approx(2 * 0.6 * 0.75 / (0.6 + 0.75)) and happy["support"] == 4
    # Sad was never predicted: precision undefined, recall 0.
    assert report["per_class"]["sad"]["precision"] is None and report["per_class"]["sad"]["recall"] == 0.0


def test_balanced_accuracy_punishes_the_majority_answer():
    true = [0] * 8 + [1, 2]
    report = classification_report(true, [0] * 10, NAMES[:3])
    assert report["accuracy"] == pytest.approx(0.8)
    assert report["balanced_accuracy"] == pytest.approx(1 / 3)


def test_bootstrap_interval_matches_the_binomial_quantiles():
    n, correct = 400, 300
    true = np.zeros(n, dtype=int)
    predicted = np.r_[np.zeros(correct, dtype=int), np.ones(n - correct, dtype=int)]
    interval = accuracy_interval(true, predicted, confidence=0.95, num_resamples=20000, seed=1)
    # A resampled accuracy is Binomial(n, p) / n: its 2.5 and 97.5 % quantiles.
    low, high = stats.binom.ppf([0.025, 0.975], n, correct / n) / n
    assert interval["low"] == pytest.approx(low, abs=0.006)
    assert interval["high"] == pytest.approx(high, abs=0.006)
    # And the textbook normal approximation, p +- 1.96 sqrt(p (1 - p) / n) = 0.75 +- 0.0424.
    assert interval["low"] == pytest.approx(0.75 - 0.0424, abs=0.008) and interval["high"] == pytest.approx(0.75 + 0.0424, abs=0.008)


def test_group_bootstrap_counts_recordings_not_gaits():
    # 40 recordings of 8 gaits each; the gaits of a recording are all right (20 of them) or all wrong.
    groups = np.repeat(np.arange(40), 8)
    true = np.zeros(320, dtype=int)
    predicted = np.where(groups < 20, 0, 1)
    grouped = accuracy_interval(true, predicted, num_resamples=20000, seed=2, groups=groups)
    # The binomial quantiles of 40 independent trials at p = 0.5, not of 320.
    low, high = stats.binom.ppf([0.025, 0.975], 40, 0.5) / 40
    assert grouped["low"] == pytest.approx(low, abs=0.02) and grouped["high"] == pytest.approx(high, abs=0.02)
    by_gait = accuracy_interval(true, predicted, num_resamples=20000, seed=2)
    assert (grouped["high"] - grouped["low"]) > 2.5 * (by_gait["high"] - by_gait["low"])  # sqrt(8) = 2.8


def test_group_bootstrap_keeps_each_class_recordings_and_balanced_accuracy():
    # Two classes, each of 5 single-class clips of 4 windows; class 0's clips all right, class 1: 2 of 5 clips right.
    groups = np.repeat(np.arange(10), 4)
    true = np.where(groups < 5, 0, 1)
    predicted = np.where((groups < 5) | (groups >= 8), true, 1 - true)
    interval = accuracy_interval(true, predicted, num_resamples=20000, seed=0, groups=groups, statistic="balanced_accuracy")
    # Class 0's recall is always 1; class 1's is Binomial(5, 0.4) / 5 within its own clips: quantiles 0 and 0.8.
    low, high = (1.0 + stats.binom.ppf([0.025, 0.975], 5, 0.4) / 5) / 2
    assert (interval["low"], interval["high"]) == pytest.approx((low, high))
    assert "within each class" in interval["method"]


def test_bootstrap_interval_of_a_perfect_score_is_a_point_and_bad_input_is_refused():
    interval = accuracy_interval([1, 2, 3], [1, 2, 3])
    assert interval["low"] == interval["high"] == 1.0
    with pytest.raises(ValueError, match="confidence must lie"):
        accuracy_interval([0, 1], [0, 0], confidence=95)
    with pytest.raises(ValueError, match="at least 2 gaits"):
        accuracy_interval([0], [0])


def test_summarize_uses_the_sample_standard_deviation():
    summary = summarize([0.5, 0.7, 0.9])
    assert summary["mean"] == pytest.approx(0.7)
    assert summary["sd"] == pytest.approx(np.sqrt(((0.2**2) * 2) / 2))  # sum of squares / (n - 1)
    assert summarize([0.4])["sd"] is None
    with pytest.raises(ValueError):
        summarize([])
