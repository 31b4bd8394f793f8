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
poses more slowly (speed and cadence scaled together).
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


def default_augmentation(slowest_speed: float = 1.0) -> Compose:
    """Rotation about the vertical, +-10 % scale and a left-right mirror half of the time.

    With ``slowest_speed`` below 1, each gait is also slowed by a factor uniform in
    ``[slowest_speed, 1]`` (``RandomSlowDown``), first, so the spatial augmentations see the
    resampled walk.
    """
    spatial = [RandomRotation(), RandomScale(0.9, 1.1), RandomMirror()]
    return Compose(([RandomSlowDown(slowest_speed)] if slowest_speed < 1 else []) + spatial)


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
