"""Gait FID against the closed form for Gaussians, and on singular covariances."""

import numpy as np
import pytest

from step_tf.evaluation.fid import frechet_distance, gait_feature_extractor, gait_features, gaussian_frechet_distance


def test_commuting_diagonal_gaussians_match_the_closed_form():
    # Diagonal covariances: Tr (S_a S_b)^(1/2) = sum sqrt(a_i b_i), so FID = |dmu|^2 + sum (sqrt a_i - sqrt b_i)^2.
    mean_a, mean_b = np.array([0.0, 1.0, 2.0]), np.array([1.0, 1.0, 0.0])
    variances_a, variances_b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 1.0, 0.25])
    expected = 1 + 0 + 4 + (1 - 2) ** 2 + (2 - 1) ** 2 + (3 - 0.5) ** 2
    assert gaussian_frechet_distance(mean_a, np.diag(variances_a), mean_b, np.diag(variances_b)) == pytest.approx(expected)


def test_one_dimensional_gaussians():
    # W2^2 between N(m1, s1^2) and N(m2, s2^2) is (m1 - m2)^2 + (s1 - s2)^2.
    assert gaussian_frechet_distance([3.0], [[4.0]], [1.0], [[9.0]]) == pytest.approx(4 + 1)


def test_non_commuting_covariances_against_a_rotation_argument():
    # S_b = R S_a R^T with R a rotation by 90 degrees in 2-D and S_a = diag(a1, a2):
    # S_b = diag(a2, a1), so the Frechet distance is (sqrt a1 - sqrt a2)^2 * 2.
    a1, a2 = 4.0, 1.0
    theta = np.pi / 2
    rotation = np.array([[np.cos(theta), -np.sin(theta)], [np.sin(theta), np.cos(theta)]])
    covariance_a = np.diag([a1, a2])
    covariance_b = rotation @ covariance_a @ rotation.T
    assert gaussian_frechet_distance([0, 0], covariance_a, [0, 0], covariance_b) == pytest.approx(2 * (2 - 1) ** 2, abs=1e-9)
    # A general, non-commuting pair against scipy.linalg.sqrtm on a well-conditioned case.
    import scipy.linalg

    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((5, 5)), rng.standard_normal((5, 5))
    s_a, s_b = x @ x.T + np.eye(5), y @ y.T + np.eye(5)
    expected = np.trace(s_a + s_b - 2 * np.real(scipy.linalg.sqrtm(s_a @ s_b)))
    assert gaussian_frechet_distance(np.zeros(5), s_a, np.zeros(5), s_b) == pytest.approx(expected, rel=1e-8)


def test_singular_covariances_stay_finite_and_exact():
    rng = np.random.default_rng(1)
    features = rng.standard_normal((10, 64))  # 10 samples in 64 dimensions: rank-9 covariance
    assert frechet_distance(features, features) == pytest.approx(0.0, abs=1e-8)
    # A set of identical rows (a static generator) has zero covariance: FID = |dmu|^2 + Tr S_real.
    constant = np.tile(features.mean(axis=0) + 1.0, (5, 1))
    expected = 64.0 + np.trace(np.cov(features, rowvar=False))
    assert frechet_distance(constant, features) == pytest.approx(expected, rel=1e-9)


def test_sample_fid_of_two_gaussians_approaches_the_closed_form():
    rng = np.random.default_rng(2)
    a = rng.normal(0.0, 1.0, size=(20000, 2))
    b = rng.normal([1.0, 0.0], [2.0, 1.0], size=(20000, 2))
    assert frechet_distance(a, b) == pytest.approx(1.0 + (2.0 - 1.0) ** 2, abs=0.05)


def test_bad_shapes_are_refused():
    with pytest.raises(ValueError, match="N >= 2"):
        frechet_distance(np.zeros((1, 3)), np.zeros((4, 3)))
    with pytest.raises(ValueError, match="dimensions differ"):
        frechet_distance(np.zeros((4, 3)), np.zeros((4, 2)))
    with pytest.raises(ValueError, match="covariance_b"):
        gaussian_frechet_distance(np.zeros(2), np.eye(2), np.zeros(2), np.eye(3))


def test_feature_extractor_is_the_logits_input():
    import keras

    inputs = keras.Input((5,))
    hidden = keras.layers.Dense(7, name="dense_128")(inputs)
    model = keras.Model(inputs, keras.layers.Dense(2, name="logits")(hidden))
    extractor = gait_feature_extractor(model)
    data = np.ones((3, 5), np.float32)
    np.testing.assert_allclose(extractor(data), model.get_layer("dense_128")(data), rtol=1e-6)
    with pytest.raises(ValueError, match="no layer named 'logits'"):
        gait_feature_extractor(keras.Model(inputs, hidden))


def test_fid_compares_walks_not_their_observation_noise():
    """The same walks with and without 3 mm of noise: nearer each other than other walks, and nearer for the smoothing."""
    import keras

    from step_tf.data.synthetic import generate_gaits
    from step_tf.models.classifiers import STEP

    keras.utils.set_random_seed(0)
    noisy = generate_gaits(160, seed=5).joints
    clean = generate_gaits(160, seed=5, noise_sd=0.0).joints
    other_walks = generate_gaits(160, seed=6).joints
    model = STEP(channels=(8, 16), strides=(1, 2), temporal_kernel_size=5)
    model.adapt_feature_scaling(noisy)
    extractor = gait_feature_extractor(model)

    def distance(a, b, smooth=True):
        return frechet_distance(gait_features(extractor, a, smooth=smooth), gait_features(extractor, b, smooth=smooth))

    # Measured: 0.71 smoothed, 2.70 without the smoothing, 1.53 to other walks.
    assert distance(noisy, clean) < 0.5 * distance(noisy, other_walks)
    assert distance(noisy, clean) < 0.4 * distance(noisy, clean, smooth=False)
