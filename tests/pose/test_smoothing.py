"""The One-Euro filter against hand-worked values of the paper's formulas, and its lag on walking-like motion."""

import math

import numpy as np
import pytest

from step_tf.pose.smoothing import OneEuroFilter


def alpha(cutoff, rate):
    # Casiez et al. 2012: alpha = 1 / (1 + tau / T_e), tau = 1 / (2 pi f_c), T_e = 1 / rate.
    return 1.0 / (1.0 + (1.0 / (2 * math.pi * cutoff)) / (1.0 / rate))


def test_without_beta_it_is_an_exponential_smoother():
    smoother = OneEuroFilter(min_cutoff=1.0, beta=0.0, derivative_cutoff=1.0)
    a = alpha(1.0, 10.0)
    assert smoother(np.array([0.0]), 0.0)[0] == 0.0  # the first sample passes unchanged
    assert smoother(np.array([1.0]), 0.1)[0] == pytest.approx(a)
    assert smoother(np.array([1.0]), 0.2)[0] == pytest.approx(1 - (1 - a) ** 2)


def test_beta_raises_the_cutoff_with_speed():
    smoother = OneEuroFilter(min_cutoff=1.0, beta=0.5, derivative_cutoff=2.0)
    smoother(np.array([2.0, 2.0]), 1.0)
    out = smoother(np.array([3.0, 2.0]), 1.05, value_scale=2.0)
    speed = (3.0 - 2.0) * 2.0 * 20.0  # value_scale * rate
    smoothed_speed = alpha(2.0, 20.0) * speed
    expected = 2.0 + alpha(1.0 + 0.5 * smoothed_speed, 20.0) * 1.0
    assert out[0] == pytest.approx(expected)
    assert out[1] == pytest.approx(2.0)  # a coordinate at rest stays put


def test_lag_on_an_ankle_like_swing_is_below_one_frame():
    # MediaPipe's world-landmark settings on a 0.3 m, 1 Hz swing sampled at 30 fps.
    smoother = OneEuroFilter(min_cutoff=0.1, beta=40.0, derivative_cutoff=1.0)
    times = np.arange(300) / 30.0
    signal = 0.3 * np.sin(2 * np.pi * times)
    smoothed = np.array([smoother(np.array([value]), t)[0] for value, t in zip(signal, times)])
    # Lag by least squares against the signal shifted by a fraction of a frame (sub-frame resolution).
    lags = np.linspace(0.0, 3.0, 301) / 30.0
    errors = [np.mean((smoothed[30:] - 0.3 * np.sin(2 * np.pi * (times[30:] - lag))) ** 2) for lag in lags]
    lag_seconds = lags[int(np.argmin(errors))]
    assert lag_seconds < 1.0 / 30.0


def test_bad_settings_are_refused():
    with pytest.raises(ValueError, match="positive cut-offs"):
        OneEuroFilter(min_cutoff=0.0, beta=1.0, derivative_cutoff=1.0)
