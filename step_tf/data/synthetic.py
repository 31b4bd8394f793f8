"""The embedded default data set: procedurally generated, emotion-styled walking.

**These gaits are synthetic.** They come from a hand-written kinematic model,
not from people; they let ``python -m step_tf.fit`` train and test something
meaningful with no data at hand, and they exercise every code path. Their
emotion prototypes are calibrated on one actor's acted walks (below), so a
model trained on them transfers to real walks only as far as
``bench/sim_to_real.py`` measures. Use real data for any claim.

Body and rig (per subject)
--------------------------
Body height ``H ~ N(1.70, 0.09^2)`` m clipped to [1.5, 1.9]. Segment lengths are
fractions of ``H``. Capture rigs put the joints in different places, so each
subject's fraction of each segment is drawn uniformly between two rigs and
then scaled by its own factor ``N(1, 0.03^2)``: the anatomical joint centres of
Winter's table (D. A. Winter, *Biomechanics and Motor Control of Human
Movement*, 4th ed., 2009, fig. 4.1; ``ANATOMICAL_SEGMENTS``: thigh (hip-knee)
0.245, shank (knee-ankle) 0.246, ankle height 0.039, hip joint height 0.530
(= thigh + shank + ankle), pelvis centre to neck (C7) 0.288 (0.818 - 0.530;
40 % to the ``spine`` joint, 60 % on to the neck), neck to head joint 0.052
(chin level, 0.870), upper arm 0.186, forearm 0.146, half shoulder width
0.129 (biacromial 0.259), shoulder drop below the neck 0.02, half hip-joint
spacing 0.045, hip joints level with the pelvis centre, toe lever (ankle to
the ball of the foot, horizontally) 0.09) and the joints of a motion-capture
rig, measured on the Bandai-Namco walks (``MOCAP_SEGMENTS``: shoulders near
the neck at half width 0.058, pelvis to neck 0.231, hips 0.013 below the
pelvis centre, the "foot" joint 0.066 above the floor, ...). The 16 joints
are those of ``step_tf.graph.STEP16``; "foot" is the ankle, "hand" the wrist.

Walk cycle (per gait)
---------------------
Local frame: x = the walker's left, y = up, z = forward. The left foot's cycle
phase is ``phi_L(t) = phi_0 + f t`` with cycle frequency ``f = cadence / 120``
(cadence in steps per minute, two steps per cycle), the right foot's
``phi_R = phi_L + 1/2``. Stride length ``S`` (one foot's advance per cycle)
makes the walking speed ``v = S f``. With stance fraction
``beta = clip(0.6 - 0.05 (v - 1.3), 0.55, 0.68)`` (stance shortens with speed)
and ``r`` = a foot's phase modulo 1, ``s = (r - beta) / (1 - beta)`` in swing:

* foot (ankle) path, per cycle of one foot: planted (fixed in the world, at
  ankle height above the floor y = 0) for the first 55 % of stance; then the
  heel rises as the foot turns about its toes by ``theta = 40 deg p^2``
  (``p`` from 0 to 1 over the rest of stance), which moves the ankle forward by
  ``a (1 - cos theta) + h sin theta`` and up by ``a sin theta - h (1 - cos theta)``
  (toe lever ``a = 0.09 H``, ankle height ``h``); in swing it advances the rest
  of the stride as ``s - sin(2 pi s) / (2 pi)`` (zero velocity at lift-off and
  strike), its toe-off lift decays as ``(1 - s)^2`` and it clears the floor by
  ``lift sin(pi s)``. Each cycle the foot advances exactly ``S``; the planted
  stretch (``S beta`` minus the toe-off roll, relative to the pelvis) is
  centred under the pelvis. The feet are ``+-step_width / 2`` to the sides.
  Strides are capped at 1.9 leg lengths (thigh + shank), about the longest of
  the real fast walks, beyond which the legs could not reach without crouching;
* pelvis (root): forward ``S phi_L`` (the walking translation), lateral sway
  ``sway cos(2 pi (phi_L - beta / 2))`` toward the stance foot, height
  ``h_0 + bob cos(4 pi (phi_L - beta / 2)) - impact (bump(r_L) + bump(r_R))``,
  highest at mid-stance, twice per cycle (inverted pendulum), with a heel-strike
  dip ``bump(r) = exp(-((r - 0.05) / 0.04)^2)``. ``h_0`` is the highest pelvis
  height at which both legs reach their ankles at every phase with at most
  99.5 % of the leg length (knee flexion at least about 11 degrees);
* knees by two-link inverse kinematics in the plane of hip, ankle and the
  forward direction, bending forward: thigh and shank keep their lengths, and
  knee flexion grows in swing as the foot lifts and passes under the hip;
* trunk: root -> spine leans forward by ``lean`` (plus 1 degree of oscillation
  twice per cycle), spine -> neck by ``lean + slump``; neck -> head is pitched
  ``head_pitch`` from the vertical (positive forward / down);
* arms: arm swing signal ``a_L = -cos(2 pi phi_L)`` (left arm back at left
  heel strike, opposite to the legs), ``a_R = -a_L``; shoulders on the neck,
  the shoulder line yawed by ``0.2 arm_swing a_L`` with the arms; upper arm
  pitched ``arm_swing a`` from the vertical and abducted 8 degrees, forearm
  pitched further by the elbow flexion ``elbow_flexion + 0.6 arm_swing (a + 1) / 2``
  degrees (the elbow bends more as the arm swings forward).

The body may face away from the walking direction by ``facing_offset ~ N(0,
20 deg)`` clipped to +-50 deg (the Bandai walk-left / walk-right takes walk
diagonally, 7-48 deg): the hips, trunk, head and arms turn about the root,
the feet keep stepping along the walking direction and the knees are solved
again, bending toward the turned front.

Finally each gait is turned by a uniform random heading about the vertical,
placed at a uniform random start in a 6 m x 6 m square of the floor (y = 0),
and every coordinate gets ``N(0, s^2)`` observation noise, ``s`` = 3 mm times a
per-gait log-uniform factor in [0.33, 3] (1 mm, clean motion capture, to 9 mm,
closer to video pose).

Emotion styles
--------------
Directions of change follow the gait-emotion literature the STEP paper cites:
J. M. Montepare et al., "The identification of emotions from gait information",
J. Nonverbal Behav. 11(1), 1987 (angry: heavy-footed, long strides; sad: less
arm swing; happy: faster); C. L. Roether et al., "Critical features for the
perception of emotion from gait", J. Vision 9(6), 2009 (sad: slow, reduced limb
flexion amplitudes, head inclined; angry and happy: fast, large amplitudes;
angry: more elbow flexion); M. Karg et al., "Recognition of affect based on
gait patterns", IEEE TSMC-B 40(4), 2010 (velocity, stride length and cadence
carry most of the affect). ``STYLES`` holds the class prototypes (stride
length for a 1.70 m body, scaled by ``H / 1.70``); their magnitudes are
calibrated by ``bench/calibrate_embedded.py`` so that each class's mean speed,
stride length, cadence, arm swing, hand height, trunk lean, head pitch, pelvis
bob and foot separation equal those of the same class in the Bandai-Namco
Research Motion dataset-1 walks (CC BY-NC 4.0; one actor, four clips per
class; only these class means are taken from it). The spreads below keep the
literature's between-person variation, which one actor cannot show.

A gait's parameters are ``neutral + k (prototype - neutral)`` with an
expression intensity ``k ~ U(0.2, 1)``, then shifted by a per-subject style
(speed factor ``exp(N(0, 0.15^2))`` split evenly between cadence and stride;
offsets for arm swing, lean, head pitch; a factor for bob) and by per-gait
noise, so classes overlap: a brisk sad walker can out-pace a slow neutral one.
``gaussian_parameter_accuracy`` estimates how separable the classes are.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from step_tf.data.gaits import EMOTIONS, FRAME_RATE, NUM_FRAMES, GaitSet
from step_tf.data.preprocess import rotation_about_vertical
from step_tf.graph import STEP16

REFERENCE_HEIGHT = 1.70  # m, the body the STYLES stride lengths are given for


@dataclasses.dataclass(frozen=True)
class EmotionStyle:
    """Prototype walking parameters of one emotion (degrees, metres, steps per minute)."""

    cadence: float  # steps per minute
    stride_length: float  # m, for a REFERENCE_HEIGHT body
    arm_swing: float  # degrees, amplitude of the upper-arm pitch
    elbow_flexion: float  # degrees, at the back of the swing
    trunk_lean: float  # degrees forward
    slump: float  # degrees, extra forward flexion of the upper trunk
    head_pitch: float  # degrees from vertical, positive forward (down)
    bob: float  # m, amplitude of the pelvis's vertical oscillation
    impact: float  # m, depth of the heel-strike dip of the pelvis
    swing_lift: float  # m, ankle clearance in mid-swing
    step_width: float  # m, lateral distance between the feet's paths


STYLES = {  # calibrated by bench/calibrate_embedded.py on the Bandai-Namco walks' class means
    "angry": EmotionStyle(126.0, 1.106, 32.6, 29.7, 12.6, 2.0, 23.4, 0.002, 0.018, 0.13, 0.097),
    "neutral": EmotionStyle(107.2, 1.199, 27.7, 14.9, -1.8, 0.0, -7.7, 0.011, 0.005, 0.12, 0.025),
    "happy": EmotionStyle(129.0, 1.242, 58.5, 77.1, 5.8, 0.0, -11.7, 0.079, 0.008, 0.14, 0.058),
    "sad": EmotionStyle(53.5, 0.471, 1.0, 0.0, 15.8, 8.0, 39.7, 0.007, 0.003, 0.08, 0.144),
}
STYLE_PARAMETERS = tuple(field.name for field in dataclasses.fields(EmotionStyle))

# Where a rig puts the joints, as fractions of body height (see the module docstring). Winter's
# anatomical joint centres, and those of a motion-capture rig (the Bandai-Namco walks, measured by
# ``bench/calibrate_embedded.py``, body height = root height / 0.530).
ANATOMICAL_SEGMENTS = {
    "thigh": 0.245,
    "shank": 0.246,
    "ankle_height": 0.039,
    "trunk": 0.288,
    "neck_to_head": 0.052,
    "upper_arm": 0.186,
    "forearm": 0.146,
    "half_shoulder_width": 0.129,
    "shoulder_drop": 0.02,
    "half_hip_width": 0.045,
    "hip_drop": 0.0,
    "toe_lever": 0.09,
}
MOCAP_SEGMENTS = {
    "thigh": 0.220,
    "shank": 0.231,
    "ankle_height": 0.066,
    "trunk": 0.231,
    "neck_to_head": 0.036,
    "upper_arm": 0.137,
    "forearm": 0.126,
    "half_shoulder_width": 0.058,
    "shoulder_drop": 0.020,
    "half_hip_width": 0.036,
    "hip_drop": 0.013,
    "toe_lever": 0.09,  # not measurable from the joints; Winter's value
}
SEGMENTS = tuple(ANATOMICAL_SEGMENTS)
SPINE_FRACTION = 0.4  # of the trunk, pelvis centre to the spine joint (0.38 on the Bandai rig)

# Spread of subjects and gaits around the style prototypes.
INTENSITY_RANGE = (0.2, 1.0)
SUBJECT_SPEED_SD = 0.15  # log speed factor
GAIT_SPEED_SD = 0.08  # log cadence and log stride, each
SUBJECT_SD = {"arm_swing": 6.0, "elbow_flexion": 8.0, "trunk_lean": 3.0, "head_pitch": 6.0}
GAIT_SD = {
    "arm_swing": 6.0, "elbow_flexion": 8.0, "trunk_lean": 3.0, "slump": 2.0, "head_pitch": 6.0, "swing_lift": 0.02,
    "step_width": 0.02,
}
SUBJECT_BOB_SD = 0.2  # log bob factor
GAIT_BOB_SD = 0.15  # log bob and log impact factors
MAX_STRIDE_PER_LEG = 1.9  # stride length / (thigh + shank)
TOE_OFF_ANGLE = 40.0  # degrees the foot turns about its toes by toe-off
HEEL_RISE_START = 0.55  # fraction of stance at which the heel starts to rise
# Degrees the body faces away from the walking direction: the Bandai forward walks measure 0-5
# (walk) and 7-48 (walk-left, walk-right), sd about 20 over all their windows.
FACING_OFFSET_SD = 20.0
FACING_OFFSET_LIMIT = 50.0
NOISE_SD = 0.003  # m, median observation noise per coordinate
NOISE_FACTOR_RANGE = (0.33, 3.0)  # a gait's noise is NOISE_SD times a log-uniform factor in this range
START_HALF_RANGE = 3.0  # m

_JOINT = {name: index for index, name in enumerate(STEP16.joint_names)}


def _class_counts(num_gaits: int, class_weights) -> np.ndarray:
    """Gaits per class, proportional to the weights (largest remainders get the rest)."""
    if class_weights is None:
        weights = np.ones(len(EMOTIONS))
    else:
        weights = np.asarray(class_weights, dtype=np.float64)
        if weights.shape != (len(EMOTIONS),):
            raise ValueError(
                f"class_weights must be {len(EMOTIONS)} numbers for {', '.join(EMOTIONS)}, got {class_weights!r}"
            )
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError(f"class_weights must be finite, non-negative and not all zero, got {class_weights!r}")
    shares = num_gaits * weights / weights.sum()
    counts = np.floor(shares).astype(np.int64)
    remainder_order = np.argsort(-(shares - counts), kind="stable")
    counts[remainder_order[: num_gaits - counts.sum()]] += 1
    return counts


def sample_parameters(
    rng: np.random.Generator, num_gaits: int, class_weights=None, num_subjects: int | None = None, styles=None
) -> dict[str, np.ndarray]:
    """Per-gait walking parameters ``{name: (N,)}``: label, subject, body, style, stance, heading, start, phase.

    The draws follow the module docstring; ``generate_gaits`` renders them.
    ``styles`` (default ``STYLES``) maps each emotion to its ``EmotionStyle`` prototype.
    """
    if not isinstance(num_gaits, (int, np.integer)) or num_gaits < 1:
        raise ValueError(f"num_gaits must be a positive integer, got {num_gaits!r}")
    if num_subjects is None:
        num_subjects = max(1, round(num_gaits / 8))
    if not isinstance(num_subjects, (int, np.integer)) or not 1 <= num_subjects <= num_gaits:
        raise ValueError(f"num_subjects must be an integer in 1..num_gaits ({num_gaits}), got {num_subjects!r}")
    counts = _class_counts(num_gaits, class_weights)
    labels = rng.permutation(np.repeat(np.arange(len(EMOTIONS)), counts)).astype(np.int32)
    subjects = rng.permutation(np.arange(num_gaits) % num_subjects)

    # Subject bodies and personal styles, looked up per gait.
    height = np.clip(rng.normal(REFERENCE_HEIGHT, 0.09, num_subjects), 1.5, 1.9)[subjects]
    parameters = {"label": labels, "subject": subjects, "height": height}
    # Each subject's rig places each joint somewhere between the anatomical and the motion-capture centre.
    for segment in SEGMENTS:
        blend = rng.uniform(0.0, 1.0, num_subjects)
        fraction = (1.0 - blend) * ANATOMICAL_SEGMENTS[segment] + blend * MOCAP_SEGMENTS[segment]
        parameters[segment] = (fraction * rng.normal(1.0, 0.03, num_subjects))[subjects] * height
    subject_speed = np.exp(rng.normal(0.0, SUBJECT_SPEED_SD, num_subjects))[subjects]
    subject_offset = {name: rng.normal(0.0, sd, num_subjects)[subjects] for name, sd in SUBJECT_SD.items()}
    subject_bob = np.exp(rng.normal(0.0, SUBJECT_BOB_SD, num_subjects))[subjects]

    # Emotion: blend from neutral toward the class prototype by the intensity.
    styles = STYLES if styles is None else styles
    prototypes = np.array([[getattr(styles[name], field) for field in STYLE_PARAMETERS] for name in EMOTIONS])
    neutral = np.array([getattr(styles["neutral"], field) for field in STYLE_PARAMETERS])
    intensity = rng.uniform(*INTENSITY_RANGE, num_gaits)
    style = neutral + intensity[:, None] * (prototypes[labels] - neutral)
    for column, name in enumerate(STYLE_PARAMETERS):
        parameters[name] = style[:, column]

    parameters["cadence"] = parameters["cadence"] * np.sqrt(subject_speed) * np.exp(rng.normal(0.0, GAIT_SPEED_SD, num_gaits))
    parameters["stride_length"] = (
        parameters["stride_length"] * height / REFERENCE_HEIGHT * np.sqrt(subject_speed) * np.exp(rng.normal(0.0, GAIT_SPEED_SD, num_gaits))
    )
    # Nobody strides much beyond 1.9 leg lengths walking (the real fast walks of the fixtures reach it).
    parameters["stride_length"] = np.minimum(parameters["stride_length"], MAX_STRIDE_PER_LEG * (parameters["thigh"] + parameters["shank"]))
    for name, sd in GAIT_SD.items():
        parameters[name] = parameters[name] + subject_offset.get(name, 0.0) + rng.normal(0.0, sd, num_gaits)
    parameters["slump"] = np.maximum(parameters["slump"], 0.0)
    parameters["swing_lift"] = np.maximum(parameters["swing_lift"], 0.04)
    parameters["arm_swing"] = np.maximum(parameters["arm_swing"], 1.0)
    parameters["bob"] = parameters["bob"] * subject_bob * np.exp(rng.normal(0.0, GAIT_BOB_SD, num_gaits))
    parameters["impact"] = parameters["impact"] * np.exp(rng.normal(0.0, GAIT_BOB_SD, num_gaits))

    parameters["step_width"] = np.maximum(parameters["step_width"], 0.0)
    parameters["sway"] = rng.uniform(0.015, 0.035, num_gaits)
    parameters["noise_factor"] = np.exp(rng.uniform(*np.log(NOISE_FACTOR_RANGE), num_gaits))
    parameters["facing_offset"] = np.radians(np.clip(rng.normal(0.0, FACING_OFFSET_SD, num_gaits), -FACING_OFFSET_LIMIT, FACING_OFFSET_LIMIT))
    parameters["heading"] = rng.uniform(0.0, 2.0 * np.pi, num_gaits)
    parameters["start_x"] = rng.uniform(-START_HALF_RANGE, START_HALF_RANGE, num_gaits)
    parameters["start_z"] = rng.uniform(-START_HALF_RANGE, START_HALF_RANGE, num_gaits)
    parameters["phase"] = rng.uniform(0.0, 1.0, num_gaits)
    speed = parameters["stride_length"] * parameters["cadence"] / 120.0
    parameters["stance"] = np.clip(0.6 - 0.05 * (speed - 1.3), 0.55, 0.68)
    return parameters


def _foot_roll(theta, toe_lever, ankle_height):
    """Forward and upward displacement of the ankle when the foot turns ``theta`` rad about its toes."""
    forward = toe_lever * (1.0 - np.cos(theta)) + ankle_height * np.sin(theta)
    up = toe_lever * np.sin(theta) - ankle_height * (1.0 - np.cos(theta))
    return forward, up


def _toe_off(toe_lever, ankle_height):
    """The ankle's roll displacement at toe-off (the foot turned ``TOE_OFF_ANGLE``)."""
    return _foot_roll(np.radians(TOE_OFF_ANGLE), toe_lever, ankle_height)


def _ankle_path(cycle_fraction, stance, stride, ankle_height, toe_lever, swing_lift):
    """Ankle forward position (relative to the foot's last strike) and height ``(N, T)``; see the docstring."""
    swing = np.clip((cycle_fraction - stance) / (1.0 - stance), 0.0, 1.0)
    push_off = np.clip((cycle_fraction / stance - HEEL_RISE_START) / (1.0 - HEEL_RISE_START), 0.0, 1.0)
    # Forefoot rocker: the foot turns about its toes by theta, lifting and advancing the ankle.
    roll_forward, roll_up = _foot_roll(np.radians(TOE_OFF_ANGLE) * push_off**2, toe_lever, ankle_height)
    toe_off_forward, toe_off_up = _toe_off(toe_lever, ankle_height)
    in_stance = cycle_fraction < stance
    smooth_swing = swing - np.sin(2.0 * np.pi * swing) / (2.0 * np.pi)
    forward = np.where(in_stance, roll_forward, toe_off_forward + (stride - toe_off_forward) * smooth_swing)
    height = ankle_height + np.where(in_stance, roll_up, toe_off_up * (1.0 - swing) ** 2 + swing_lift * np.sin(np.pi * swing))
    return forward, height


def _heel_strike_dip(cycle_fraction: np.ndarray) -> np.ndarray:
    return np.exp(-(((cycle_fraction - 0.05) / 0.04) ** 2))


def _sagittal(length: np.ndarray, angle: np.ndarray) -> np.ndarray:
    """Vectors ``(..., 3)`` of ``length`` pitched ``angle`` rad forward from up, in local x y z."""
    return np.stack([np.zeros_like(angle), length * np.cos(angle), length * np.sin(angle)], axis=-1)


def _knee(hip: np.ndarray, ankle: np.ndarray, thigh: np.ndarray, shank: np.ndarray, forward: np.ndarray) -> np.ndarray:
    """Knee positions ``(N, T, 3)`` by two-link inverse kinematics, bending toward ``forward`` ``(N, 1, 3)``."""
    hip_to_ankle = ankle - hip
    distance = np.linalg.norm(hip_to_ankle, axis=-1, keepdims=True)
    along = hip_to_ankle / distance
    bend = forward - np.sum(along * forward, axis=-1, keepdims=True) * along
    bend /= np.linalg.norm(bend, axis=-1, keepdims=True)
    # Law of cosines: the angle at the hip between the thigh and the hip-ankle line.
    cos_hip = np.clip((thigh**2 + distance**2 - shank**2) / (2.0 * thigh * distance), -1.0, 1.0)
    return hip + thigh * (cos_hip * along + np.sqrt(1.0 - cos_hip**2) * bend)


def _legs(parameters: dict[str, np.ndarray], phase_left: np.ndarray) -> dict[str, np.ndarray]:
    """Pelvis offsets and, per foot, ankle positions relative to the pelvis's forward progress.

    ``phase_left`` ``(N, T)`` unwrapped; returns arrays ``(N, T)`` / ``(N, T, 3)``.
    """
    p = {name: value[:, None] for name, value in parameters.items()}
    stride, stance = p["stride_length"], p["stance"]
    legs = {}
    for side, sign, offset in (("left", 1.0, 0.0), ("right", -1.0, 0.5)):
        phase = phase_left + offset
        cycle_fraction = np.mod(phase, 1.0)
        along, height = _ankle_path(cycle_fraction, stance, stride, p["ankle_height"], p["toe_lever"], p["swing_lift"])
        # Relative to the pelvis's progress S * phase_left (constant + S * phase_left while planted);
        # the flat-foot excursion S * beta - toe-off roll is centred on the pelvis.
        toe_off_forward = _toe_off(p["toe_lever"], p["ankle_height"])[0]
        forward = along - stride * cycle_fraction + (stride * stance - toe_off_forward) / 2.0
        lateral = np.broadcast_to(sign * p["step_width"] / 2.0, forward.shape)
        legs[f"ankle_{side}"] = np.stack([lateral, height, forward], axis=-1)
        legs[f"cycle_{side}"] = cycle_fraction
    legs["sway"] = p["sway"] * np.cos(2.0 * np.pi * (phase_left - stance / 2.0))
    legs["bob"] = p["bob"] * np.cos(4.0 * np.pi * (phase_left - stance / 2.0)) - p["impact"] * (
        _heel_strike_dip(legs["cycle_left"]) + _heel_strike_dip(legs["cycle_right"])
    )
    return legs


def _pelvis_height(parameters: dict[str, np.ndarray]) -> np.ndarray:
    """``h_0`` ``(N,)``: the highest mean pelvis height at which both legs reach at every phase."""
    grid = np.linspace(0.0, 1.0, 96, endpoint=False)[None, :]
    legs = _legs(parameters, np.broadcast_to(grid, (len(parameters["label"]), grid.shape[1])))
    reach = 0.995 * (parameters["thigh"] + parameters["shank"])[:, None]
    highest = np.inf
    for side, sign in (("left", 1.0), ("right", -1.0)):
        ankle = legs[f"ankle_{side}"]
        # The hip joint sits half_hip_width (cos, 0, -sin)(facing_offset) to its side of the root.
        half_width, offset = parameters["half_hip_width"][:, None], parameters["facing_offset"][:, None]
        lateral = ankle[..., 0] - (legs["sway"] + sign * half_width * np.cos(offset))
        fore = ankle[..., 2] + sign * half_width * np.sin(offset)
        vertical = np.sqrt(np.maximum(reach**2 - lateral**2 - fore**2, 0.0))
        highest = np.minimum(highest, ankle[..., 1] + vertical - legs["bob"] + parameters["hip_drop"][:, None])
    return highest.min(axis=1)


def render_gaits(
    parameters: dict[str, np.ndarray], num_frames: int, frame_rate: float, rng: np.random.Generator, noise_sd: float = NOISE_SD
) -> np.ndarray:
    """World-frame joints ``(N, T, 16, 3)`` float32 of the walks that ``parameters`` describe."""
    p = {name: value[:, None] for name, value in parameters.items()}  # (N, 1): broadcast over frames
    num_gaits = len(parameters["label"])
    time = np.arange(num_frames)[None, :] / frame_rate
    phase_left = p["phase"] + p["cadence"] / 120.0 * time  # (N, T)
    legs = _legs(parameters, phase_left)
    height = _pelvis_height(parameters)[:, None]

    root = np.stack(
        [legs["sway"], height + legs["bob"], p["stride_length"] * (phase_left - p["phase"])], axis=-1
    )  # (N, T, 3), local frame
    progress = np.stack([np.zeros_like(phase_left), np.zeros_like(phase_left), root[..., 2]], axis=-1)
    joints = np.empty((num_gaits, num_frames, STEP16.num_joints, 3))
    joints[:, :, _JOINT["root"]] = root
    # The body faces facing_offset away from the walking direction (+z), turned about the root.
    facing = np.stack([rotation_about_vertical(angle) for angle in parameters["facing_offset"]])[:, None]  # (N, 1, 3, 3)
    forward = facing[..., 2]  # (N, 1, 3): the rotated +z
    for side, sign in (("left", 1.0), ("right", -1.0)):
        hip_offset = sign * p["half_hip_width"][..., None] * np.array([1.0, 0.0, 0.0]) - p["hip_drop"][..., None] * np.array([0.0, 1.0, 0.0])
        hip = root + np.einsum("ntij,ntj->nti", facing, np.broadcast_to(hip_offset, root.shape))
        ankle = legs[f"ankle_{side}"] + progress  # the feet step along the walking direction
        joints[:, :, _JOINT[f"hip_{side}"]] = hip
        joints[:, :, _JOINT[f"knee_{side}"]] = _knee(hip, ankle, p["thigh"][..., None], p["shank"][..., None], forward)
        joints[:, :, _JOINT[f"foot_{side}"]] = ankle

    # Trunk and head, pitched in the sagittal plane; small lean oscillation twice per cycle.
    lean = np.radians(p["trunk_lean"] + np.cos(4.0 * np.pi * phase_left))
    spine = root + _sagittal(SPINE_FRACTION * p["trunk"], lean)
    neck = spine + _sagittal((1.0 - SPINE_FRACTION) * p["trunk"], lean + np.radians(p["slump"]))
    head_pitch = np.radians(p["head_pitch"] + np.sin(4.0 * np.pi * phase_left))
    joints[:, :, _JOINT["spine"]] = spine
    joints[:, :, _JOINT["neck"]] = neck
    joints[:, :, _JOINT["head"]] = neck + _sagittal(p["neck_to_head"], head_pitch)

    # Arms swing opposite to the legs; the shoulder line yaws with them.
    arm_left = -np.cos(2.0 * np.pi * phase_left)
    girdle_yaw = np.radians(0.2 * p["arm_swing"]) * arm_left
    abduction = np.radians(8.0)
    for side, sign, arm in (("left", 1.0, arm_left), ("right", -1.0, -arm_left)):
        shoulder_offset = np.stack(
            [
                sign * p["half_shoulder_width"] * np.cos(girdle_yaw),
                np.broadcast_to(-p["shoulder_drop"], phase_left.shape),
                sign * p["half_shoulder_width"] * np.sin(girdle_yaw),
            ],
            axis=-1,
        )
        shoulder = neck + shoulder_offset
        upper_pitch = np.radians(p["arm_swing"] * arm)
        fore_pitch = upper_pitch + np.radians(p["elbow_flexion"] + 0.6 * p["arm_swing"] * (arm + 1.0) / 2.0)
        elbow = shoulder + _arm_segment(p["upper_arm"], upper_pitch, sign * abduction)
        joints[:, :, _JOINT[f"shoulder_{side}"]] = shoulder
        joints[:, :, _JOINT[f"elbow_{side}"]] = elbow
        joints[:, :, _JOINT[f"hand_{side}"]] = elbow + _arm_segment(p["forearm"], fore_pitch, sign * abduction)

    upper_body = [_JOINT[name] for name in STEP16.joint_names if name.split("_")[0] in ("spine", "neck", "head", "shoulder", "elbow", "hand")]
    joints[:, :, upper_body] = root[:, :, None] + np.einsum("ntij,ntvj->ntvi", facing, joints[:, :, upper_body] - root[:, :, None])

    rotations = np.stack([rotation_about_vertical(angle) for angle in parameters["heading"]])  # (N, 3, 3)
    world = np.einsum("ntvc,ndc->ntvd", joints, rotations)
    world[..., 0] += p["start_x"][..., None]
    world[..., 2] += p["start_z"][..., None]
    world += rng.normal(0.0, 1.0, world.shape) * (noise_sd * p["noise_factor"])[..., None, None]
    return world.astype(np.float32)


def _arm_segment(length: np.ndarray, pitch: np.ndarray, abduction: float) -> np.ndarray:
    """A hanging segment ``(N, T, 3)``: down, pitched ``pitch`` rad forward, ``abduction`` rad sideways."""
    return length[..., None] * np.stack(
        [
            np.broadcast_to(np.sin(abduction), pitch.shape),
            -np.cos(abduction) * np.cos(pitch),
            np.cos(abduction) * np.sin(pitch),
        ],
        axis=-1,
    )


def generate_gaits(
    num_gaits: int = 2000,
    seed: int = 0,
    class_weights=None,
    num_frames: int = NUM_FRAMES,
    frame_rate: float = FRAME_RATE,
    num_subjects: int | None = None,
    noise_sd: float = NOISE_SD,
    styles=None,
) -> GaitSet:
    """Synthetic emotion-styled walks as a ``GaitSet`` (joints ``(N, T, 16, 3)``, metres, y up).

    ``class_weights``: None for balanced classes, or one non-negative weight per
    emotion of ``EMOTIONS`` (angry, neutral, happy, sad); class counts are
    proportional to them. ``num_subjects`` (default ``num_gaits / 8``) walkers
    share the gaits, each walking several emotions; ``groups`` name them.
    Deterministic for a ``seed``; ``noise_sd`` (metres) is the median observation
    noise (each gait's is ``noise_sd`` times a log-uniform factor in
    ``NOISE_FACTOR_RANGE``), and the same seed with ``noise_sd=0`` gives the same
    walks without it. ``styles`` replaces the emotion prototypes ``STYLES``.
    """
    if not isinstance(num_frames, (int, np.integer)) or num_frames < 2:
        raise ValueError(f"num_frames must be an integer of at least 2, got {num_frames!r}")
    if not np.isfinite(frame_rate) or frame_rate <= 0:
        raise ValueError(f"frame_rate must be a positive number of frames per second, got {frame_rate!r}")
    parameter_rng, noise_rng = np.random.default_rng(seed).spawn(2)
    parameters = sample_parameters(parameter_rng, num_gaits, class_weights, num_subjects, styles)
    return GaitSet(
        joints=render_gaits(parameters, num_frames, frame_rate, noise_rng, noise_sd),
        labels=parameters["label"],
        label_names=EMOTIONS,
        groups=np.array([f"subject_{subject:04d}" for subject in parameters["subject"]]),
        keys=np.array([f"synthetic_{index:05d}" for index in range(num_gaits)]),
        source=f"embedded synthetic gaits (seed={seed})",
    )


def gaussian_parameter_accuracy(num_gaits: int = 20000, seed: int = 1) -> float:
    """Test accuracy of a Gaussian (quadratic discriminant) classifier on the generator's own parameters.

    It is fitted on ``num_gaits`` draws of the per-gait style parameters plus
    body height and tested on as many fresh draws, equal class priors. Every
    gait is a function of these parameters and of emotion-free draws (heading,
    start, phase, body proportions, noise), so no model that sees only gaits
    can beat the Bayes classifier on them; this Gaussian classifier is a close
    estimate of that ceiling (the class distributions are not exactly Gaussian).
    """
    fit_rng, test_rng = np.random.default_rng(seed).spawn(2)
    names = STYLE_PARAMETERS + ("height",)

    def features(rng):
        parameters = sample_parameters(rng, num_gaits)
        return np.stack([parameters[name] for name in names], axis=1), parameters["label"]

    train_x, train_y = features(fit_rng)
    test_x, test_y = features(test_rng)
    log_likelihood = np.empty((len(test_y), len(EMOTIONS)))
    for label in range(len(EMOTIONS)):
        members = train_x[train_y == label]
        mean = members.mean(axis=0)
        covariance = np.cov(members, rowvar=False)
        centred = test_x - mean
        _, log_det = np.linalg.slogdet(covariance)
        mahalanobis = np.einsum("ni,ni->n", centred @ np.linalg.inv(covariance), centred)
        log_likelihood[:, label] = -0.5 * (mahalanobis + log_det)
    return float(np.mean(log_likelihood.argmax(axis=1) == test_y))
