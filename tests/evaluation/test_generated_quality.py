"""The generated-gait quality figures against known answers."""

import numpy as np
import pytest

from step_tf.data.gaits import GaitSet
from step_tf.data.synthetic import EMOTIONS, generate_gaits
from step_tf.evaluation.generated_quality import mean_joint_speed, quality_report


def _circling_hand(frames: int = 75, radius: float = 0.1, hertz: float = 0.5, walking_speed: float = 1.3) -> np.ndarray:
    """One gait ``(1, T, 16, 3)``: every joint rides on the root walking at ``walking_speed`` along z; joint 6
    also circles the root at ``radius`` and ``hertz``, so only it moves relative to the root, at 2 pi r f m/s."""
    t = np.arange(frames) / 30.0
    root = np.stack([np.zeros_like(t), np.full_like(t, 0.9), walking_speed * t], axis=-1)
    gait = np.repeat(root[:, None, :], 16, axis=1) + np.random.default_rng(0).normal(0.0, 0.2, (1, 16, 3)) * (np.arange(16) > 0)[None, :, None]
    angle = 2 * np.pi * hertz * t
    gait[:, 6] = root + radius * np.stack([np.cos(angle), np.sin(angle), np.zeros_like(t)], axis=-1)
    return gait[None]


def test_joint_speed_is_the_root_relative_speed():
    # Only the circling joint moves relative to the root: mean over 16 joints = 2 pi r f / 16; the walk itself adds nothing.
    expected = 2 * np.pi * 0.1 * 0.5 / 16
    np.testing.assert_allclose(mean_joint_speed(_circling_hand()), [expected], rtol=2e-3)
    with pytest.raises(ValueError, match="at least 15 frames"):
        mean_joint_speed(_circling_hand(frames=14))


def test_joint_speed_measures_the_walk_not_the_capture_noise():
    # The same walks with and without their observation noise (3 mm per coordinate, times a factor in [0.33, 3]):
    # frame differences would add about 40 % (noise-free walks at 0.72 of the noisy ones).
    noisy, clean = generate_gaits(200, seed=4), generate_gaits(200, seed=4, noise_sd=0.0)
    ratio = mean_joint_speed(clean.joints).mean() / mean_joint_speed(noisy.joints).mean()
    assert 0.95 < ratio < 1.05, ratio


def test_quality_report_of_a_memoriser_and_of_a_frozen_generator():
    real = generate_gaits(80, seed=2)
    train, held_out = real.subset(np.arange(60)), real.subset(np.arange(60, 80))
    memorised = quality_report(train, train, held_out)
    # Copies of the training gaits: as much motion as real gaits of their class, at distance 0 from the training set.
    assert memorised["nearest_training_distance"]["generated"] < 1e-6
    assert all(0.8 < ratio < 1.2 for ratio in memorised["speed_ratio"].values()), memorised["speed_ratio"]
    assert memorised["within_real_range"] == 1.0
    # Each training gait's first pose held for every frame: no limb motion at all, rigid bones.
    frozen = GaitSet(np.repeat(train.joints[:, :1], train.num_frames, axis=1), train.labels, EMOTIONS)
    report = quality_report(frozen, train, held_out)
    assert all(ratio < 1e-6 for ratio in report["speed_ratio"].values()), report["speed_ratio"]
    assert report["bone_length_variation"]["generated"] < 1e-6 < report["bone_length_variation"]["real"]
