"""Plausibility checks on input gaits: refuse data a model would classify as confident nonsense.

Two rules, both on by default and both lifted by one switch (``plausibility_check=False`` in the
Python API, ``--no-plausibility-check`` on ``fit``, ``evaluate`` and ``predict``):

* **Enough real frames.** A gait shorter than the model's frame count is tiled cyclically
  (``step_tf.data.preprocess.fit_frames``); a 1-frame gait tiled to 75 is a static pose that the
  models still classify, with confidence. A gait is tiled only when it has at least
  ``MIN_FRAMES`` (15, 0.5 s at 30 fps) real frames: one window of the affective features'
  smoothing filter, the least that the exported ``serve_any_frames`` signature accepts too.
  Longer gaits are cut, never refused. Every reader that tiles (E-Gait, BVH, TFRecord) goes
  through ``fit_real_frames``.
* **Metres.** The models were trained on metres; millimetres (1000x) push every input far
  outside the training range and come out as one class at probability 1.0. The median over the
  frames of the root-to-neck distance (``step16`` joints 0 and 2: hips to the base of the neck)
  of every gait must lie in ``HUMAN_ROOT_TO_NECK_M`` = 0.2-1.0 m. Adults measure about 0.4-0.5 m
  (the Bandai-Namco actor 0.41 m, the embedded set 0.49 m on average); the range leaves room
  for children and for pose estimators that place the joints differently. The median ignores a
  few frames of tracking glitches. Outside the range, the error names the gait and suggests the
  unit when dividing by 1000 (millimetres) or 100 (centimetres) lands inside it.
  ``check_units`` is called by ``step_tf.data.sources.load_gaits`` (every data spec) and by
  ``step_tf.serving.batch.read_gait_file`` (``predict``'s inputs).
"""

from __future__ import annotations

import numpy as np

from step_tf.data.gaits import MIN_FRAMES
from step_tf.data.preprocess import fit_frames
from step_tf.graph import ROOT_JOINT, STEP16

HUMAN_ROOT_TO_NECK_M = (0.2, 1.0)
# Units a gait may have been written in by mistake: the factor to metres' values and the advice.
LIKELY_UNITS = ((1000.0, "millimetres: divide by 1000"), (100.0, "centimetres: divide by 100"))
OVERRIDE = "--no-plausibility-check (plausibility_check=False)"


def fit_real_frames(gait: np.ndarray, num_frames: int, where: str, plausibility_check: bool = True) -> np.ndarray:
    """``fit_frames`` for a gait read from ``where``, refusing to tile one of fewer than ``MIN_FRAMES`` real frames."""
    real_frames = np.shape(gait)[0]
    if plausibility_check and 0 < real_frames < min(num_frames, MIN_FRAMES):
        raise ValueError(
            f"{where}: only {real_frames} real frame(s); a gait needs at least {MIN_FRAMES} (0.5 s, one window of the "
            f"affective features' smoothing filter) to be tiled to {num_frames} frames; pass {OVERRIDE} to tile it anyway"
        )
    return fit_frames(gait, num_frames)


def root_to_neck_m(joints: np.ndarray) -> np.ndarray:
    """The median over frames of the root-to-neck distance of every gait ``(N, T, 16, 3)`` -> ``(N,)``."""
    joints = np.asarray(joints, dtype=np.float64)
    neck = STEP16.joint_index("neck")
    return np.median(np.linalg.norm(joints[:, :, neck] - joints[:, :, ROOT_JOINT], axis=-1), axis=1)


def _unit_advice(distance: float) -> str:
    low, high = HUMAN_ROOT_TO_NECK_M
    for factor, advice in LIKELY_UNITS:
        if low <= distance / factor <= high:
            return f"looks like {advice}"
    return "coordinates must be metres"


def check_units(joints: np.ndarray, keys, source: str) -> None:
    """Raises ``ValueError`` naming ``source`` and the first gait whose root-to-neck distance is no human's in metres.

    ``joints`` ``(N, T, 16, 3)``; ``keys`` ``(N,)`` name the gaits. Gaits of other joint counts are not checked
    (the rule is defined on the ``step16`` joints).
    """
    joints = np.asarray(joints)
    if joints.ndim != 4 or joints.shape[2] != STEP16.num_joints or not len(joints):
        return
    distances = root_to_neck_m(joints)
    low, high = HUMAN_ROOT_TO_NECK_M
    outside = np.flatnonzero(~((distances >= low) & (distances <= high)))
    if outside.size:
        first = outside[0]
        distance = float(distances[first])
        others = f" (and {outside.size - 1} more of {len(joints)})" if outside.size > 1 else ""
        raise ValueError(
            f"{source}: gait {str(keys[first])!r}{others} has a root-to-neck "
            f"distance of {distance:.4g} (median over frames), outside the human {low}-{high} m; "
            f"{_unit_advice(distance)}, or pass {OVERRIDE} to use the gaits as they are"
        )
