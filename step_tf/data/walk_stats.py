"""Descriptive statistics of world-frame gaits, to compare generated walking with real walking.

Every statistic takes gaits ``(N, T, V, 3)`` (frames, joints of the ``"step16"``
layout, x y z; metres, y up, not root-centred) and returns one value per gait
``(N,)``. Horizontal means the x-z plane.

* **Walking direction** ``d``: the unit horizontal vector of the root's net
  displacement from the first to the last frame.
* **Walking speed** (m/s): ``|p_root[T-1] - p_root[0]|_horizontal / ((T - 1) / f)``
  at ``f`` frames per second. Net displacement, so pelvic sway does not count.
* **Stride length** (m): the distance along ``d`` that one foot travels between
  two consecutive strikes of that foot. A foot *strikes* at the first frame of
  a ground contact, a contact being a run of frames in which the foot is within
  ``contact_tolerance`` (2 cm) of the floor level (the lowest foot height of
  the gait), after at least ``min_swing_time`` (0.2 s) off it.
  The literature's rule, local minima of the foot height, is ill-defined on the
  flat height plateau of a planted foot, where noise makes many minima. Strikes
  of both feet are sorted in time; two consecutive strikes of *different*
  feet are one step apart and give a stride of twice that step, two of the
  same foot give a stride directly. The gait's stride length is the mean over
  these pairs, so a 75-frame window needs only two strikes (about 0.6 s of
  walking) rather than a whole cycle of one foot. A contact already under way
  at the first frame is not a strike. NaN when fewer than two strikes.
* **Arm swing** (m): the range (max - min over frames) of ``(p_hand - p_root) . d``,
  the fore-aft excursion of a hand relative to the pelvis, averaged over both hands.
* **Head pitch** (degrees): the angle between the neck -> head vector and the
  vertical, in the sagittal plane spanned by ``d`` and up:
  ``atan2((p_head - p_neck) . d, (p_head - p_neck) . y)``, positive when the
  head leans forward (down), averaged over frames.
* **Bone lengths** (m), averaged over frames and both sides: thigh (hip-knee),
  shin (knee-foot), upper arm (shoulder-elbow), forearm (elbow-hand), spine
  (root-spine + spine-neck).

``python -m step_tf.data.walk_stats`` prints the realism report: these figures
per class for the embedded synthetic gaits next to the real motion-capture
fixtures (``<repository>/../shared/fixtures/bandai_walk_step16_4x75.npz``).
"""

from __future__ import annotations

import argparse
import pathlib
import sys

import numpy as np

from step_tf.data.gaits import FRAME_RATE, UP_AXIS
from step_tf.data.synthetic import gaussian_parameter_accuracy, generate_gaits
from step_tf.graph import STEP16

_JOINT = {name: index for index, name in enumerate(STEP16.joint_names)}
BONES = {
    "thigh": (("hip_left", "knee_left"), ("hip_right", "knee_right")),
    "shin": (("knee_left", "foot_left"), ("knee_right", "foot_right")),
    "upper_arm": (("shoulder_left", "elbow_left"), ("shoulder_right", "elbow_right")),
    "forearm": (("elbow_left", "hand_left"), ("elbow_right", "hand_right")),
}
WALK_STATISTICS = ("speed", "stride_length", "arm_swing", "head_pitch")
UNITS = {"speed": "m/s", "stride_length": "m", "arm_swing": "m", "head_pitch": "deg"}
REAL_FIXTURE = "bandai_walk_step16_4x75.npz"


def _check_gaits(joints) -> np.ndarray:
    joints = np.asarray(joints, dtype=np.float64)
    if joints.ndim != 4 or joints.shape[2:] != (STEP16.num_joints, 3):
        raise ValueError(f"gaits must have shape (N, T, {STEP16.num_joints}, 3), got {joints.shape}")
    if joints.shape[1] < 2:
        raise ValueError(f"gaits need at least 2 frames to measure walking, got {joints.shape[1]}")
    return joints


def _horizontal(vectors: np.ndarray) -> np.ndarray:
    horizontal = np.array(vectors, dtype=np.float64, copy=True)
    horizontal[..., UP_AXIS] = 0.0
    return horizontal


def walking_direction(joints) -> np.ndarray:
    """Unit horizontal direction ``(N, 3)`` of each gait's net root displacement."""
    joints = _check_gaits(joints)
    displacement = _horizontal(joints[:, -1, _JOINT["root"]] - joints[:, 0, _JOINT["root"]])
    distance = np.linalg.norm(displacement, axis=-1)
    still = np.flatnonzero(distance < 1e-6)
    if still.size:
        raise ValueError(f"gait {still[0]} does not walk: its root moves {distance[still[0]]:.2g} m horizontally")
    return displacement / distance[:, None]


def walking_speed(joints, frame_rate: float = FRAME_RATE) -> np.ndarray:
    """Net horizontal root speed ``(N,)`` in m/s."""
    joints = _check_gaits(joints)
    displacement = _horizontal(joints[:, -1, _JOINT["root"]] - joints[:, 0, _JOINT["root"]])
    duration = (joints.shape[1] - 1) / frame_rate
    return np.linalg.norm(displacement, axis=-1) / duration


def foot_strikes(foot_height: np.ndarray, floor: float, contact_tolerance: float, min_swing_frames: int) -> np.ndarray:
    """Frames ``(S,)`` where a foot with heights ``(T,)`` starts a ground contact.

    A contact frame starts a contact only when the foot was off the ground for
    the ``min_swing_frames`` frames before it (all of them, back to frame 1 at
    the start of the window): a heel that touches, lifts by a few millimetres
    and settles again is one strike, not two.
    """
    contact = foot_height <= floor + contact_tolerance
    strikes = []
    for frame in np.flatnonzero(contact[1:] & ~contact[:-1]) + 1:
        if not contact[max(frame - min_swing_frames, 0) : frame].any():
            strikes.append(frame)
    return np.array(strikes, dtype=np.int64)


def stride_length(
    joints, frame_rate: float = FRAME_RATE, contact_tolerance: float = 0.02, min_swing_time: float = 0.2
) -> np.ndarray:
    """Stride length ``(N,)`` in metres from foot strikes (see the module docstring); NaN if < 2 strikes."""
    joints = _check_gaits(joints)
    direction = walking_direction(joints)
    feet = (_JOINT["foot_left"], _JOINT["foot_right"])
    min_swing_frames = max(int(round(min_swing_time * frame_rate)), 1)
    strides = np.full(joints.shape[0], np.nan)
    for gait_index, gait in enumerate(joints):
        floor = gait[:, feet, UP_AXIS].min()
        strikes = []  # (frame, foot, position along the walking direction)
        for foot in feet:
            for frame in foot_strikes(gait[:, foot, UP_AXIS], floor, contact_tolerance, min_swing_frames):
                strikes.append((frame, foot, gait[frame, foot] @ direction[gait_index]))
        strikes.sort()
        estimates = [
            (later[2] - earlier[2]) * (1.0 if later[1] == earlier[1] else 2.0)
            for earlier, later in zip(strikes[:-1], strikes[1:])
        ]
        if estimates:
            strides[gait_index] = np.mean(estimates)
    return strides


def arm_swing(joints) -> np.ndarray:
    """Fore-aft range ``(N,)`` in metres of the hands relative to the root, mean of both hands."""
    joints = _check_gaits(joints)
    direction = walking_direction(joints)
    relative = joints[:, :, [_JOINT["hand_left"], _JOINT["hand_right"]]] - joints[:, :, _JOINT["root"], None]
    along = np.einsum("ntjc,nc->ntj", relative, direction)
    return (along.max(axis=1) - along.min(axis=1)).mean(axis=1)


def head_pitch(joints) -> np.ndarray:
    """Mean angle ``(N,)`` in degrees of neck -> head from vertical, positive forward."""
    joints = _check_gaits(joints)
    direction = walking_direction(joints)
    neck_to_head = joints[:, :, _JOINT["head"]] - joints[:, :, _JOINT["neck"]]
    forward = np.einsum("ntc,nc->nt", neck_to_head, direction)
    return np.degrees(np.arctan2(forward, neck_to_head[..., UP_AXIS])).mean(axis=1)


def segment_lengths(joints, pairs) -> np.ndarray:
    """``(N, T, P)``: the distance between the joints of every pair ``(first, second)`` of joint indices, in every frame."""
    pairs = np.asarray(pairs, dtype=int).reshape(-1, 2)
    joints = np.asarray(joints, np.float64)
    return np.linalg.norm(joints[:, :, pairs[:, 0]] - joints[:, :, pairs[:, 1]], axis=-1)


def bone_lengths(joints) -> dict[str, np.ndarray]:
    """Mean bone lengths ``{name: (N,)}`` in metres: thigh, shin, upper_arm, forearm, spine."""
    joints = _check_gaits(joints)

    def length(first: str, second: str) -> np.ndarray:
        return segment_lengths(joints, [(_JOINT[first], _JOINT[second])])[..., 0].mean(axis=1)

    lengths = {name: np.mean([length(*pair) for pair in pairs], axis=0) for name, pairs in BONES.items()}
    lengths["spine"] = length("root", "spine") + length("spine", "neck")
    return lengths


def gait_statistics(joints, frame_rate: float = FRAME_RATE) -> dict[str, np.ndarray]:
    """All statistics of the module, ``{name: (N,)}``: the walk figures, then the bone lengths."""
    return {
        "speed": walking_speed(joints, frame_rate),
        "stride_length": stride_length(joints, frame_rate),
        "arm_swing": arm_swing(joints),
        "head_pitch": head_pitch(joints),
        **bone_lengths(joints),
    }


def _mean_sd(values: np.ndarray) -> str:
    values = values[np.isfinite(values)]
    if values.size == 0:
        return "-"
    if values.size == 1:
        return f"{values[0]:.2f}"
    return f"{values.mean():.2f} ± {values.std(ddof=1):.2f}"


def class_summary_markdown(
    statistics: dict[str, np.ndarray],
    labels: np.ndarray,
    label_names,
    names=WALK_STATISTICS,
    reference: tuple[dict[str, np.ndarray], np.ndarray] | None = None,
) -> str:
    """A markdown table: one row per class, one column per statistic, ``mean ± sd``.

    ``statistics``: ``{name: (N,)}`` as ``gait_statistics`` returns; ``labels``
    ``(N,)`` indices into ``label_names``. With ``reference`` = (statistics,
    labels) of a second gait set (the real data), each cell shows
    ``ours / reference``. NaN values (a stride that could not be measured) are
    left out of a cell.
    """
    labels = np.asarray(labels)
    header = ["class", "n"] + [f"{name} ({UNITS.get(name, 'm')})" for name in names]
    if reference is not None:
        header[1] = "n (ours / real)"
    rows = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for class_index, class_name in enumerate(label_names):
        mask = labels == class_index
        count = str(int(mask.sum()))
        cells = [_mean_sd(np.asarray(statistics[name])[mask]) for name in names]
        if reference is not None:
            reference_mask = np.asarray(reference[1]) == class_index
            count += f" / {int(reference_mask.sum())}"
            cells = [f"{cell} / {_mean_sd(np.asarray(reference[0][name])[reference_mask])}" for cell, name in zip(cells, names)]
        rows.append("| " + " | ".join([class_name, count] + cells) + " |")
    return "\n".join(rows)


def default_fixtures_dir() -> pathlib.Path:
    """``<repository>/../shared/fixtures``, the real motion-capture clips beside the repository."""
    return pathlib.Path(__file__).resolve().parents[2].parent / "shared" / "fixtures"


def load_real_fixture(fixtures_dir: pathlib.Path | None = None) -> tuple[np.ndarray, np.ndarray, tuple[str, ...]]:
    """The real walks: positions ``(4, 75, 16, 3)``, labels ``(4,)``, label names."""
    path = (fixtures_dir or default_fixtures_dir()) / REAL_FIXTURE
    if not path.is_file():
        raise FileNotFoundError(
            f"{path}: the real walking fixture is missing; it is expected in ../shared/fixtures beside the repository"
        )
    with np.load(path) as data:
        for key in ("positions", "labels", "label_names"):
            if key not in data.files:
                raise ValueError(f"{path}: has no array {key!r} (it has {', '.join(data.files)})")
        return data["positions"].astype(np.float64), data["labels"].astype(np.int32), tuple(str(n) for n in data["label_names"])


def realism_report(num_gaits: int = 2000, seed: int = 0, fixtures_dir: pathlib.Path | None = None) -> str:
    """Markdown: per-class walk figures and bone lengths, synthetic gaits next to the real fixture."""
    real_joints, real_labels, real_names = load_real_fixture(fixtures_dir)
    synthetic = generate_gaits(num_gaits=num_gaits, seed=seed)
    if tuple(real_names) != tuple(synthetic.label_names):
        raise ValueError(f"{REAL_FIXTURE}: label names {real_names} differ from {synthetic.label_names}")
    ours = gait_statistics(synthetic.joints)
    real = gait_statistics(real_joints)
    bones = ("thigh", "shin", "upper_arm", "forearm", "spine")
    all_ours = np.zeros(len(synthetic), dtype=np.int32)
    all_real = np.zeros(len(real_labels), dtype=np.int32)
    return "\n".join(
        [
            f"Walk figures per class, {num_gaits} synthetic gaits (seed {seed}) / real fixture "
            f"({REAL_FIXTURE}, one walk per class); synthetic cells are mean ± sd.",
            "",
            class_summary_markdown(ours, synthetic.labels, synthetic.label_names, reference=(real, real_labels)),
            "",
            "Bone lengths (m), all gaits, synthetic / real:",
            "",
            class_summary_markdown(ours, all_ours, ("all",), names=bones, reference=(real, all_real)),
            "",
            "Accuracy of a Gaussian (quadratic discriminant) classifier on the generator's own per-gait "
            f"parameters, Monte Carlo: {gaussian_parameter_accuracy():.3f} (chance 0.25).",
        ]
    )


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--num-gaits", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fixtures-dir", type=pathlib.Path, default=None)
    args = parser.parse_args(argv)
    try:
        print(realism_report(args.num_gaits, args.seed, args.fixtures_dir))
    except (FileNotFoundError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
