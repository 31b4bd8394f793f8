"""Twelve interpretable gait measures, the inputs of the hand-feature baseline of the real-data benchmark.

Each measure takes world-frame gaits ``(N, T, V, 3)`` (``"step16"`` joints,
metres, y up, ``f`` frames per second, the walker moving) and gives one value
per gait. ``d`` is the unit horizontal walking direction (the root's net
displacement, ``step_tf.data.walk_stats.walking_direction``), ``s`` the
horizontal unit vector to the walker's left of it (``s = up x d``), ``<.>`` a
mean over frames, and velocities are central differences of positions smoothed
by the same Savitzky-Golay filter as the affective features
(``step_tf.features.smoothed_derivative``).

==================  ====================================================================  =====
name                definition                                                            unit
==================  ====================================================================  =====
speed               net horizontal root speed (walk_stats.walking_speed)                   m/s
arm_swing           fore-aft range of the hands along ``d`` relative to the root           m
head_pitch          neck -> head angle from vertical in the (d, up) plane, + forward       deg
trunk_lean          root -> neck angle from vertical in the (d, up) plane, + forward       deg
hand_speed          ``<|v_hand - v_root|>``, both hands                                    m/s
foot_speed          ``<|v_foot - v_root|>``, both feet                                     m/s
head_height         ``<y_head - y_root>``                                                  m
foot_separation     ``<|(p_foot_left - p_foot_right) . s|>``, the stance width             m
pelvis_bob          range of ``y_root`` over the window                                    m
acceleration        ``<|a_hand - a_root|>``, both hands                                    m/s^2
hand_height         ``<y_hand - y_root>``, both hands                                      m
elbow_distance      ``<|p_elbow - p_spine|>``, both elbows: arms held in or out            m
==================  ====================================================================  =====

They follow the cues of the gait-emotion literature (Montepare et al. 1987;
Roether et al. 2009: speed, arm swing, head and trunk inclination, limb
flexion) and need no training.
"""

from __future__ import annotations

import numpy as np

from step_tf.data.gaits import FRAME_RATE
from step_tf.data.gaits import UP_AXIS
from step_tf.data.walk_stats import arm_swing, head_pitch, walking_direction, walking_speed
from step_tf.graph import STEP16

MEASURE_NAMES = (
    "speed", "arm_swing", "head_pitch", "trunk_lean", "hand_speed", "foot_speed",
    "head_height", "foot_separation", "pelvis_bob", "acceleration", "hand_height", "elbow_distance",
)
_J = {name: index for index, name in enumerate(STEP16.joint_names)}


def _sagittal_angle(vectors: np.ndarray, direction: np.ndarray) -> np.ndarray:
    """Mean angle ``(N,)`` in degrees of ``vectors (N, T, 3)`` from vertical, positive along ``direction (N, 3)``."""
    forward = np.einsum("ntc,nc->nt", vectors, direction)
    return np.degrees(np.arctan2(forward, vectors[..., UP_AXIS])).mean(axis=1)


def gait_measures(joints, frame_rate: float = FRAME_RATE) -> np.ndarray:
    """The twelve measures ``(N, 12)`` float64 in ``MEASURE_NAMES`` order (see the module docstring)."""
    from step_tf.features import smoothed_derivative

    joints = np.asarray(joints, dtype=np.float64)
    direction = walking_direction(joints)  # (N, 3), checks the shape
    up = np.zeros(3)
    up[UP_AXIS] = 1.0
    side = np.cross(up, direction)
    relative = joints - joints[:, :, _J["root"] : _J["root"] + 1]  # (N, T, V, 3)
    hands = [_J["hand_left"], _J["hand_right"]]
    feet = [_J["foot_left"], _J["foot_right"]]
    velocity = np.asarray(smoothed_derivative(relative, 1, frame_rate), np.float64)  # (N, T - 14, V, 3)
    acceleration = np.asarray(smoothed_derivative(relative, 2, frame_rate), np.float64)
    feet_apart = relative[:, :, _J["foot_left"]] - relative[:, :, _J["foot_right"]]
    elbows = relative[:, :, [_J["elbow_left"], _J["elbow_right"]]] - relative[:, :, _J["spine"], None]
    measures = {
        "speed": walking_speed(joints, frame_rate),
        "arm_swing": arm_swing(joints),
        "head_pitch": head_pitch(joints),
        "trunk_lean": _sagittal_angle(relative[:, :, _J["neck"]], direction),
        "hand_speed": np.linalg.norm(velocity[:, :, hands], axis=-1).mean(axis=(1, 2)),
        "foot_speed": np.linalg.norm(velocity[:, :, feet], axis=-1).mean(axis=(1, 2)),
        "head_height": relative[:, :, _J["head"], UP_AXIS].mean(axis=1),
        "foot_separation": np.abs(np.einsum("ntc,nc->nt", feet_apart, side)).mean(axis=1),
        "pelvis_bob": np.ptp(joints[:, :, _J["root"], UP_AXIS], axis=1),
        "acceleration": np.linalg.norm(acceleration[:, :, hands], axis=-1).mean(axis=(1, 2)),
        "hand_height": relative[:, :, hands, UP_AXIS].mean(axis=(1, 2)),
        "elbow_distance": np.linalg.norm(elbows, axis=-1).mean(axis=(1, 2)),
    }
    return np.stack([measures[name] for name in MEASURE_NAMES], axis=1)
