"""Train/validation/test splits and the ``tf.data`` input pipeline, real gaits mixed with generated ones included.

Splits are *grouped* (every gait of one recording -- clip or subject -- lands in
one split, so windows of one walk never sit in both training and test data),
*stratified* (each split's class balance follows the whole set's as closely as
whole groups allow) and *seeded*. The default fractions are the paper's 7:2:1.
``grouped_stratified_folds`` makes grouped, stratified k-fold splits the same way.

Datasets yield ``(joints, labels)`` batches: joints ``(B, T, V, 3)`` float32,
labels ``(B,)`` int32. Augmentation (``step_tf.data.augment``) runs in a
parallel ``map`` on the training split only, with per-gait seeds drawn from a
seeded ``tf.data.Dataset.random`` that is re-drawn every epoch: deterministic
for a seed, different from epoch to epoch.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import tensorflow as tf

from step_tf.data.gaits import GaitSet, concatenate

SPLIT_NAMES = ("train", "validation", "test")
PAPER_FRACTIONS = (0.7, 0.2, 0.1)


@dataclasses.dataclass(frozen=True)
class Split:
    """Indices into one ``GaitSet`` for each split."""

    train: np.ndarray
    validation: np.ndarray
    test: np.ndarray

    def apply(self, gait_set: GaitSet) -> dict[str, GaitSet]:
        return {name: gait_set.subset(getattr(self, name)) for name in SPLIT_NAMES}


def grouped_stratified_split(
    labels: np.ndarray,
    groups: np.ndarray,
    fractions: tuple[float, float, float] = PAPER_FRACTIONS,
    seed: int = 0,
    num_classes: int | None = None,
) -> Split:
    """Assigns whole groups to train/validation/test, balancing classes per split (see ``assign_groups``)."""
    fractions = np.asarray(fractions, dtype=np.float64)
    if fractions.shape != (3,):
        raise ValueError(f"split fractions must be three non-negative numbers summing to 1, got {tuple(fractions)}")
    part_of_gait = assign_groups(labels, groups, fractions, seed, num_classes)
    return Split(*(np.flatnonzero(part_of_gait == part) for part in range(3)))


def grouped_stratified_folds(
    labels: np.ndarray,
    groups: np.ndarray,
    num_folds: int,
    validation_fraction: float,
    seed: int = 0,
    num_classes: int | None = None,
) -> list[Split]:
    """Grouped, stratified k-fold: one ``Split`` per fold, whose test part is that fold.

    Whole groups go to ``num_folds`` folds of equal target size, balancing
    classes per fold (``assign_groups``); the test parts of the folds are
    disjoint and together cover every gait. In each fold the remaining groups
    are split again, grouped and stratified, into training and a
    ``validation_fraction`` of them for validation (it picks the best epoch).
    """
    if not isinstance(num_folds, (int, np.integer)) or num_folds < 2:
        raise ValueError(f"k-fold needs at least 2 folds, got {num_folds}")
    if not 0 < validation_fraction < 1:
        raise ValueError(f"the validation fraction of a fold's training groups must be in (0, 1), got {validation_fraction}")
    labels = np.asarray(labels)
    groups = np.asarray(groups)
    num_classes = int(labels.max()) + 1 if num_classes is None else num_classes
    fold_of_gait = assign_groups(labels, groups, np.full(num_folds, 1.0 / num_folds), seed, num_classes)
    folds = []
    for fold in range(num_folds):
        rest = np.flatnonzero(fold_of_gait != fold)
        inner = grouped_stratified_split(
            labels[rest], groups[rest], (1.0 - validation_fraction, validation_fraction, 0.0), seed, num_classes
        )
        folds.append(Split(rest[inner.train], rest[inner.validation], np.flatnonzero(fold_of_gait == fold)))
    return folds


def assign_groups(
    labels: np.ndarray,
    groups: np.ndarray,
    fractions: np.ndarray,
    seed: int = 0,
    num_classes: int | None = None,
) -> np.ndarray:
    """The part (0 .. P - 1) of every gait: whole groups placed into P parts of the given ``fractions`` ``(P,)``.

    Groups are placed largest first (ties in a seeded random order), each into
    the part that most lacks its classes relative to the target counts
    ``fraction * class total``. A part with a positive fraction is never left
    empty when there are enough groups. Returns ``(N,)`` int64 for ``labels``
    and ``groups`` of shape ``(N,)``.
    """
    labels = np.asarray(labels)
    groups = np.asarray(groups)
    fractions = np.asarray(fractions, dtype=np.float64)
    if fractions.ndim != 1 or len(fractions) < 2 or (fractions < 0).any() or not np.isclose(fractions.sum(), 1.0):
        raise ValueError(f"split fractions must be non-negative numbers summing to 1, got {tuple(fractions)}")
    if labels.shape != groups.shape or labels.ndim != 1:
        raise ValueError(f"labels and groups must be 1-D of one length, got {labels.shape} and {groups.shape}")
    num_parts = len(fractions)
    num_classes = int(labels.max()) + 1 if num_classes is None else num_classes
    unique_groups, group_of_gait = np.unique(groups, return_inverse=True)
    needed = int(np.count_nonzero(fractions))
    if len(unique_groups) < needed:
        raise ValueError(
            f"cannot split {len(unique_groups)} recording group(s) into {needed} non-empty splits without "
            "putting windows of one recording in two splits; give more recordings, or split by gait "
            "(each gait its own group) if leakage between windows is acceptable"
        )
    group_counts = np.zeros((len(unique_groups), num_classes))
    np.add.at(group_counts, (group_of_gait, labels), 1)

    rng = np.random.default_rng(seed)
    order = rng.permutation(len(unique_groups))
    order = order[np.argsort(-group_counts[order].sum(axis=1), kind="stable")]
    targets = fractions[:, None] * group_counts.sum(axis=0)[None, :]
    assigned = np.zeros((num_parts, num_classes))
    part_of_group = np.empty(len(unique_groups), dtype=np.int64)
    for group in order:
        lack = ((targets - assigned) * group_counts[group][None, :]).sum(axis=1)
        lack[fractions == 0] = -np.inf
        part = int(np.argmax(lack))
        part_of_group[group] = part
        assigned[part] += group_counts[group]
    for part in np.flatnonzero(fractions):
        if not np.any(part_of_group == part):
            # Take the smallest group of the part holding the most groups.
            donor = np.argmax(np.bincount(part_of_group, minlength=num_parts))
            candidates = np.flatnonzero(part_of_group == donor)
            part_of_group[candidates[np.argmin(group_counts[candidates].sum(axis=1))]] = part
    return part_of_group[group_of_gait]


def gait_dataset(
    gait_set: GaitSet,
    batch_size: int,
    shuffle: bool = False,
    augmentation=None,
    seed: int = 0,
) -> tf.data.Dataset:
    """A batched, prefetched dataset of ``(joints (B, T, V, 3), labels (B,))``.

    ``augmentation`` is a ``(joints (T, V, 3), seed (2,)) -> joints`` callable
    (see ``step_tf.data.augment``) applied per gait; use it on training data only.
    """
    if batch_size < 1:
        raise ValueError(f"batch_size must be positive, got {batch_size}")
    if len(gait_set) == 0:
        raise ValueError(f"{gait_set.source}: cannot build a dataset from zero gaits")
    dataset = tf.data.Dataset.from_tensor_slices((gait_set.joints, gait_set.labels))
    if shuffle:
        dataset = dataset.shuffle(len(gait_set), seed=seed, reshuffle_each_iteration=True)
    if augmentation is not None:
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        dataset = tf.data.Dataset.zip(dataset, seeds).map(
            lambda example, gait_seed: (augmentation(example[0], gait_seed), example[1]),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        )
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def augmented_training_dataset(real: GaitSet, generated: GaitSet, batch_size: int, ratio: float | None = None,
                               augmentation=None, seed: int = 0) -> tf.data.Dataset:
    """Training batches of real and generated gaits, ``(joints (B, T, V, 3), labels (B,))``.

    ``ratio=None`` pools both sets and shuffles them together. Otherwise each
    gait is drawn from the generated set with probability ``ratio`` (repeating
    it as needed) until one pass over the real gaits is done, so an epoch holds
    about ``len(real) / (1 - ratio)`` gaits.
    """
    if ratio is None:
        return gait_dataset(concatenate([real, generated]), batch_size, shuffle=True, augmentation=augmentation, seed=seed)
    if not 0 < ratio < 1:
        raise ValueError(f"ratio must be in (0, 1), got {ratio}")
    streams = [
        gait_dataset(part, 1, shuffle=True, augmentation=augmentation, seed=seed + offset).unbatch()
        for offset, part in enumerate((real, generated))
    ]
    mixed = tf.data.Dataset.sample_from_datasets(
        [streams[0], streams[1].repeat()], weights=[1.0 - ratio, ratio], seed=seed, stop_on_empty_dataset=True
    )
    return mixed.batch(batch_size).prefetch(tf.data.AUTOTUNE)
