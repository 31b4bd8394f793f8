"""Measurable quality of generated gaits (the paper judges it by eye), against real gaits.

All gaits are ``(N, T, V, 3)`` in metres at ``FRAME_RATE``; compare sets in one view
(``step_tf.data.preprocess.canonical_view``). ``quality_report`` gives:

* ``speed_ratio[c]``: mean root-relative joint speed of generated gaits of class
  ``c`` over that of real ones (1 = as much limb motion; a collapsed, static gait
  gives 0). Root-relative, so walking translation does not hide a frozen body;
  velocities from the Savitzky-Golay filter of the affective features
  (``step_tf.features.smoothed_derivative``), so capture noise does not count as
  motion: with frame differences, 3 mm of noise per coordinate added about 40 %
  to the embedded set's joint speed and a noise-free copy of real walks scored
  0.72.
* ``within_real_range``: fraction of generated root-relative coordinates inside
  the real gaits' per-joint, per-axis range (drift leaves it).
* ``bone_length_error``: mean over bones of |generated mean length - real mean
  length| / real mean length; ``bone_length_variation``: mean over gaits and
  bones of a bone's std over frames / its mean (rigid bones give 0), for the
  generated and real sets.
* ``pairwise_distance``: mean RMS distance between two gaits of a set,
  generated and real (a collapsed generator has less diversity).
* ``nearest_training_distance``: median RMS distance from each gait to its
  nearest training gait, for generated and held-out real gaits (copies of
  training gaits would be much closer than real-to-real).
* ``label_accuracy``: accuracy of a classifier trained on real gaits at
  recognising the conditioning labels of generated gaits.

The RMS distance between gaits ``a`` and ``b`` is ``sqrt(mean((a - b)^2))`` over
frames, joints and coordinates (metres).
"""

from __future__ import annotations

import numpy as np

from step_tf.data.gaits import FRAME_RATE, GaitSet
from step_tf.data.preprocess import root_centre
from step_tf.data.walk_stats import segment_lengths
from step_tf.graph import get_layout


def mean_joint_speed(joints: np.ndarray, frame_rate: float = FRAME_RATE) -> np.ndarray:
    """``(N,)``: mean over frames and joints of the smoothed root-relative joint speed, m/s (T >= 15)."""
    from step_tf.features import SMOOTHING_WINDOW, smoothed_derivative

    relative = root_centre(np.asarray(joints, np.float64))
    if relative.shape[1] < SMOOTHING_WINDOW:
        raise ValueError(f"joint speeds need at least {SMOOTHING_WINDOW} frames (one smoothing window), got {relative.shape[1]}")
    velocity = smoothed_derivative(relative, 1, frame_rate).numpy()  # (N, T - 14, V, 3)
    return np.linalg.norm(velocity, axis=-1).mean(axis=(1, 2))


def rms_distances(a: np.ndarray, b: np.ndarray, chunk: int = 256) -> np.ndarray:
    """``(N_a, N_b)`` RMS distances between the gaits of two sets."""
    flat_a = np.asarray(a, np.float64).reshape(len(a), -1)
    flat_b = np.asarray(b, np.float64).reshape(len(b), -1)
    norms_b = np.sum(flat_b**2, axis=1)
    rows = []
    for start in range(0, len(flat_a), chunk):
        block = flat_a[start : start + chunk]
        squared = np.sum(block**2, axis=1)[:, None] + norms_b[None, :] - 2.0 * block @ flat_b.T
        rows.append(np.sqrt(np.clip(squared, 0.0, None) / flat_a.shape[1]))
    return np.concatenate(rows)


def _mean_pairwise(joints: np.ndarray) -> float:
    distances = rms_distances(joints, joints)
    return float(distances[~np.eye(len(joints), dtype=bool)].mean()) if len(joints) > 1 else 0.0


def quality_report(generated: GaitSet, train: GaitSet, held_out: GaitSet, classifier=None) -> dict:
    """The figures of the module docstring for ``generated`` against real ``train`` and ``held_out`` gaits."""
    if len(generated) < 2 or len(train) < 1 or len(held_out) < 2:
        raise ValueError("quality needs at least 2 generated, 1 training and 2 held-out gaits")
    real = np.concatenate([train.joints, held_out.joints])
    real_labels = np.concatenate([train.labels, held_out.labels])
    speed_generated, speed_real = mean_joint_speed(generated.joints), mean_joint_speed(real)
    speed_ratio = {
        name: float(speed_generated[generated.labels == label].mean() / speed_real[real_labels == label].mean())
        for label, name in enumerate(generated.label_names)
        if np.any(generated.labels == label) and np.any(real_labels == label)
    }
    relative_real, relative_generated = root_centre(real), root_centre(generated.joints)
    low, high = relative_real.min(axis=(0, 1)), relative_real.max(axis=(0, 1))
    inside = (relative_generated >= low) & (relative_generated <= high)
    edges = get_layout("step16").edges
    bones_generated, bones_real = segment_lengths(generated.joints, edges), segment_lengths(real, edges)
    real_bone_mean = bones_real.mean(axis=(0, 1))

    def variation(bones):
        return float((bones.std(axis=1) / np.maximum(bones.mean(axis=1), 1e-9)).mean())

    report = {
        "num_generated": len(generated),
        "speed_ratio": speed_ratio,
        "within_real_range": float(inside.mean()),
        "bone_length_error": float((np.abs(bones_generated.mean(axis=(0, 1)) - real_bone_mean) / real_bone_mean).mean()),
        "bone_length_variation": {"generated": variation(bones_generated), "real": variation(bones_real)},
        "pairwise_distance": {"generated": _mean_pairwise(generated.joints), "real": _mean_pairwise(held_out.joints)},
        "nearest_training_distance": {
            "generated": float(np.median(rms_distances(generated.joints, train.joints).min(axis=1))),
            "real": float(np.median(rms_distances(held_out.joints, train.joints).min(axis=1))),
        },
    }
    if classifier is not None:
        report["label_accuracy"] = label_accuracy(classifier, generated)
    return report


def label_accuracy(classifier, generated: GaitSet, batch_size: int = 256) -> float:
    """Fraction of ``generated`` gaits that ``classifier`` (trained on real gaits) assigns to their conditioning label."""
    logits = np.concatenate(
        [np.asarray(classifier(generated.joints[i : i + batch_size], training=False)) for i in range(0, len(generated), batch_size)]
    )
    return float(np.mean(np.argmax(logits, axis=-1) == generated.labels))
