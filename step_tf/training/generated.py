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


def check_no_leak(generator_run: pathlib.Path, held_out_keys) -> None:
    """Refuses a generator that was trained on gaits the classifier holds out (validation or test).

    STEP+Aug on gaits generated from its own test set would score its test set
    second-hand. The generator run's ``split.json`` names its training and
    validation gaits (the validation gaits chose its best epoch).
    """
    split = read_split(generator_run, "the generator's split to check it for leaks")
    seen = set(split.get("train", [])) | set(split.get("validation", []))
    overlap = sorted(seen & set(np.asarray(held_out_keys).tolist()))
    if overlap:
        raise ValueError(
            f"{generator_run}: the generator was trained on {len(overlap)} gait(s) this run holds out for validation or "
            f"test (keys {', '.join(overlap[:5])}{', ...' if len(overlap) > 5 else ''}); train the generator on this "
            "run's training split (same --data, --seed, --folds/--fold and --split-fractions)"
        )


def generated_gaits(config: TrainConfig, label_names, held_out_keys=()) -> GaitSet:
    """The generated gaits ``config.generated`` names, for STEP+Aug.

    A generator run directory generates ``generated_per_class`` gaits per class
    with ``config.seed``, after ``check_no_leak`` against ``held_out_keys`` (the
    classifier's validation and test keys); a generated ``FEATURES.h5`` (labels
    beside it, see ``labels_path_for``) gives its first ``generated_per_class``
    gaits of each class (all of them for 0), unchecked: a file does not say
    what it was generated from.
    """
    source = pathlib.Path(config.generated)
    if source.is_dir():
        if config.generated_per_class < 1:
            raise ValueError(f"{source}: generating from a generator run needs --generated-per-class N > 0")
        check_no_leak(source, held_out_keys)
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
