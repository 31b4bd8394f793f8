"""Gait augmentations as pure TensorFlow functions, composable and usable inside ``tf.data`` ``map``.

Every augmentation is a callable ``(joints, seed) -> joints`` on one gait
``(T, V, 3)`` (metres, y up) with ``seed`` a ``(2,)`` integer tensor for the
stateless random ops, so a pipeline is deterministic for its seed and needs no
NumPy randomness or ``py_function``. ``Compose`` chains them, giving each its
own seed derived from the one it receives.

The public STEP code augments nothing; view augmentation by rotation about the
vertical (ProxEmo) and random temporal crops (ST-GCN's feeder) are what later
work found to help.
"""

from __future__ import annotations

import math

import tensorflow as tf


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


class RandomTemporalCrop:
    """Cuts a random window of ``min_fraction * T`` to ``T`` frames and tiles it cyclically back to ``T``.

    Cyclic tiling is how the data readers bring short gaits to ``T`` frames, so
    a crop looks like a shorter recording of the same walk.
    """

    def __init__(self, min_fraction: float = 0.8):
        if not 0 < min_fraction <= 1:
            raise ValueError(f"min_fraction must be in (0, 1], got {min_fraction}")
        self.min_fraction = min_fraction

    def __call__(self, joints: tf.Tensor, seed: tf.Tensor) -> tf.Tensor:
        num_frames = tf.shape(joints)[0]
        length_seed, start_seed = tf.unstack(tf.random.experimental.stateless_split(seed, 2))
        min_length = tf.maximum(1, tf.cast(tf.math.ceil(self.min_fraction * tf.cast(num_frames, tf.float32)), tf.int32))
        length = tf.random.stateless_uniform([], length_seed, min_length, num_frames + 1, dtype=tf.int32)
        start = tf.random.stateless_uniform([], start_seed, 0, num_frames - length + 1, dtype=tf.int32)
        frames = start + tf.math.floormod(tf.range(num_frames), length)
        return tf.gather(joints, frames)


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


def default_augmentation() -> Compose:
    """Rotation about the vertical, +-10 % scale and temporal crops down to 80 % of the frames."""
    return Compose([RandomRotation(), RandomScale(0.9, 1.1), RandomTemporalCrop(0.8)])
