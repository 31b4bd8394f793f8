"""The affective features against an independent NumPy reference and hand-computed cases."""

import math

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf

from step_tf.features import (
    FEATURE_NAMES,
    NUM_AFFECTIVE_FEATURES,
    AffectiveFeatures,
    affective_features,
    foot_strikes,
)
from step_tf.graph import STEP16
from tests.reference_features import reference_features

FPS = 30.0
# Float32 arithmetic against the float64 reference: every feature measured on the real and
# random gaits lands within a few 1e-7 relative (jerks included), so 1e-5 leaves ample margin.
TOLERANCE = dict(rtol=1e-5, atol=1e-5)

J = {name: STEP16.joint_index(name) for name in STEP16.joint_names}
F = {name: i for i, name in enumerate(FEATURE_NAMES)}
MOVING = ("hand_left", "hand_right", "head", "foot_left", "foot_right")


def features(joints, **kwargs):
    return affective_features(np.asarray(joints, dtype=np.float32), **kwargs).numpy()


@pytest.fixture(scope="module")
def world_gaits(fixtures_dir):
    return np.load(fixtures_dir / "bandai_walk_step16_4x75.npz")["positions"]


@pytest.fixture(scope="module")
def centred_gaits(fixtures_dir):
    with h5py.File(fixtures_dir / "bandai_walk_features.h5", "r") as file:
        # Joint-major (T, 48) rows: x0 y0 z0 x1 ... -> (T, 16, 3).
        return np.stack([file[key][()].reshape(-1, 16, 3) for key in sorted(file)]).astype(np.float32)


def t_pose(num_frames=75, offset=(0.0, 0.0, 0.0)):
    """A static pose ``(1, T, 16, 3)`` with known geometry (see ``test_static_pose``)."""
    pose = np.zeros((16, 3))
    pose[J["root"]] = (0.0, 1.0, 0.0)
    pose[J["spine"]] = (0.0, 1.25, 0.0)
    pose[J["neck"]] = (0.0, 1.6, 0.0)
    pose[J["head"]] = (0.0, 1.8, 0.2)
    for side, sign in (("left", 1.0), ("right", -1.0)):
        pose[J[f"shoulder_{side}"]] = (sign * 0.2, 1.5, 0.0)
        pose[J[f"elbow_{side}"]] = (sign * 0.45, 1.5, 0.0)
        pose[J[f"hand_{side}"]] = (sign * 0.7, 1.5, 0.0)
        pose[J[f"hip_{side}"]] = (sign * 0.1, 1.0, 0.0)
        pose[J[f"knee_{side}"]] = (sign * 0.1, 0.5, 0.0)
        pose[J[f"foot_{side}"]] = (sign * 0.1, 0.0, 0.0)
    return np.tile(pose + np.asarray(offset), (1, num_frames, 1, 1))


# --- agreement with the independent reference -------------------------------------------------


def test_matches_reference_on_world_frame_fixture(world_gaits):
    np.testing.assert_allclose(features(world_gaits), reference_features(world_gaits), **TOLERANCE)


def test_matches_reference_on_root_centred_egait_layout(centred_gaits):
    np.testing.assert_allclose(features(centred_gaits), reference_features(centred_gaits), **TOLERANCE)


def test_matches_reference_on_random_gaits(world_gaits):
    rng = np.random.default_rng(7)
    noisy_walks = (world_gaits + rng.normal(0.0, 0.02, world_gaits.shape)).astype(np.float32)
    np.testing.assert_allclose(features(noisy_walks), reference_features(noisy_walks), **TOLERANCE)
    scattered = rng.normal(0.0, 0.5, (3, 40, 16, 3)).astype(np.float32)
    np.testing.assert_allclose(features(scattered), reference_features(scattered), **TOLERANCE)


def test_world_frame_and_root_centred_inputs_agree(world_gaits):
    centred = world_gaits - world_gaits[:, :, :1]
    np.testing.assert_allclose(features(centred), features(world_gaits), **TOLERANCE)


def test_real_walks_have_plausible_gait_figures(world_gaits):
    # Foot strikes seen by eye in the raw clearances of the four walks (angry, happy, sad, normal):
    # 13 36 58 | 1 25 49 71; 4 35 66 | 19 50; 32 | 7 58; 12 44 | 28 60. Strikes can be found only
    # in frames 8 .. 67 (whole smoothing windows, after the first), each within 2 frames of the eye's.
    strikes = foot_strikes(world_gaits).numpy()
    by_eye = [([13, 36, 58], [1, 25, 49, 71]), ([4, 35, 66], [19, 50]), ([32], [7, 58]), ([12, 44], [28, 60])]
    for mask, feet in zip(strikes, by_eye):
        for foot, expected in enumerate(feet):
            found = np.flatnonzero(mask[:, foot])
            expected = [frame for frame in expected if 8 <= frame <= 67]
            assert len(found) == len(expected) and np.all(np.abs(found - expected) <= 2), (found, expected)
    # Cycles by eye: 23, 31 and 32 frames from repeated strikes; the sad walk's one step (32 -> 58) is half its cycle.
    cycle = features(world_gaits)[:, F["gait_cycle_time"]]
    np.testing.assert_allclose(cycle * FPS, [23, 31, 52, 32], atol=3.0)  # 0.1 s


# --- hand-computed cases ----------------------------------------------------------------------


@pytest.mark.parametrize("offset", [(0.0, 0.0, 0.0), (3.5, -0.2, -7.25)])
def test_static_pose(offset):
    result = features(t_pose(offset=offset))[0]
    expected = {
        # Box x -0.7..0.7, y 0..1.8, z 0..0.2.
        "bounding_box_volume": 1.4 * 1.8 * 0.2,
        # Shoulders 0.2 m to the side of and 0.1 m below the neck.
        "angle_neck_between_shoulders": 2 * math.atan(2.0),
        "angle_shoulder_left_between_neck_and_shoulder_right": math.atan(0.5),
        "angle_shoulder_right_between_neck_and_shoulder_left": math.atan(0.5),
        # Head - root = (0, 0.8, 0.2); head - neck = (0, 0.2, 0.2) against spine - neck = (0, -0.35, 0).
        "angle_head_root_to_vertical": math.atan(0.25),
        "angle_neck_between_head_and_spine": 0.75 * math.pi,
        "distance_hand_left_root": math.sqrt(0.7**2 + 0.5**2),
        "distance_hand_right_root": math.sqrt(0.7**2 + 0.5**2),
        "distance_foot_left_root": math.sqrt(0.1**2 + 1.0**2),
        "distance_foot_right_root": math.sqrt(0.1**2 + 1.0**2),
        # Base 1.4 between the hands, 0.1 below the neck; base 0.2 between the feet, 1.0 below the root.
        "area_hand_right_neck_hand_left": 0.5 * 1.4 * 0.1,
        "area_foot_right_root_foot_left": 0.5 * 0.2 * 1.0,
        # No strike: the fallbacks, the widest foot separation and the window's duration.
        "step_length": 0.2,
        "gait_cycle_time": 75 / FPS,
    }
    expected.update({f"{kind}_{joint}": 0.0 for kind in ("speed", "acceleration", "jerk") for joint in MOVING})
    assert set(expected) == set(FEATURE_NAMES)
    # atol: float32 rounding of the offset coordinates through the jerk filter's weights (up to 8e-5 m/s^3).
    np.testing.assert_allclose(result, [expected[name] for name in FEATURE_NAMES], rtol=1e-5, atol=2e-4)


def test_known_triangle():
    gait = t_pose(num_frames=15)
    # A 3-4-5 right triangle (decimetres) with the right angle at the neck.
    gait[:, :, J["neck"]] = (0.0, 1.5, 0.0)
    gait[:, :, J["shoulder_left"]] = (0.3, 1.5, 0.0)
    gait[:, :, J["shoulder_right"]] = (0.0, 1.5, 0.4)
    gait[:, :, J["hand_left"]] = (0.3, 1.5, 0.0)
    gait[:, :, J["hand_right"]] = (0.0, 1.5, 0.4)
    result = features(gait)[0]
    assert result[F["angle_neck_between_shoulders"]] == pytest.approx(math.pi / 2, abs=1e-6)
    at_left = result[F["angle_shoulder_left_between_neck_and_shoulder_right"]]
    at_right = result[F["angle_shoulder_right_between_neck_and_shoulder_left"]]
    assert at_left == pytest.approx(math.atan2(4, 3), abs=1e-6)
    assert at_right == pytest.approx(math.atan2(3, 4), abs=1e-6)
    assert result[F["area_hand_right_neck_hand_left"]] == pytest.approx(0.5 * 0.3 * 0.4, abs=1e-7)


def test_constant_velocity():
    num_frames = 75
    # Coordinates on a 1/1024 m grid stay exact in float32, so the differences are exact.
    gait = np.round(t_pose(num_frames) * 1024) / 1024
    frames = np.arange(num_frames)[:, None]
    step = np.array([1 / 64, 0.0, 1 / 32])  # metres per frame, exact in float32
    gait[0, :, J["hand_left"]] += frames * step
    # The whole body drifting at constant speed in the world changes nothing relative to the root.
    gait += (frames * np.array([1 / 16, 0.0, 1 / 8]))[None, :, None, :]
    result = features(gait)[0]
    # The cubic filter is exact on a straight line; what remains is float32 rounding.
    assert result[F["speed_hand_left"]] == pytest.approx(np.linalg.norm(step) * FPS, rel=1e-5)
    for joint in MOVING:
        assert result[F[f"acceleration_{joint}"]] == pytest.approx(0.0, abs=1e-3)
        assert result[F[f"jerk_{joint}"]] == pytest.approx(0.0, abs=2e-2)
        if joint != "hand_left":
            assert result[F[f"speed_{joint}"]] == pytest.approx(0.0, abs=1e-5)


def test_constant_acceleration():
    num_frames = 75
    gait = t_pose(num_frames)
    frames = np.arange(num_frames)
    # x(t) = t^2 / 512: second difference 1/256 m per frame^2, exact in float32.
    gait[0, :, J["head"], 0] += frames**2 / 512
    result = features(gait)[0]
    acceleration = FPS**2 / 256
    assert result[F["acceleration_head"]] == pytest.approx(acceleration, rel=1e-5)
    # The cubic filter is exact on a parabola: x'(t) = 2 t f / 512 at the window centres t = 7 .. T - 8,
    # whose mean is 2 * 37 f / 512.
    assert result[F["speed_head"]] == pytest.approx(2 * 37 * FPS / 512, rel=1e-5)
    assert result[F["jerk_head"]] == pytest.approx(0.0, abs=2e-2)


def striding_gait(left_strikes, right_strikes, num_frames=75, swing=10):
    """A T-pose whose feet lift for ``swing`` frames before landing at the given frames.

    The left foot is 0.6 m ahead of the right except within 9 frames of each strike (either
    foot's), where it is 0.3 m ahead (wider than the smoothing window around a strike found
    within 2 frames), so the step length at the strikes (sqrt(0.2^2 + 0.3^2))
    differs from the fallback (sqrt(0.2^2 + 0.6^2)). The root bobs, which the clearance must ignore.
    """
    gait = t_pose(num_frames)
    frames = np.arange(num_frames)
    gait[0, :, J["foot_left"], 2] = 0.6
    for strike in left_strikes + right_strikes:
        gait[0, max(strike - 9, 0) : strike + 10, J["foot_left"], 2] = 0.3
    for foot, strikes in (("foot_left", left_strikes), ("foot_right", right_strikes)):
        for strike in strikes:
            lifted = np.arange(max(0, strike - swing), strike)
            gait[0, lifted, J[foot], 1] += 0.1 * np.sin(np.pi * (lifted - strike + swing + 0.5) / swing)
    gait[0, :, :, 1] += 0.03 * np.sin(2 * np.pi * frames / 15)[:, None]
    return gait


def assert_strikes_near(mask, true_frames):
    """Strikes within 2 frames of the true landings: the smoothing blurs an abrupt landing over its window."""
    found = np.flatnonzero(mask)
    assert len(found) == len(true_frames) and np.all(np.abs(found - true_frames) <= 2), (found, true_frames)


def test_foot_strikes_at_known_frames():
    gait = striding_gait([10, 40, 64], [25, 55])
    mask = foot_strikes(gait.astype(np.float32)).numpy()[0]
    assert_strikes_near(mask[:, 0], [10, 40, 64])
    assert_strikes_near(mask[:, 1], [25, 55])
    result = features(gait)[0]
    # True intervals 30, 24 (left) and 30 (right) frames: 28 on average, each end within 2 frames.
    assert result[F["gait_cycle_time"]] * FPS == pytest.approx(28, abs=2)
    assert result[F["step_length"]] == pytest.approx(math.hypot(0.2, 0.3), rel=1e-6)


def test_cycle_time_pools_both_feet_and_falls_back():
    result = features(striding_gait([12, 40], [30, 50, 66]))[0]
    # Left: one interval of 28 frames; right: 20 + 16. Pooled mean 64 / 3 frames.
    assert result[F["gait_cycle_time"]] * FPS == pytest.approx(64 / 3, abs=2)
    single = features(striding_gait([20], [50]))[0]
    # One strike per foot: a step of 30 frames, half a cycle.
    assert single[F["gait_cycle_time"]] * FPS == pytest.approx(60, abs=2)
    assert single[F["step_length"]] == pytest.approx(math.hypot(0.2, 0.3), rel=1e-6)
    none = features(t_pose(75))[0]
    assert none[F["gait_cycle_time"]] == pytest.approx(75 / FPS)


def test_shallow_swing_dip_is_not_a_strike():
    gait = striding_gait([20, 50], [35, 65], swing=14)
    # Mid-swing (frame 58) the right foot dips for one frame to 1 cm above the left: under the
    # contact threshold of the raw heights, but smoothed away.
    gait[0, 58, J["foot_right"], 1] = gait[0, 58, J["foot_left"], 1] + 0.01
    mask = foot_strikes(gait.astype(np.float32)).numpy()[0]
    assert_strikes_near(mask[:, 0], [20, 50])
    assert_strikes_near(mask[:, 1], [35, 65])


def test_first_frame_is_not_a_strike():
    # The left foot is down when the smoothed heights begin (frame 7): a contact under way.
    mask = foot_strikes(striding_gait([5, 41], [26, 56]).astype(np.float32)).numpy()[0]
    assert_strikes_near(mask[:, 0], [41])
    assert_strikes_near(mask[:, 1], [26, 56])


@pytest.mark.parametrize("noise", [0.003, 0.01])
def test_features_robust_to_capture_noise(world_gaits, noise):
    """Four real walks and the same walks plus Gaussian noise on every coordinate.

    Stated tolerance: the median relative change of every feature is at most 20 %, except, at
    1 cm, the head's speed, acceleration and jerk: the head moves only a few centimetres relative
    to the root, so 1 cm of noise is of the order of its motion (measured 37-110 %). With raw
    differences (before smoothing) the hand jerk changed by about 500 % at 3 mm.
    """
    rng = np.random.default_rng(0)
    clean = features(world_gaits)
    noisy = np.stack([features(world_gaits + rng.normal(0.0, noise, world_gaits.shape).astype(np.float32)) for _ in range(5)])
    change = np.median(np.abs(noisy - clean) / np.abs(clean), axis=(0, 1))
    exempt = {"speed_head", "acceleration_head", "jerk_head"} if noise == 0.01 else set()
    checked = [i for i, name in enumerate(FEATURE_NAMES) if name not in exempt]
    worst = checked[int(np.argmax(change[checked]))]
    assert change[worst] <= 0.2, f"{FEATURE_NAMES[worst]} changed by {change[worst]:.0%}"


# --- shapes, graph mode, Keras, TFLite --------------------------------------------------------


@pytest.mark.parametrize("batch, num_frames", [(1, 75), (5, 75), (1, 40), (5, 40)])
def test_shapes_eager_and_graph(world_gaits, batch, num_frames):
    gaits = np.resize(world_gaits[:, :num_frames], (batch, num_frames, 16, 3)).astype(np.float32)
    eager = affective_features(gaits)
    assert eager.shape == (batch, NUM_AFFECTIVE_FEATURES) and eager.dtype == tf.float32
    graph = tf.function(affective_features, input_signature=[tf.TensorSpec((None, None, 16, 3), tf.float32)])
    np.testing.assert_allclose(graph(gaits).numpy(), eager.numpy(), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(eager.numpy(), reference_features(gaits), **TOLERANCE)


def test_feature_names():
    assert len(FEATURE_NAMES) == NUM_AFFECTIVE_FEATURES == len(set(FEATURE_NAMES))


def test_gradient_is_finite_for_a_static_pose():
    # Zero speeds put sqrt at 0; saliency maps differentiate through the features.
    joints = tf.constant(t_pose(15), tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(joints)
        total = tf.reduce_sum(affective_features(joints))
    assert np.isfinite(tape.gradient(total, joints).numpy()).all()


@pytest.mark.parametrize(
    "shape, message",
    [
        ((2, 75, 15, 3), "16 joints"),
        ((2, 75, 16, 2), "3 coordinates"),
        ((2, 14, 16, 3), "at least 15 frames"),
        ((75, 16, 3), "rank 3"),
    ],
)
def test_bad_shapes_raise(shape, message):
    with pytest.raises(ValueError, match=message):
        affective_features(np.zeros(shape, np.float32))


@pytest.mark.parametrize(
    "arguments, message",
    [
        (dict(frame_rate=0.0), "frame_rate"),
        (dict(strike_window=0), "strike_window"),
        (dict(strike_fraction=1.5), "strike_fraction"),
    ],
)
def test_bad_parameters_raise(arguments, message):
    with pytest.raises(ValueError, match=message):
        affective_features(np.zeros((1, 10, 16, 3), np.float32), **arguments)
    with pytest.raises(ValueError, match=message):
        AffectiveFeatures(**arguments)


def test_frame_rate_scales_movement(world_gaits):
    at_60 = features(world_gaits, frame_rate=60.0)
    np.testing.assert_allclose(at_60, reference_features(world_gaits, frame_rate=60.0), **TOLERANCE)


def test_layer_config_round_trip(world_gaits):
    layer = AffectiveFeatures(frame_rate=25.0, strike_window=4, strike_fraction=0.1, name="affect")
    config = layer.get_config()
    assert (config["frame_rate"], config["strike_window"], config["strike_fraction"]) == (25.0, 4, 0.1)
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert isinstance(restored, AffectiveFeatures) and restored.get_config() == config
    expected = reference_features(world_gaits, frame_rate=25.0, window=4, fraction=0.1)
    np.testing.assert_allclose(restored(world_gaits).numpy(), expected, **TOLERANCE)


def test_layer_in_saved_model(tmp_path, world_gaits):
    inputs = keras.Input((75, 16, 3))
    model = keras.Model(inputs, AffectiveFeatures()(inputs))
    assert model.output_shape == (None, NUM_AFFECTIVE_FEATURES)
    model.save(tmp_path / "features.keras")
    loaded = keras.saving.load_model(tmp_path / "features.keras")
    np.testing.assert_array_equal(loaded.predict(world_gaits, verbose=0), model.predict(world_gaits, verbose=0))


def test_converts_to_tflite_and_matches(world_gaits):
    from ai_edge_litert.interpreter import Interpreter

    inputs = keras.Input((75, 16, 3))
    model = keras.Model(inputs, AffectiveFeatures()(inputs))
    signature = [tf.TensorSpec((None, 75, 16, 3), tf.float32)]  # any batch size
    function = tf.function(lambda joints: model(joints), input_signature=signature)
    converter = tf.lite.TFLiteConverter.from_concrete_functions([function.get_concrete_function()], model)
    # Only builtin TFLite ops (no Flex/SELECT_TF_OPS): conversion fails if any op is missing.
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    interpreter = Interpreter(model_content=converter.convert())
    input_index = interpreter.get_input_details()[0]["index"]
    interpreter.resize_tensor_input(input_index, world_gaits.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(input_index, world_gaits.astype(np.float32))
    interpreter.invoke()
    result = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    # The same float32 formulas with other kernels (summation order): differences of a few
    # float32 roundings (measured below 1e-6 relative), so the reference tolerance still holds.
    np.testing.assert_allclose(result, features(world_gaits), **TOLERANCE)
    np.testing.assert_allclose(result, reference_features(world_gaits), **TOLERANCE)
