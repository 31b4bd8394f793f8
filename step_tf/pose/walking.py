"""Is a person walking in a stretch of poses? The rule, its thresholds and the two measures it rests on.

A stretch (a 75-frame window, or the last frames of a live stream) is
``walking`` when both hold, else ``not walking``:

* The root travels over the ground: the mid-hip's net displacement in the
  image from the first to the last frame, in units of the person's mean size
  in the image (neck to mid-hip plus mid-hip to mid-ankle, pixels), combined
  with the change of that size (``|ln(size_last / size_first)|``: walking
  towards or away from the camera) as ``hypot(shift, scale change)``, is at
  least ``MIN_TRAVEL_PER_SECOND`` sizes per second. World landmarks cannot
  say this: they are centred on the hips.
* The feet alternate: the horizontal offset of the left ankle from the right
  (world joints, metres), projected on the direction along which it varies
  most, swings beyond ``+FOOT_HYSTERESIS`` and ``-FOOT_HYSTERESIS`` by turns
  (each change of side counts once) at least ``MIN_ALTERNATIONS_PER_SECOND``
  times per second, rounded down, and at least once. The hysteresis keeps
  jitter around zero from counting; a side-to-side movement (jumping jacks)
  never changes which foot is on which side.

Thresholds, set against the fixture's walker (2.4-2.5 sizes of travel and 4-6
alternations in each 2.5 s window, 0.96 sizes/s and 1.6-2.4 alternations/s):
``MIN_TRAVEL_PER_SECOND = 0.2`` (a fifth of that walk's rate, about 0.25 m/s
for a 1.3 m neck-to-ankle height: slower than any walk but faster than
swaying) and ``MIN_ALTERNATIONS_PER_SECOND = 0.8`` (2 changes of leading foot
in a 2.5 s window: half a slow walker's cadence of 1.6 steps/s).
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np

from step_tf.graph import ROOT_JOINT, get_layout

MIN_TRAVEL_PER_SECOND = 0.2
MIN_ALTERNATIONS_PER_SECOND = 0.8
FOOT_HYSTERESIS = 0.05  # metres

_STEP = get_layout("step16")
ROOT, NECK = ROOT_JOINT, _STEP.joint_index("neck")
FOOT_LEFT, FOOT_RIGHT = _STEP.joint_index("foot_left"), _STEP.joint_index("foot_right")

WALKING, NOT_WALKING, NO_PERSON = "walking", "not walking", "no person"
RULE = (
    f"walking when the root travels at least {MIN_TRAVEL_PER_SECOND:g} body sizes per second in the image (body size: "
    f"neck to hip plus hip to ankles; travel: net hip shift and change of size) and the leading foot changes at least "
    f"{MIN_ALTERNATIONS_PER_SECOND:g} times per second (at least once; ankle offset beyond +-{FOOT_HYSTERESIS:g} m)"
)


@dataclasses.dataclass(frozen=True)
class WalkCheck:
    """The rule's verdict on a stretch and its measures: travel (body sizes per second), changes of leading foot."""

    state: str
    travel_per_second: float
    alternations: int
    min_alternations: int


def travel_per_second(image: np.ndarray, duration: float) -> float:
    """How far the root moves, in body sizes per second, over image joints ``(T, 16, 2)`` (pixels) spanning ``duration`` s."""
    root = image[:, ROOT]
    size = np.linalg.norm(image[:, NECK] - root, axis=-1) + np.linalg.norm(image[:, [FOOT_LEFT, FOOT_RIGHT]].mean(axis=1) - root, axis=-1)
    shift = float(np.linalg.norm(root[-1] - root[0])) / max(float(size.mean()), 1e-6)
    scale_change = abs(math.log(max(size[-1], 1e-6) / max(size[0], 1e-6)))
    return math.hypot(shift, scale_change) / max(duration, 1e-6)


def foot_alternations(world: np.ndarray) -> int:
    """How many times the leading foot changes in world joints ``(T, 16, 3)`` (y up; see the module docstring)."""
    offset = world[:, FOOT_LEFT][:, [0, 2]] - world[:, FOOT_RIGHT][:, [0, 2]]
    centred = offset - offset.mean(axis=0)
    _, vectors = np.linalg.eigh(centred.T @ centred)
    # Zero, not the mean, is where the feet pass each other: a foot kept on one side never counts.
    along = offset @ vectors[:, -1]
    side = np.where(along > FOOT_HYSTERESIS, 1, np.where(along < -FOOT_HYSTERESIS, -1, 0))
    sides = side[side != 0]
    return int(np.count_nonzero(np.diff(sides)))


def check_walking(world: np.ndarray, image: np.ndarray, frame_rate: float) -> WalkCheck:
    """The rule on world joints ``(T, 16, 3)`` and image joints ``(T, 16, 2)`` sampled at ``frame_rate``."""
    if world.shape[0] < 2:
        raise ValueError(f"a walk check needs at least 2 frames, got {world.shape[0]}")
    duration = world.shape[0] / frame_rate  # a 75-frame window lasts 2.5 s
    travel = travel_per_second(image, duration)
    alternations = foot_alternations(world)
    needed = max(1, math.floor(MIN_ALTERNATIONS_PER_SECOND * duration + 1e-9))
    walking = travel >= MIN_TRAVEL_PER_SECOND and alternations >= needed
    return WalkCheck(WALKING if walking else NOT_WALKING, travel, alternations, needed)
