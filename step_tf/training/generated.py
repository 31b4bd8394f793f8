"""The generated gaits STEP+Aug trains on: from a generator run, or from a generated E-Gait file."""

from __future__ import annotations

import pathlib

import numpy as np

from step_tf.config import TrainConfig
from step_tf.data.egait import labels_path_for, read_egait
from step_tf.data.gaits import GaitSet
from step_tf.runs import load_generator, read_split


def generate_gait_set(generator, label_names, per_class: int, seed: int = 0, sampler: str = "prior") -> GaitSet:
    """``per_class`` gaits of every class from ``sampler`` (``STEPGen.generate``), keys ``00001_Angry`` (counter and class)."""
    if per_class < 1:
        raise ValueError(f"gaits per class must be at least 1, got {per_class}")
    labels = np.repeat(np.arange(len(label_names), dtype=np.int32), per_class)
    keys = [f"{index + 1:05d}_{label_names[label].capitalize()}" for index, label in enumerate(labels)]
    return GaitSet(generator.generate(labels, seed=seed, sampler=sampler), labels, tuple(label_names), keys=keys,
                   groups=np.full(len(labels), "generated"), source=f"STEP-Gen ({sampler} sampler, seed {seed})")


def check_no_leak(generator_run: pathlib.Path, validation_keys, test_keys) -> None:
    """Refuses a generator that has seen what the classifier holds out.

    STEP+Aug on gaits generated from its own test set would score its test set
    second-hand, and gaits generated from its validation set would choose its
    best epoch second-hand. The generator run's ``split.json`` names its
    training gaits (never among the classifier's validation or test gaits) and
    its validation gaits, which chose its best epoch (never among the
    classifier's test gaits; sharing the classifier's validation gaits is what
    the same ``--data``, ``--seed`` and split give, and is fine).
    """
    split = read_split(generator_run, "the generator's split to check it for leaks")
    validation, test = set(np.asarray(validation_keys).tolist()), set(np.asarray(test_keys).tolist())
    overlap = sorted((set(split.get("train", [])) & (validation | test)) | (set(split.get("validation", [])) & test))
    if overlap:
        raise ValueError(
            f"{generator_run}: the generator has seen {len(overlap)} gait(s) this run holds out (trained on its validation or "
            f"test gaits, or chose its epoch on its test gaits; keys {', '.join(overlap[:5])}{', ...' if len(overlap) > 5 else ''}); "
            "train the generator on this run's training split (same --data, --seed, --folds/--fold and --split-fractions)"
        )


def generated_gaits(config: TrainConfig, label_names, validation_keys=(), test_keys=()) -> GaitSet:
    """The generated gaits ``config.generated`` names, for STEP+Aug.

    A generator run directory generates ``generated_per_class`` gaits per class
    with ``config.seed``, after ``check_no_leak`` against the classifier's
    validation and test keys; a generated ``FEATURES.h5`` (labels
    beside it, see ``labels_path_for``) gives its first ``generated_per_class``
    gaits of each class (all of them for 0), unchecked: a file does not say
    what it was generated from.
    """
    source = pathlib.Path(config.generated)
    if source.is_dir():
        if config.generated_per_class < 1:
            raise ValueError(f"{source}: generating from a generator run needs --generated-per-class N > 0")
        check_no_leak(source, validation_keys, test_keys)
        generator, generator_names = load_generator(source)
        if tuple(generator_names) != tuple(label_names):
            raise ValueError(f"{source}: the generator's labels {generator_names} differ from the data's {tuple(label_names)}")
        return generate_gait_set(generator, label_names, config.generated_per_class, seed=config.seed, sampler=config.generated_sampler)
    gait_set = read_egait(source, labels_path_for(source), label_names=tuple(label_names))
    if config.generated_per_class == 0:
        return gait_set
    chosen = []
    for label, name in enumerate(label_names):
        of_class = np.flatnonzero(gait_set.labels == label)
        if len(of_class) < config.generated_per_class:
            raise ValueError(f"{source}: {len(of_class)} generated gaits of class {name!r}, fewer than the {config.generated_per_class} asked for")
        chosen.append(of_class[: config.generated_per_class])
    return gait_set.subset(np.concatenate(chosen))
