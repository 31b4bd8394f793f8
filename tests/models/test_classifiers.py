"""Baseline-STEP, STEP and their backbone through the shared model checks, plus facts of the paper."""

import numpy as np
import pytest

from step_tf.data.preprocess import rotate_about_vertical
from step_tf.data.synthetic import generate_gaits
from step_tf.features import affective_features
from step_tf.models.backbone import STGCNBackbone
from step_tf.models.classifiers import STEP, BaselineSTEP, HeadingNormalisation, JointVelocity, RootCentring
from tests.helpers import run_layer_test, run_model_test

SMALL = dict(channels=(8, 16), strides=(1, 2), temporal_kernel_size=5)
COMPILE = dict(optimizer="adam", loss="sparse_categorical_crossentropy")


def _gaits(num_gaits=4, num_frames=20, seed=0):
    rng = np.random.default_rng(seed)
    # Something walking-sized: a standing skeleton with noise, away from the origin.
    return (rng.normal(0.0, 0.3, size=(num_gaits, num_frames, 16, 3)) + [1.0, 0.9, -2.0]).astype(np.float32)


def _hand_count_baseline_step(kernel=75, channels=(32, 64, 64), strides=(1, 2, 1), partitions=3, joints=16, classes=4):
    """Parameters counted from the architecture, independently of Keras."""
    total = 2 * 2 * joints * 3  # input BatchNorm over 48 coordinates: gamma, beta (+ 2 moving statistics)
    in_channels = 3
    for index, (filters, stride) in enumerate(zip(channels, strides)):
        total += in_channels * partitions * filters + partitions * filters  # 1x1 conv of the graph convolution
        total += partitions * joints * joints  # edge-importance mask
        total += 4 * filters  # BatchNorm after the graph convolution
        total += kernel * filters * filters + filters  # temporal convolution
        total += 4 * filters  # BatchNorm after it
        if index > 0 and (in_channels != filters or stride != 1):
            total += in_channels * filters + filters + 4 * filters  # 1x1 residual projection + BatchNorm
        in_channels = filters
    total += in_channels * in_channels + in_channels  # the 1x1 convolution after pooling
    total += in_channels * classes + classes  # the dense layer of 4
    return total


def test_baseline_step_with_the_public_kernel_has_about_072_m_parameters():
    model = BaselineSTEP(temporal_kernel_size=75, strides=(1, 2, 1), motion_input=False)  # the paper's input: positions only
    assert model.count_params() == _hand_count_baseline_step()
    assert 0.70e6 < model.count_params() < 0.74e6


def test_baseline_step_checks():
    model = BaselineSTEP(**SMALL)
    run_model_test(model, _gaits(), (4, 4), targets=np.array([0, 1, 2, 3]), compile_kwargs=COMPILE)


def test_step_checks_with_adapted_feature_scaling():
    model = STEP(**SMALL)
    gaits = _gaits()
    model.adapt_feature_scaling(gaits)
    run_model_test(model, gaits, (4, 4), targets=np.array([0, 1, 2, 3]), compile_kwargs=COMPILE)


def test_step_standardises_features_with_training_statistics_only():
    model = STEP(**SMALL)
    training = _gaits(num_gaits=6, seed=1)
    model.adapt_feature_scaling(training)
    scaling = model.get_layer("affective_scaling")
    # The features of the gaits as the model sees them: turned to face +z (tested below).
    features = affective_features(HeadingNormalisation()(training)).numpy()
    np.testing.assert_allclose(np.squeeze(scaling.mean), features.mean(axis=0), rtol=1e-4, atol=1e-5)
    np.testing.assert_allclose(np.squeeze(scaling.variance), features.var(axis=0), rtol=1e-3, atol=1e-6)


def test_heading_normalisation_turns_every_view_of_a_walk_to_face_forward():
    walk = generate_gaits(8, seed=4).joints  # world frame, random headings
    layer = HeadingNormalisation()
    reference = layer(walk).numpy()
    for angle in (0.3, 1.7, -2.9):
        np.testing.assert_allclose(layer(rotate_about_vertical(walk, angle)).numpy(), reference, atol=2e-4)
    # Known answer: the body's left (hips, shoulders) points to +x, the walker moves along +z, heights are kept.
    left = reference[:, :, [4, 10]] - reference[:, :, [7, 13]]
    assert np.all(left[..., 0].mean(axis=(1, 2)) > 0) and np.allclose(left[..., 2].mean(axis=(1, 2)), 0, atol=1e-5)
    displacement = reference[:, -1, 0] - reference[:, 0, 0]
    assert np.all(displacement[:, 2] > 0.5 * np.linalg.norm(displacement[:, [0, 2]], axis=-1))
    np.testing.assert_allclose(reference[..., 1], walk[..., 1], atol=1e-6)


def test_feature_scaling_is_fitted_on_what_the_model_is_trained_on():
    from step_tf.data.augment import Compose, RandomScale
    from step_tf.features import FEATURE_NAMES
    from step_tf.training.loop import scaling_gaits

    model = STEP(**SMALL)
    training = _gaits(num_gaits=6, seed=1)
    # Training on gaits scaled by 2 doubles every root distance, and so must the fitted mean.
    model.adapt_feature_scaling(scaling_gaits(training, Compose([RandomScale(2.0, 2.0)]), seed=0))
    mean = np.squeeze(model.get_layer("affective_scaling").mean)
    unscaled = affective_features(HeadingNormalisation()(training)).numpy().mean(axis=0)
    index = FEATURE_NAMES.index("distance_hand_left_root")
    np.testing.assert_allclose(mean[index], 2.0 * unscaled[index], rtol=1e-4)


def test_classifiers_take_any_frame_count_and_ignore_world_position():
    model = STEP(**SMALL)
    gaits = _gaits(num_frames=33)
    model.adapt_feature_scaling(gaits)
    logits = model(gaits, training=False)
    assert logits.shape == (4, 4)
    # Root centring is in the graph: a translated gait gets the same answer.
    shifted = model(gaits + np.array([5.0, 0.0, -3.0], np.float32), training=False)
    np.testing.assert_allclose(shifted, logits, atol=1e-4)


def test_backbone_layer_checks():
    run_layer_test(STGCNBackbone, dict(channels=(8, 8), strides=(1, 2), temporal_kernel_size=3), (2, 12, 16, 3), (2, 6, 16, 8))


def test_root_centring_layer_checks():
    run_layer_test(RootCentring, dict(root_index=0), (2, 5, 16, 3), (2, 5, 16, 3), run_training_step=False)


def test_joint_velocity_of_a_steady_walk_is_its_speed_in_every_frame():
    frames = np.arange(30, dtype=np.float32)[None, :, None, None]
    # Every joint drifts at 1.2 m/s along z and the right hand also moves up at 0.3 m/s: exact for the cubic filter.
    joints = np.zeros((1, 30, 16, 3), np.float32) + frames / 30.0 * np.array([0.0, 0.0, 1.2], np.float32)
    joints[:, :, 9, 1] += frames[:, :, 0, 0] / 30.0 * 0.3
    velocity = JointVelocity(frame_rate=30.0)(joints).numpy()
    assert velocity.shape == joints.shape
    expected = np.broadcast_to(np.array([0.0, 0.0, 1.2], np.float32), joints.shape).copy()
    expected[:, :, 9, 1] = 0.3
    np.testing.assert_allclose(velocity, expected, atol=1e-4)


def test_joint_velocity_layer_checks():
    run_layer_test(JointVelocity, dict(frame_rate=25.0), (2, 20, 16, 3), (2, 20, 16, 3), run_training_step=False)


def test_heading_normalisation_layer_checks():
    run_layer_test(HeadingNormalisation, dict(layout="step16"), (2, 5, 16, 3), (2, 5, 16, 3), run_training_step=False)


def test_backbone_rejects_mismatched_arguments():
    with pytest.raises(ValueError, match="one length"):
        STGCNBackbone(channels=(8, 8), strides=(1,))
