"""Splits and the tf.data pipeline: grouping, stratification, seeding, augmentation."""

import numpy as np
import pytest
import tensorflow as tf

from step_tf.data import augment
from step_tf.data.datasets import gait_dataset, grouped_stratified_folds, grouped_stratified_split
from step_tf.data.gaits import GaitSet
from step_tf.data.preprocess import rotate_about_vertical
from step_tf.data.synthetic import generate_gaits


def _imbalanced_groups(seed=0):
    rng = np.random.default_rng(seed)
    labels, groups = [], []
    for group in range(120):
        size = rng.integers(1, 12)
        # Imbalanced like E-Gait: class 0 most common.
        group_labels = rng.choice(4, size=size, p=[0.53, 0.22, 0.15, 0.10])
        labels += list(group_labels)
        groups += [f"clip{group}"] * size
    return np.array(labels), np.array(groups)


def test_split_is_grouped_stratified_and_seeded():
    labels, groups = _imbalanced_groups()
    split = grouped_stratified_split(labels, groups, seed=3)
    parts = [split.train, split.validation, split.test]
    assert sorted(np.concatenate(parts).tolist()) == list(range(len(labels)))
    for a in range(3):
        for b in range(a + 1, 3):
            assert not set(groups[parts[a]]) & set(groups[parts[b]])
    sizes = np.array([len(p) for p in parts]) / len(labels)
    np.testing.assert_allclose(sizes, [0.7, 0.2, 0.1], atol=0.03)
    overall = np.bincount(labels, minlength=4) / len(labels)
    for part in parts:
        np.testing.assert_allclose(np.bincount(labels[part], minlength=4) / len(part), overall, atol=0.06)
    again = grouped_stratified_split(labels, groups, seed=3)
    np.testing.assert_array_equal(again.test, split.test)
    other = grouped_stratified_split(labels, groups, seed=4)
    assert not np.array_equal(other.test, split.test)


def test_split_keeps_every_split_non_empty_with_few_groups():
    split = grouped_stratified_split(np.array([0, 1, 2, 3]), np.array(["a", "b", "c", "d"]))
    assert all(len(p) >= 1 for p in (split.train, split.validation, split.test))
    with pytest.raises(ValueError, match="cannot split 2 recording group"):
        grouped_stratified_split(np.array([0, 0, 1, 1]), np.array(["a", "a", "b", "b"]))
    with pytest.raises(ValueError, match="fractions"):
        grouped_stratified_split(np.array([0]), np.array(["a"]), fractions=(0.5, 0.5, 0.5))


def _gaits(num_gaits=10, num_frames=20):
    rng = np.random.default_rng(0)
    return GaitSet(joints=rng.normal(size=(num_gaits, num_frames, 16, 3)).astype(np.float32),
                   labels=np.arange(num_gaits) % 4)


def _epochs(dataset, count=2):
    return [np.concatenate([x.numpy() for x, _ in dataset]) for _ in range(count)]


def test_dataset_batches_and_is_deterministic_for_a_seed():
    gaits = _gaits()
    plain = list(gait_dataset(gaits, batch_size=4))
    assert [x.shape[0] for x, _ in plain] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate([x for x, _ in plain]), gaits.joints)
    first = _epochs(gait_dataset(gaits, 4, shuffle=True, augmentation=augment.default_augmentation(), seed=5))
    second = _epochs(gait_dataset(gaits, 4, shuffle=True, augmentation=augment.default_augmentation(), seed=5))
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], first[1])  # a new draw every epoch


def test_rotation_matches_the_numpy_rotation_and_keeps_heights():
    gait = tf.constant(_gaits().joints[0])
    seed = tf.constant([1, 2], tf.int64)
    rotated = augment.RandomRotation()(gait, seed).numpy()
    angle = tf.random.stateless_uniform([], seed, -np.pi, np.pi).numpy()
    np.testing.assert_allclose(rotated, rotate_about_vertical(gait.numpy(), angle), atol=1e-5)
    np.testing.assert_allclose(rotated[..., 1], gait.numpy()[..., 1], atol=1e-6)


def test_scale_and_mirror():
    gait = tf.constant(np.arange(20, dtype=np.float32)[:, None, None] * np.ones((20, 16, 3), np.float32))
    scaled = augment.RandomScale(0.5, 0.5)(gait, tf.constant([0, 0], tf.int64))
    np.testing.assert_allclose(scaled.numpy(), 0.5 * gait.numpy())
    walk = _gaits().joints[0]
    mirrored = augment.RandomMirror(probability=1.0)(tf.constant(walk), tf.constant([0, 0], tf.int64)).numpy()
    # By hand: the left hand (6) takes the right hand's (9) place with x negated, and back.
    np.testing.assert_array_equal(mirrored[:, 6], walk[:, 9] * [-1, 1, 1])
    np.testing.assert_array_equal(mirrored[:, 9], walk[:, 6] * [-1, 1, 1])
    np.testing.assert_array_equal(mirrored[:, 0], walk[:, 0] * [-1, 1, 1])
    kept = augment.RandomMirror(probability=0.0)(tf.constant(walk), tf.constant([0, 0], tf.int64)).numpy()
    np.testing.assert_array_equal(kept, walk)


def test_default_augmentation_makes_no_seams():
    """Augmented walks move no faster from frame to frame than the walks themselves (a tiled crop jumps)."""
    walks = generate_gaits(64, seed=3).joints
    augmented = augment.augmented_copies(walks, augment.default_augmentation(), copies=2, seed=1)
    step = lambda joints: np.linalg.norm(np.diff(joints, axis=1), axis=-1).max(axis=(1, 2))  # noqa: E731
    # Scale is at most 1.1; rotation and mirror keep distances.
    assert np.all(step(augmented) <= 1.1 * np.tile(step(walks), 2) + 1e-5)


def test_slow_down_scales_speed_and_stays_inside_the_window():
    """A walker at constant velocity (and a sine sway) is resampled as the same motion at factor s."""
    frames = 75
    time = np.arange(frames, dtype=np.float32)
    walk = np.zeros((frames, 16, 3), np.float32)
    walk[..., 2] = 0.02 * time[:, None]  # 2 cm a frame forward
    walk[..., 0] = np.sin(time / 7.0)[:, None]
    for seed in range(8):
        slowed = augment.RandomSlowDown(0.6)(tf.constant(walk), tf.constant([seed, 1], tf.int64)).numpy()
        factor = np.diff(slowed[:, 0, 2]).mean() / 0.02
        assert 0.6 - 1e-5 <= factor <= 1.0 + 1e-5
        np.testing.assert_allclose(np.diff(slowed[:, 0, 2]), 0.02 * factor, atol=1e-5)  # constant speed, no seam
        # Output time t0 + s t, recovered from the forward coordinate; the sway follows it.
        source_time = slowed[:, 0, 2] / 0.02
        assert source_time.min() >= -1e-4 and source_time.max() <= frames - 1 + 1e-4
        # Linear interpolation between frames errs by at most h^2 / 8 max|f''| = 1 / (8 * 49) for sin(t / 7).
        np.testing.assert_allclose(slowed[:, 0, 0], np.sin(source_time / 7.0), atol=1 / (8 * 7.0**2) + 1e-5)
    unchanged = augment.RandomSlowDown(1.0)(tf.constant(walk), tf.constant([0, 0], tf.int64)).numpy()
    np.testing.assert_allclose(unchanged, walk, atol=1e-6)


def test_arm_swing_scales_each_arm_bones_angle_about_its_mean_direction():
    # Pendulum arms in the sagittal (y, z) plane over whole periods, so each bone's mean direction is straight
    # down; a factor f must turn angle a into f a about it, keep the bones' lengths and move nothing else.
    frames, factor = 72, 0.5
    t = np.arange(frames)
    rng = np.random.default_rng(3)
    gait = rng.normal(0.0, 0.3, (frames, 16, 3))
    def down_at(angle):
        return np.stack([np.zeros_like(angle), -np.cos(angle), np.sin(angle)], axis=-1)
    expected = gait.copy()
    for (shoulder, elbow, hand), phase in (((4, 5, 6), 0.0), ((7, 8, 9), np.pi)):
        upper_angle = 0.6 * np.sin(2 * np.pi * t / 24 + phase)
        lower_angle = upper_angle + 0.4 * np.sin(2 * np.pi * t / 36 + phase)
        gait[:, shoulder] = [0.2, 1.4, 0.1]
        gait[:, elbow] = gait[:, shoulder] + 0.30 * down_at(upper_angle)
        gait[:, hand] = gait[:, elbow] + 0.25 * down_at(lower_angle)
        expected[:, shoulder] = gait[:, shoulder]
        expected[:, elbow] = gait[:, shoulder] + 0.30 * down_at(factor * upper_angle)
        expected[:, hand] = expected[:, elbow] + 0.25 * down_at(factor * lower_angle)
    swung = augment.RandomArmSwing(factor, factor)(tf.constant(gait), tf.constant([0, 0], tf.int64)).numpy()
    np.testing.assert_allclose(swung, expected, atol=1e-6)
    kept = augment.RandomArmSwing(1.0, 1.0)(tf.constant(gait), tf.constant([0, 0], tf.int64)).numpy()
    np.testing.assert_allclose(kept, gait, atol=1e-6)
    assert any(isinstance(step, augment.RandomArmSwing) for step in augment.default_augmentation(smallest_arm_swing=0.4).augmentations)
    assert not any(isinstance(step, augment.RandomArmSwing) for step in augment.default_augmentation().augmentations)


def test_bad_augmentation_arguments():
    with pytest.raises(ValueError, match="slowest speed factor"):
        augment.RandomSlowDown(0.0)
    with pytest.raises(ValueError, match="scale range"):
        augment.RandomScale(1.2, 1.1)
    with pytest.raises(ValueError, match="mirror probability"):
        augment.RandomMirror(1.5)
    with pytest.raises(ValueError, match="arm swing factors"):
        augment.RandomArmSwing(0.8, 0.5)


@pytest.mark.parametrize("num_folds", [3, 5])
def test_folds_are_grouped_stratified_and_cover_every_gait_once(num_folds):
    labels, groups = _imbalanced_groups(seed=1)
    folds = grouped_stratified_folds(labels, groups, num_folds, validation_fraction=0.25, seed=2)
    assert len(folds) == num_folds
    tests = [fold.test for fold in folds]
    # The test parts partition the gaits: every gait in exactly one fold.
    np.testing.assert_array_equal(np.sort(np.concatenate(tests)), np.arange(len(labels)))
    # No group in two folds' test parts.
    folds_of_group = {}
    for index, test in enumerate(tests):
        for group in set(groups[test]):
            folds_of_group.setdefault(group, set()).add(index)
    assert all(len(found) == 1 for found in folds_of_group.values())
    # Class balance: each fold's counts near 1/k of each class total, within the largest group (11 gaits).
    totals = np.bincount(labels, minlength=4)
    for test in tests:
        assert np.all(np.abs(np.bincount(labels[test], minlength=4) - totals / num_folds) <= 11)
    # Class proportions within 2 points of the whole set's (groups dealt to folds at random: 4-7 points here).
    largest_gap = max(np.abs(np.bincount(labels[t], minlength=4) / len(t) - totals / len(labels)).max() for t in tests)
    assert largest_gap < 0.02
    for fold in folds:
        # Train, validation and test partition the gaits, and no group straddles two of them.
        np.testing.assert_array_equal(np.sort(np.concatenate([fold.train, fold.validation, fold.test])), np.arange(len(labels)))
        parts = [set(groups[fold.train]), set(groups[fold.validation]), set(groups[fold.test])]
        assert not (parts[0] & parts[1] or parts[0] & parts[2] or parts[1] & parts[2])
        share = len(fold.validation) / (len(fold.train) + len(fold.validation))
        assert abs(share - 0.25) < 0.03


def test_folds_are_seeded_and_refuse_bad_settings():
    labels, groups = _imbalanced_groups()
    first = grouped_stratified_folds(labels, groups, 4, 0.2, seed=0)
    again = grouped_stratified_folds(labels, groups, 4, 0.2, seed=0)
    other = grouped_stratified_folds(labels, groups, 4, 0.2, seed=1)
    assert all(np.array_equal(a.test, b.test) for a, b in zip(first, again))
    assert not all(np.array_equal(a.test, b.test) for a, b in zip(first, other))
    with pytest.raises(ValueError, match="at least 2 folds"):
        grouped_stratified_folds(labels, groups, 1, 0.2)
    with pytest.raises(ValueError, match="validation fraction"):
        grouped_stratified_folds(labels, groups, 3, 1.0)
    with pytest.raises(ValueError, match="cannot split 3 recording group"):
        grouped_stratified_folds(np.arange(6) % 4, np.repeat(["a", "b", "c"], 2), 4, 0.2)
