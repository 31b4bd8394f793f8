"""The One-Euro filter (Casiez, Roussel and Vogel, CHI 2012), as MediaPipe applies it to landmarks.

An exponential smoother whose cut-off frequency rises with speed: little
jitter at rest, little lag in motion. For a sample ``x_i`` at time ``t_i``,
with rate ``f = 1 / (t_i - t_{i-1})`` and ``alpha(c) = 1 / (1 + f / (2 pi c))``:

    dx_i   = (x_i - x_{i-1}^raw) * value_scale * f       (speed, raw samples)
    edx_i  = alpha(d_c) dx_i + (1 - alpha(d_c)) edx_{i-1}
    c_i    = min_cutoff + beta |edx_i|
    y_i    = alpha(c_i) x_i + (1 - alpha(c_i)) y_{i-1}

The first sample passes unchanged (and the speed starts at 0). ``value_scale`` makes ``beta`` independent of
the units (MediaPipe passes 1 / the person's size in pixels for image
landmarks and 1 for world landmarks in metres). Each coordinate of the array
is filtered on its own; shapes stay as given.
"""

from __future__ import annotations

import math

import numpy as np

DEFAULT_FREQUENCY = 30.0


class OneEuroFilter:
    """A One-Euro filter over arrays of any fixed shape; call it with ``(values, timestamp, value_scale)``."""

    def __init__(self, min_cutoff: float, beta: float, derivative_cutoff: float):
        if min_cutoff <= 0 or derivative_cutoff <= 0 or beta < 0:
            raise ValueError(
                f"One-Euro filter needs positive cut-offs and a non-negative beta, got min_cutoff={min_cutoff}, "
                f"beta={beta}, derivative_cutoff={derivative_cutoff}"
            )
        self.min_cutoff, self.beta, self.derivative_cutoff = min_cutoff, beta, derivative_cutoff
        self._time: float | None = None
        self._raw: np.ndarray | None = None
        self._smoothed: np.ndarray | None = None
        self._speed: np.ndarray | None = None

    @staticmethod
    def _alpha(cutoff, frequency: float):
        return 1.0 / (1.0 + frequency / (2.0 * math.pi * np.asarray(cutoff)))

    def __call__(self, values: np.ndarray, timestamp: float, value_scale: float = 1.0) -> np.ndarray:
        values = np.asarray(values, dtype=np.float64)
        if self._raw is None:
            self._time, self._raw, self._smoothed = timestamp, values, values
            self._speed = np.zeros_like(values)
            return values
        if values.shape != self._raw.shape:
            raise ValueError(f"One-Euro filter: values of shape {values.shape} after {self._raw.shape}")
        frequency = 1.0 / (timestamp - self._time) if timestamp > self._time else DEFAULT_FREQUENCY
        speed = (values - self._raw) * value_scale * frequency
        self._speed = self._alpha(self.derivative_cutoff, frequency) * speed + (1 - self._alpha(self.derivative_cutoff, frequency)) * self._speed
        alpha = self._alpha(self.min_cutoff + self.beta * np.abs(self._speed), frequency)
        self._smoothed = alpha * values + (1 - alpha) * self._smoothed
        self._time, self._raw = timestamp, values
        return self._smoothed
