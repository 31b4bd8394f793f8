"""Gait augmentations as pure TensorFlow functions, composable and usable inside ``tf.data`` ``map``.

Every augmentation is a callable ``(joints, seed) -> joints`` on one gait
``(T, V, 3)`` (metres, y up) with ``seed`` a ``(2,)`` integer tensor for the
stateless random ops, so a pipeline is deterministic for its seed and needs no
NumPy randomness or ``py_function``. ``Compose`` chains them, giving each its
own seed derived from the one it receives.

The public STEP code augments nothing; view augmentation by rotation about the
vertical (ProxEmo) is what later work found to help. Every augmentation here
keeps a walk a natural walk: a rotated, rescaled or mirrored walker still walks
as a person does. There is no temporal crop: cutting a window and tiling it
back to ``T`` frames (ST-GCN's feeder) puts a jump in pose at every seam, and
on 75-frame windows those jumps raised the hand jerk by 4.4 standard deviations,
so the affective features were trained on inputs never seen at test time.
A longer recording gives more windows instead (``stride`` of the readers).
``RandomSlowDown`` changes the time axis without a seam: it resamples a shorter
stretch of the same window over all ``T`` frames, so the walker walks the same
poses more slowly (speed and cadence scaled together). ``RandomArmSwing``
narrows the arms' swing about their mean direction, bone lengths kept.
"""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf

from step_tf.graph import STEP16


class RandomRotation:
    """Rotates a gait about the vertical (y) axis by an angle uniform in ``[-max_angle, max_angle]`` radians."""

    def __init__(self, max_angle: float = math.pi):
        if max_angle < 0:
            raise ValueError(f"max_angle must be non-negative, got {max_angle}")
        self.max_angle = max_angle

    def __call__(self, joints: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        angle = tf.random.stateless_uniform([], seed, -self.max_angle, self.max_angle, dtype=joints.dtype)
        cos, sin = tf.cos(angle), tf.sin(angle)
        zero, one = tf.zeros_like(angle), tf.ones_like(angle)
        # Rows of the rotation about y, as in step_tf.data.preprocess.rotation_about_vertical.
        rotation = tf.stack([tf.stack([cos, zero, sin]), tf.stack([zero, one, zero]), tf.stack([-sin, zero, cos])])
        return tf.einsum("tvc,dc->tvd", joints, rotation)


class RandomScale:
    """Scales a gait uniformly (body size and stride together) by a factor in ``[low, high]``."""

    def __init__(self, low: float = 0.9, high: float = 1.1):
        if not 0 < low <= high:
            raise ValueError(f"scale range must satisfy 0 < low <= high, got ({low}, {high})")
        self.low, self.high = low, high

    def __call__(self, joints: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        return joints * tf.random.stateless_uniform([], seed, self.low, self.high, dtype=joints.dtype)


class RandomMirror:
    """With probability ``probability``, mirrors a STEP16 gait left-right: x -> -x and each left joint swapped with its right twin.

    The mirror image of a walk is the walk of a person with the other side leading;
    emotion does not depend on it.
    """

    def __init__(self, probability: float = 0.5):
        if not 0 <= probability <= 1:
            raise ValueError(f"mirror probability must be in [0, 1], got {probability}")
        names = STEP16.joint_names
        twin = {name: name.replace("_left", "_right") if name.endswith("_left") else name.replace("_right", "_left") for name in names}
        self.permutation = [names.index(twin[name]) for name in names]
        self.probability = probability

    def __call__(self, joints: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        mirrored = tf.gather(joints, self.permutation, axis=1) * tf.constant([-1.0, 1.0, 1.0], joints.dtype)
        return tf.cond(tf.random.stateless_uniform([], seed) < self.probability, lambda: mirrored, lambda: joints)


class RandomSlowDown:
    """Plays a gait slower by a factor ``s`` uniform in ``[slowest, 1]``: speed and cadence times ``s``.

    Frame ``t`` of the output is the input at time ``t0 + s t`` (linear interpolation between
    neighbouring frames), with ``t0`` uniform in ``[0, (T - 1)(1 - s)]``, so every output frame lies
    inside the window and no pose is repeated or cut: the motion stays continuous. Meant for data
    whose walkers of one emotion walk at different speeds (the Bandai angry walks: 1.0 and 1.9 m/s).
    Not on by default: on the Bandai validation clips it cost STEP more than it gained (the slowed
    walks of other classes took sad's place; docs/benchmarks.md).
    """

    def __init__(self, slowest: float = 0.7):
        if not 0 < slowest <= 1:
            raise ValueError(f"slowest speed factor must be in (0, 1], got {slowest}")
        self.slowest = slowest

    def __call__(self, joints: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        start_seed, factor_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
        frames = tf.shape(joints)[0]
        last = tf.cast(frames - 1, joints.dtype)
        factor = tf.random.stateless_uniform([], factor_seed, self.slowest, 1.0, dtype=joints.dtype)
        start = tf.random.stateless_uniform([], start_seed, 0.0, 1.0, dtype=joints.dtype) * last * (1.0 - factor)
        times = tf.minimum(start + factor * tf.range(frames, dtype=joints.dtype), last)
        before = tf.cast(tf.floor(times), tf.int32)
        after = tf.minimum(before + 1, frames - 1)
        weight = (times - tf.floor(times))[:, None, None]
        return (1.0 - weight) * tf.gather(joints, before) + weight * tf.gather(joints, after)


class RandomArmSwing:
    """Scales the swing of the arms by a factor ``f`` uniform in ``[lowest, highest]``, bone lengths kept.

    For each arm bone (shoulder -> elbow, elbow -> hand) with unit direction ``d_t`` at frame ``t``
    and mean direction ``m = normalise(<d_t>)``, the new direction is the spherical interpolation

        d'_t = sin((1 - f) phi_t) / sin(phi_t) m + sin(f phi_t) / sin(phi_t) d_t,   phi_t = arccos(m . d_t),

    so the bone's angle from its mean direction becomes ``f phi_t`` in the same plane, and the
    arm is rebuilt from the shoulder with the bones' own lengths. The rest of the body is kept.
    How much a person swings the arms varies between people and occasions (a stiff-armed angry
    walk, hands carrying something); the augmentation keeps a model from reading emotion from arm
    swing alone.
    """

    ARMS = (("shoulder_left", "elbow_left", "hand_left"), ("shoulder_right", "elbow_right", "hand_right"))

    def __init__(self, lowest: float = 0.4, highest: float = 1.0):
        if not 0 <= lowest <= highest <= 1:
            raise ValueError(f"arm swing factors must satisfy 0 <= lowest <= highest <= 1, got {lowest} and {highest}")
        self.lowest, self.highest = lowest, highest
        self.arms = [[STEP16.joint_names.index(name) for name in arm] for arm in self.ARMS]

    def __call__(self, joints: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        factor = tf.random.stateless_uniform([], seed, self.lowest, self.highest, dtype=joints.dtype)
        columns = tf.unstack(joints, axis=1)  # V tensors (T, 3)
        for shoulder, elbow, hand in self.arms:
            parent_position = columns[shoulder]
            for parent, child in ((shoulder, elbow), (elbow, hand)):
                bone = joints[:, child] - joints[:, parent]
                length = tf.norm(bone, axis=-1, keepdims=True)
                direction = bone / tf.maximum(length, 1e-9)
                mean = tf.reduce_mean(direction, axis=0, keepdims=True)
                mean = mean / tf.maximum(tf.norm(mean, axis=-1, keepdims=True), 1e-9)
                cosine = tf.clip_by_value(tf.reduce_sum(mean * direction, axis=-1, keepdims=True), -1.0, 1.0)
                angle = tf.acos(cosine)
                # sin(a phi) / sin(phi) -> a as phi -> 0: the bone already points along its mean.
                sine = tf.sin(angle)
                small = sine < 1e-6
                safe = tf.where(small, tf.ones_like(sine), sine)
                towards_mean = tf.where(small, 1.0 - factor, tf.sin((1.0 - factor) * angle) / safe)
                towards_bone = tf.where(small, factor * tf.ones_like(sine), tf.sin(factor * angle) / safe)
                columns[child] = parent_position + length * (towards_mean * mean + towards_bone * direction)
                parent_position = columns[child]
        return tf.stack(columns, axis=1)


class Compose:
    """Applies augmentations in order, each with its own seed split from the given one."""

    def __init__(self, augmentations):
        self.augmentations = list(augmentations)

    def __call__(self, joints: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        if not self.augmentations:
            return joints
        seeds = tf.random.experimental.stateless_split(seed, len(self.augmentations))
        for index, augmentation in enumerate(self.augmentations):
            joints = augmentation(joints, seeds[index])
        return joints


def default_augmentation(slowest_speed: float = 1.0, smallest_arm_swing: float = 1.0) -> Compose:
    """Rotation about the vertical, +-10 % scale and a left-right mirror half of the time.

    With ``slowest_speed`` below 1, each gait is also slowed by a factor uniform in
    ``[slowest_speed, 1]`` (``RandomSlowDown``), first, so the spatial augmentations see the
    resampled walk; with ``smallest_arm_swing`` below 1, its arm swing is scaled by a factor
    uniform in ``[smallest_arm_swing, 1]`` (``RandomArmSwing``) before the spatial ones.
    """
    temporal = [RandomSlowDown(slowest_speed)] if slowest_speed < 1 else []
    arms = [RandomArmSwing(smallest_arm_swing)] if smallest_arm_swing < 1 else []
    return Compose(temporal + arms + [RandomRotation(), RandomScale(0.9, 1.1), RandomMirror()])


def augmented_copies(joints, augmentation, copies: int, seed: int = 0) -> np.ndarray:
    """``copies`` augmented draws of every gait ``(N, T, V, 3)``, stacked ``(copies * N, T, V, 3)``.

    What a model is trained on, for statistics that must match it (the affective
    features' standardisation).
    """
    joints = tf.convert_to_tensor(joints, tf.float32)
    seeds = tf.random.experimental.stateless_split(tf.constant([seed, 0], tf.int64), copies * int(joints.shape[0]))
    draws = tf.map_fn(
        lambda index: augmentation(joints[index % joints.shape[0]], seeds[index]),
        tf.range(copies * int(joints.shape[0])),
        fn_output_signature=tf.float32,
    )
    return np.asarray(draws)
