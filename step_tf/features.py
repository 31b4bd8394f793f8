"""The 29 affective features of STEP, in TensorFlow, so that they can live inside a model graph.

Input: joints ``(N, T, V, C)`` = gaits, frames, 16 joints in ``step_tf.graph.STEP16`` order,
3 coordinates; metres, y up, ``frame_rate`` frames per second, T >= 15. Output: ``(N, 29)``
float32 in the order of ``FEATURE_NAMES``. Every feature is computed on per-frame root-centred
joints ``p_v[t] - p_root[t]`` (as E-Gait stores them), so a world-frame gait and its root-centred
copy give the same features. Notation: ``a x b`` cross product, ``|.|`` Euclidean norm,
``<.>_t`` the mean over frames, ``f`` the frame rate.

Posture (computed per frame on the joints smoothed by the filter below, its 0-th derivative,
which keeps observation noise from biasing angles and extents; averaged over frames 7 .. T - 8):

* 0 bounding-box volume ``<prod_axis (max_v p - min_v p)>_t`` over all joints (the true max and
  min per axis; the public code's if/elif slip, which skips the max of a joint that set a new
  min, is not copied).
* 1-5 angles ``angle(a, b) = atan2(|a x b|, a . b)`` (stable for small and straight angles):
  at the neck between the two shoulders; at shoulder_left between neck and shoulder_right; at
  shoulder_right between neck and shoulder_left; between ``head - root`` and the vertical
  (0, 1, 0); at the neck between head and spine.
* 6-9 distances to the root of hand_left, hand_right, foot_left, foot_right.
* 10-11 triangle areas ``|(b - a) x (c - a)| / 2`` of (hand_right, neck, hand_left) and
  (foot_right, root, foot_left).
* 12 step length (the paper's "stride length", in metres; the public code counted frames):
  the mean, over the foot strikes of both feet, of the horizontal (x, z) distance between the
  two feet at the strike frame. Root-centred data has no translation, so the distance a foot
  travels between its own strikes cannot be measured, while the feet's separation at touch-down
  can. With no strike at all it falls back to the largest horizontal distance between the feet
  over the gait (the separation is largest around touch-down, so this is the same quantity
  taken without timing).

Movement (smoothed derivatives, magnitudes averaged over the frames where defined): speed
(13-17), acceleration (18-22) and jerk (23-27) of hand_left, hand_right, head, foot_left,
foot_right relative to the root, ``|D_k (p_joint - p_root)|`` with ``D_k`` the Savitzky-Golay
estimate of the k-th time derivative: a least-squares cubic fitted to each window of
``SMOOTHING_WINDOW`` = 15 frames (0.5 s at 30 fps), differentiated at the window's centre
(``scipy.signal.savgol_coeffs``). Only whole windows are used (T - 14 values). Raw finite
differences amplify observation noise by ``f^k``: 3 mm of noise gave a hand jerk of about
800 m/s^3 whatever the walk, the walk itself 16-104. With the filter, a gait and the same gait
plus 3 mm (1 cm) of noise differ in these features by at most 0.05 (0.15) of their spread
between gaits (``tests/test_features.py``). The filter is linear, so the relative derivative is
the joint's smoothed derivative minus the root's.

28 gait cycle time in seconds: the mean interval between consecutive strikes of the same foot,
both feet pooled (``sum_feet (last - first) / sum_feet (strikes - 1)`` over the feet with at
least two strikes, divided by f). With no foot striking twice but each foot once, the two
strikes are one step, half a cycle, apart: ``2 |t_left - t_right| / f`` (a slow walk's 75-frame
window often holds no more). With fewer strikes, no cycle is seen inside the window, and the
stand-in is the window's duration T / f.

Foot strikes. A foot's *clearance* is its height above the lower of the two feet,
``c[t] = y_foot[t] - min(y_left[t], y_right[t])``, taken on heights smoothed by the same
filter (its 0-th derivative; frames 7 .. T - 8 of the gait): the root's vertical bobbing
cancels, and the stance foot sits at 0. A foot is *in contact* at frame t when
``c[t] <= min_t c + strike_fraction (max_t c - min_t c)`` (the lowest part of its clearance
range), and *strikes* at the first frame of a contact that follows at least k = ``strike_window``
frames out of contact (fewer at the start of the window, but never the first frame itself, where
a contact may be under way). Requiring k frames of swing makes a contact that chatters at the
threshold, and a shallow dip in mid-swing shorter than the threshold, no extra strike; a flat
stance yields one strike. The windowed tests are max-pools, so the whole computation is
vectorised and converts to TFLite.

Scaling: the features are returned raw (metres, radians, seconds, ...). They differ in scale by
orders of magnitude (jerks reach thousands of m/s^3); the model standardises them with a
Normalization layer adapted on the training split only. The public code min-max scaled them
with statistics of training and test data together, a leak not repeated here.
"""

from __future__ import annotations

import keras
import tensorflow as tf
from scipy.signal import savgol_coeffs

from step_tf.data.gaits import FRAME_RATE, MIN_FRAMES, NUM_COORDINATES
from step_tf.graph import STEP16

NUM_AFFECTIVE_FEATURES = 29
DEFAULT_STRIKE_WINDOW = 5
DEFAULT_STRIKE_FRACTION = 0.1
SMOOTHING_WINDOW = MIN_FRAMES  # frames of the Savitzky-Golay filter (0.5 s at 30 fps); MIN_FRAMES is one whole window
SMOOTHING_POLYNOMIAL = 3  # cubic: the lowest degree with a jerk

# Joints whose motion is measured, in feature order.
MOVING_JOINTS = ("hand_left", "hand_right", "head", "foot_left", "foot_right")

FEATURE_NAMES = (
    "bounding_box_volume",
    "angle_neck_between_shoulders",
    "angle_shoulder_left_between_neck_and_shoulder_right",
    "angle_shoulder_right_between_neck_and_shoulder_left",
    "angle_head_root_to_vertical",
    "angle_neck_between_head_and_spine",
    "distance_hand_left_root",
    "distance_hand_right_root",
    "distance_foot_left_root",
    "distance_foot_right_root",
    "area_hand_right_neck_hand_left",
    "area_foot_right_root_foot_left",
    "step_length",
    *(f"speed_{joint}" for joint in MOVING_JOINTS),
    *(f"acceleration_{joint}" for joint in MOVING_JOINTS),
    *(f"jerk_{joint}" for joint in MOVING_JOINTS),
    "gait_cycle_time",
)

_J = {name: STEP16.joint_index(name) for name in STEP16.joint_names}
# A sentinel beyond any clearance, for the windows that run past the ends of the gait.
_FAR = 1.0e30


def _validate_parameters(frame_rate: float, strike_window: int, strike_fraction: float) -> None:
    if not frame_rate > 0:
        raise ValueError(f"frame_rate must be positive (frames per second), got {frame_rate}")
    if int(strike_window) != strike_window or strike_window < 1:
        raise ValueError(f"strike_window must be a positive whole number of frames, got {strike_window}")
    if not 0.0 <= strike_fraction <= 1.0:
        raise ValueError(f"strike_fraction must lie in [0, 1], got {strike_fraction}")


def _validate_shape(shape: tf.TensorShape) -> None:
    if shape.rank is not None and shape.rank != 4:
        raise ValueError(f"joints must have shape (N, T, V, 3), got rank {shape.rank} ({shape})")
    num_frames, num_joints, num_coordinates = shape[1], shape[2], shape[3]
    if num_joints is not None and num_joints != STEP16.num_joints:
        raise ValueError(f"joints must have {STEP16.num_joints} joints (STEP16 order), got {num_joints} ({shape})")
    if num_coordinates is not None and num_coordinates != NUM_COORDINATES:
        raise ValueError(f"joints must have {NUM_COORDINATES} coordinates per joint, got {num_coordinates} ({shape})")
    if num_frames is not None and num_frames < MIN_FRAMES:
        raise ValueError(f"joints need at least {MIN_FRAMES} frames (one smoothing window), got {num_frames} ({shape})")


def _norm(vectors: tf.Tensor) -> tf.Tensor:
    """``|v|`` over the last axis, with a finite gradient at 0 (saliency maps pass through here)."""
    squared = tf.reduce_sum(tf.square(vectors), axis=-1)
    positive = squared > 0.0
    return tf.where(positive, tf.sqrt(tf.where(positive, squared, 1.0)), 0.0)


def _cross(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    """``a x b`` over the last axis, written out (TFLite has no cross-product op)."""
    ax, ay, az = a[..., 0], a[..., 1], a[..., 2]
    bx, by, bz = b[..., 0], b[..., 1], b[..., 2]
    return tf.stack([ay * bz - az * by, az * bx - ax * bz, ax * by - ay * bx], axis=-1)


def _angle(a: tf.Tensor, b: tf.Tensor) -> tf.Tensor:
    """The angle between ``a`` and ``b`` in radians, ``atan2(|a x b|, a . b)``."""
    return tf.atan2(_norm(_cross(a, b)), tf.reduce_sum(a * b, axis=-1))


def smoothed_derivative(values, order: int, frame_rate: float = FRAME_RATE) -> tf.Tensor:
    """The Savitzky-Golay estimate of the ``order``-th time derivative of ``values`` ``(N, T, ...)``.

    Returns ``(N, T - SMOOTHING_WINDOW + 1, ...)`` float32 (whole windows only; output frame t is
    input frame t + 7), in units per second**order. ``order`` 0 smooths. Written as a weighted
    sum of shifted slices, so it runs eagerly, in ``tf.function`` and in TFLite.
    """
    values = tf.cast(values, tf.float32)
    weights = savgol_coeffs(SMOOTHING_WINDOW, SMOOTHING_POLYNOMIAL, deriv=order, delta=1.0 / frame_rate, use="dot")
    num_out = tf.shape(values)[1] - SMOOTHING_WINDOW + 1
    return tf.add_n([float(weight) * values[:, k : k + num_out] for k, weight in enumerate(weights)])


def _minimum_before(values: tf.Tensor, window: int) -> tf.Tensor:
    """Minimum over the ``window`` frames strictly before each frame, ``(N, T, F)``; frames before the start count as ``_FAR``."""
    padded = tf.pad(-values, [[0, 0], [window, 0], [0, 0]], constant_values=-_FAR)  # (N, T + k, F)
    return -tf.nn.max_pool1d(padded, window, 1, "VALID")[:, :-1]  # output t covers t - k .. t - 1


def foot_strikes(
    joints: tf.Tensor,
    strike_window: int = DEFAULT_STRIKE_WINDOW,
    strike_fraction: float = DEFAULT_STRIKE_FRACTION,
) -> tf.Tensor:
    """Foot-strike mask ``(N, T, 2)`` bool (left, right) of joints ``(N, T, V, 3)``; see the module docstring.

    Only frames 7 .. T - 8, where the smoothed heights are defined, can be strikes.
    """
    # The clearance is translation-invariant, so the world heights serve: the root cancels.
    heights = smoothed_derivative(
        tf.stack([joints[:, :, _J["foot_left"], 1], joints[:, :, _J["foot_right"], 1]], axis=-1), 0
    )  # (N, T - 14, 2)
    clearance = heights - tf.reduce_min(heights, axis=-1, keepdims=True)
    lowest = tf.reduce_min(clearance, axis=1, keepdims=True)
    highest = tf.reduce_max(clearance, axis=1, keepdims=True)
    frame = tf.range(tf.shape(clearance)[1])[None, :, None]  # (1, T - 14, 1)
    contact = clearance <= lowest + strike_fraction * (highest - lowest)
    # All of the k frames before out of contact (frames before the start count as out).
    swung = _minimum_before(tf.cast(~contact, tf.float32), strike_window) > 0.5
    strikes = contact & swung & (frame >= 1)
    half = SMOOTHING_WINDOW // 2
    return tf.pad(strikes, [[0, 0], [half, half], [0, 0]])  # back to the gait's frames


def affective_features(
    joints,
    frame_rate: float = FRAME_RATE,
    strike_window: int = DEFAULT_STRIKE_WINDOW,
    strike_fraction: float = DEFAULT_STRIKE_FRACTION,
) -> tf.Tensor:
    """The 29 affective features ``(N, 29)`` float32 of gaits ``joints`` ``(N, T, V, 3)``.

    ``joints``: STEP16 joint order, metres, y up, world frame or root-centred, T >= 15 frames at
    ``frame_rate`` frames per second. ``strike_window`` (frames) and ``strike_fraction`` tune the
    foot-strike detector. Pure TensorFlow: runs eagerly, in ``tf.function`` and in TFLite.
    """
    _validate_parameters(frame_rate, strike_window, strike_fraction)
    joints = tf.convert_to_tensor(joints)
    if not joints.dtype.is_floating:
        raise ValueError(f"joints must be floating point, got {joints.dtype.name}")
    joints = tf.cast(joints, tf.float32)
    _validate_shape(joints.shape)
    frame_rate = float(frame_rate)

    centred = joints - joints[:, :, _J["root"] : _J["root"] + 1]  # (N, T, V, 3)
    posed = smoothed_derivative(centred, 0)  # (N, T - 14, V, 3): noise would bias angles and extents

    def joint(name: str) -> tf.Tensor:
        return posed[:, :, _J[name]]  # (N, T - 14, 3)

    extent = tf.reduce_max(posed, axis=2) - tf.reduce_min(posed, axis=2)  # (N, T - 14, 3)
    volume = extent[..., 0] * extent[..., 1] * extent[..., 2]

    neck, spine, head = joint("neck"), joint("spine"), joint("head")
    shoulder_left, shoulder_right = joint("shoulder_left"), joint("shoulder_right")
    hand_left, hand_right = joint("hand_left"), joint("hand_right")
    foot_left, foot_right = joint("foot_left"), joint("foot_right")
    # The angle to the vertical (0, 1, 0): |a x up| = |(a_x, a_z)|, a . up = a_y.
    head_tilt = tf.atan2(_norm(tf.stack([head[..., 0], head[..., 2]], axis=-1)), head[..., 1])

    per_frame_posture = tf.stack(
        [
            volume,
            _angle(shoulder_left - neck, shoulder_right - neck),
            _angle(neck - shoulder_left, shoulder_right - shoulder_left),
            _angle(neck - shoulder_right, shoulder_left - shoulder_right),
            head_tilt,
            _angle(head - neck, spine - neck),
            _norm(hand_left),
            _norm(hand_right),
            _norm(foot_left),
            _norm(foot_right),
            0.5 * _norm(_cross(hand_right - neck, hand_left - neck)),
            0.5 * _norm(_cross(foot_right, foot_left)),  # root at the origin
        ],
        axis=-1,
    )  # (N, T, 12)
    posture = tf.reduce_mean(per_frame_posture, axis=1)  # (N, 12)

    # Step length: horizontal separation of the feet at the strikes, pooled over both feet.
    half = SMOOTHING_WINDOW // 2
    strikes = foot_strikes(joints, strike_window, strike_fraction)[:, half:-half]  # (N, T - 14, 2), as posed
    strike_count = tf.cast(strikes, tf.float32)
    feet_apart = foot_left - foot_right
    separation = _norm(tf.stack([feet_apart[..., 0], feet_apart[..., 2]], axis=-1))  # (N, T - 14)
    strikes_total = tf.reduce_sum(strike_count, axis=[1, 2])  # (N,)
    separation_at_strikes = tf.reduce_sum(strike_count * separation[..., None], axis=[1, 2])
    step_length = tf.where(
        strikes_total > 0,
        separation_at_strikes / tf.maximum(strikes_total, 1.0),
        tf.reduce_max(separation, axis=1),
    )

    # Speeds, accelerations, jerks: smoothed derivatives of the root-relative joints.
    tracked = tf.gather(centred, [_J[name] for name in MOVING_JOINTS], axis=2)  # (N, T, 5, 3)
    movement = [
        tf.reduce_mean(_norm(smoothed_derivative(tracked, order, frame_rate)), axis=1) for order in (1, 2, 3)
    ]  # 3 x (N, 5)

    # Cycle time: per foot, the consecutive intervals sum to last - first strike.
    frame = tf.cast(tf.range(tf.shape(strikes)[1]), tf.float32)[None, :, None]  # (1, T - 14, 1)
    first = tf.reduce_min(tf.where(strikes, frame, _FAR), axis=1)  # (N, 2)
    last = tf.reduce_max(tf.where(strikes, frame, -_FAR), axis=1)
    per_foot = tf.reduce_sum(strike_count, axis=1)  # (N, 2)
    repeated = per_foot >= 2.0
    span = tf.reduce_sum(tf.where(repeated, last - first, 0.0), axis=1)  # (N,)
    intervals = tf.reduce_sum(tf.where(repeated, per_foot - 1.0, 0.0), axis=1)
    duration = tf.cast(tf.shape(joints)[1], tf.float32) / frame_rate
    one_each = tf.reduce_all(tf.equal(per_foot, 1.0), axis=1)
    one_step = tf.abs(first[:, 0] - first[:, 1])  # only read where each foot struck once
    cycle_time = tf.where(
        intervals > 0,
        span / tf.maximum(intervals, 1.0) / frame_rate,
        tf.where(one_each, 2.0 * one_step / frame_rate, duration),
    )

    return tf.concat([posture, step_length[:, None], *movement, cycle_time[:, None]], axis=1)


@keras.saving.register_keras_serializable(package="step_tf")
class AffectiveFeatures(keras.layers.Layer):
    """Keras layer: joints ``(N, T, V, 3)`` -> the 29 affective features ``(N, 29)``.

    Wraps ``affective_features``; it has no weights, and exports to TFLite with the model.
    """

    def __init__(
        self,
        frame_rate: float = FRAME_RATE,
        strike_window: int = DEFAULT_STRIKE_WINDOW,
        strike_fraction: float = DEFAULT_STRIKE_FRACTION,
        **kwargs,
    ):
        super().__init__(**kwargs)
        _validate_parameters(frame_rate, strike_window, strike_fraction)
        self.frame_rate = float(frame_rate)
        self.strike_window = int(strike_window)
        self.strike_fraction = float(strike_fraction)

    def call(self, joints):
        return affective_features(joints, self.frame_rate, self.strike_window, self.strike_fraction)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], NUM_AFFECTIVE_FEATURES)

    def get_config(self):
        config = super().get_config()
        config.update(
            frame_rate=self.frame_rate,
            strike_window=self.strike_window,
            strike_fraction=self.strike_fraction,
        )
        return config
