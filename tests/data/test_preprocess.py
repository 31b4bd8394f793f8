"""Preprocessing against known answers: Umeyama recovers known transforms."""

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from step_tf.data import preprocess


def _random_similarity(rng):
    return rng.uniform(0.5, 2.0), Rotation.random(random_state=rng).as_matrix(), rng.normal(size=3)


@pytest.mark.parametrize("seed", range(5))
def test_umeyama_recovers_a_known_similarity(seed):
    rng = np.random.default_rng(seed)
    source = rng.normal(size=(16, 3))
    scale, rotation, translation = _random_similarity(rng)
    target = scale * source @ rotation.T + translation
    found_scale, found_rotation, found_translation = preprocess.umeyama(source, target)
    assert found_scale == pytest.approx(scale, abs=1e-6)
    np.testing.assert_allclose(found_rotation, rotation, atol=1e-6)
    np.testing.assert_allclose(found_translation, translation, atol=1e-6)
    np.testing.assert_allclose(preprocess.apply_similarity(source, found_scale, found_rotation, found_translation), target, atol=1e-6)


def test_umeyama_never_returns_a_reflection():
    rng = np.random.default_rng(7)
    source = rng.normal(size=(16, 3))
    mirror = np.diag([1.0, 1.0, -1.0])
    # A mirrored target: the unconstrained least-squares orthogonal map is the
    # reflection itself; Umeyama's sign fix must return a proper rotation.
    target = source @ mirror.T
    _, rotation, _ = preprocess.umeyama(source, target)
    assert np.linalg.det(rotation) == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-9)
    # A planar point set is mirrored exactly by a rotation of pi about an in-plane axis.
    planar = source.copy()
    planar[:, 2] = 0.0
    scale, rotation, translation = preprocess.umeyama(planar, planar @ mirror.T * 1.5 + [1.0, 2.0, 3.0])
    assert np.linalg.det(rotation) == pytest.approx(1.0, abs=1e-9)
    np.testing.assert_allclose(preprocess.apply_similarity(planar, scale, rotation, translation),
                               planar @ mirror.T * 1.5 + [1.0, 2.0, 3.0], atol=1e-6)


def test_umeyama_rejects_degenerate_input():
    with pytest.raises(ValueError, match="coincide"):
        preprocess.umeyama(np.ones((5, 3)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match="point sets of one shape"):
        preprocess.umeyama(np.ones((5, 3)), np.zeros((4, 3)))


def test_view_normalise_undoes_a_known_similarity():
    rng = np.random.default_rng(3)
    reference = rng.normal(size=(16, 3))
    gait = reference + 0.05 * rng.normal(size=(10, 16, 3))
    gait[0] = reference  # so the transform found from the first frame is exactly the inverse
    scale, rotation, translation = _random_similarity(rng)
    moved = scale * gait @ rotation.T + translation
    np.testing.assert_allclose(preprocess.view_normalise(moved[None], reference)[0], gait, atol=1e-6)


def test_root_centre_puts_the_root_at_the_origin_in_every_frame():
    gait = np.random.default_rng(0).normal(size=(2, 5, 16, 3))
    centred = preprocess.root_centre(gait)
    np.testing.assert_array_equal(centred[..., 0, :], 0.0)
    np.testing.assert_allclose(centred[..., 3, :], gait[..., 3, :] - gait[..., 0, :])


def test_fit_frames_tiles_cyclically_and_cuts():
    gait = np.arange(4)[:, None, None] * np.ones((4, 2, 3))
    np.testing.assert_array_equal(preprocess.fit_frames(gait, 10)[:, 0, 0], [0, 1, 2, 3, 0, 1, 2, 3, 0, 1])
    np.testing.assert_array_equal(preprocess.fit_frames(gait, 3)[:, 0, 0], [0, 1, 2])
    with pytest.raises(ValueError, match="empty gait"):
        preprocess.fit_frames(np.zeros((0, 16, 3)), 75)


def test_rotation_about_vertical_keeps_height_and_turns_x_towards_minus_z():
    point = np.array([[1.0, 2.0, 0.0]])
    turned = preprocess.rotate_about_vertical(point, np.pi / 2)
    np.testing.assert_allclose(turned, [[0.0, 2.0, -1.0]], atol=1e-12)
