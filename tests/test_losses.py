"""STEP-Gen's loss terms against direct NumPy loops over the paper's equations 3-7."""

import numpy as np
import pytest

from step_tf import losses


def _pair(num_frames=7, seed=0):
    rng = np.random.default_rng(seed)
    shape = (3, num_frames, 4, 3)
    return rng.standard_normal(shape).astype(np.float32), rng.standard_normal(shape).astype(np.float32)


def _per_gait(function, real, synthetic):
    return np.asarray(function(real, synthetic), dtype=np.float64)


def test_reconstruction_loss_is_equation_3():
    real, synthetic = _pair()
    expected = [sum(np.sum((real[n, t] - synthetic[n, t]) ** 2) for t in range(real.shape[1])) for n in range(len(real))]
    np.testing.assert_allclose(_per_gait(losses.reconstruction_loss, real, synthetic), expected, rtol=1e-5)


def test_push_loss_is_equation_6():
    real, synthetic = _pair()
    expected = []
    for n in range(len(real)):
        total = 0.0
        for t in range(1, real.shape[1]):  # paper t = 2..T
            total += np.sum(((real[n, t] - real[n, t - 1]) - (synthetic[n, t] - synthetic[n, t - 1])) ** 2)
        for t in range(2, real.shape[1]):  # paper t = 3..T
            acceleration_real = real[n, t] - 2 * real[n, t - 1] + real[n, t - 2]
            acceleration_synthetic = synthetic[n, t] - 2 * synthetic[n, t - 1] + synthetic[n, t - 2]
            total += np.sum((acceleration_real - acceleration_synthetic) ** 2)
        expected.append(total)
    np.testing.assert_allclose(_per_gait(losses.push_loss, real, synthetic), expected, rtol=1e-5)


@pytest.mark.parametrize("num_frames, anchors", [(7, (0, 3, 6)), (8, (0, 3, 7)), (75, (0, 37, 74))])
def test_pull_loss_is_equation_7(num_frames, anchors):
    assert losses.anchor_frames(num_frames) == anchors
    real, synthetic = _pair(num_frames)
    expected = []
    for n in range(len(real)):
        total = 0.0
        for t in range(num_frames):
            for w in anchors:
                total += np.sum(((real[n, t] - real[n, w]) - (synthetic[n, t] - synthetic[n, w])) ** 2)
        expected.append(total)
    np.testing.assert_allclose(_per_gait(losses.pull_loss, real, synthetic), expected, rtol=1e-5)


def test_known_answers_on_a_hand_made_gait():
    # One joint, one coordinate, three frames: real 0, 1, 2 (constant velocity), synthetic static at 0.
    real = np.array([0.0, 1.0, 2.0], np.float32).reshape(1, 3, 1, 1)
    synthetic = np.zeros_like(real)
    assert float(losses.reconstruction_loss(real, synthetic)[0]) == pytest.approx(0 + 1 + 4)
    # Velocities 1, 1 against 0, 0; acceleration 0 against 0.
    assert float(losses.push_loss(real, synthetic)[0]) == pytest.approx(2.0)
    # d = 0, 1, 2; anchors 0, 1, 2: sum over t, w of (d_t - d_w)^2 = 2 * (1 + 4 + 1).
    assert float(losses.pull_loss(real, synthetic)[0]) == pytest.approx(12.0)


def test_a_shifted_copy_is_penalised_only_by_reconstruction():
    real, _ = _pair()
    shifted = real + np.float32(0.5)
    assert np.all(_per_gait(losses.reconstruction_loss, real, shifted) > 0)
    np.testing.assert_allclose(_per_gait(losses.push_loss, real, shifted), 0.0, atol=1e-4)
    np.testing.assert_allclose(_per_gait(losses.pull_loss, real, shifted), 0.0, atol=1e-4)
