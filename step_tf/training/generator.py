"""Training STEP-Gen, generating gaits from a trained one, and feeding them to a classifier (STEP+Aug).

A generator run directory has the classifier run's layout (``step_tf.training.loop``):
``config.json``, ``split.json``, ``backup/``, ``history.csv``, ``model.keras``,
``best.keras`` (the epoch with the *lowest* validation loss), ``logs/`` (TensorBoard
``train`` and ``validation`` scalars ``epoch_loss``, ``epoch_reconstruction_loss``,
``epoch_push_loss``, ``epoch_pull_loss``, ``epoch_kl_loss``, ``epoch_learning_rate``;
the Baseline CVAE logs its push and pull losses too, without optimising them) and
``metrics.json`` (the best model's loss terms on the validation and test splits, and
the label names its class ids stand for).

The generator learns gaits in a *canonical view* (``canonical_view``): each gait
is moved so that its root starts above the origin and turned about the vertical so
that it faces +z. Gaits recorded anywhere and facing anywhere (the embedded set
walks in random directions) then share one frame, as the paper's view
normalisation intends, while the walking translation and body size, which the
affective features measure, are kept.
"""

from __future__ import annotations

import json
import pathlib

import keras
import numpy as np
import tensorflow as tf

from step_tf.config import TrainConfig
from step_tf.data.gaits import GaitSet, concatenate
from step_tf.data.pipeline import gait_dataset
from step_tf.data.preprocess import rotation_about_vertical
from step_tf.files import atomic_output
from step_tf.graph import get_layout
from step_tf.models.loading import load_keras_model
from step_tf.models.stepgen import STEPGen
from step_tf.training.callbacks import BestModelCheckpoint, GeneratedGaitImages
from step_tf.training.loop import fit_and_save, load_split, make_optimizer, run_callbacks, split_keys
from step_tf.training.run_directory import check_run_directory, finish_run, run_directory

UP_AXIS = 1


def canonical_view(joints: np.ndarray, layout: str = "step16") -> np.ndarray:
    """Gaits ``(N, T, V, 3)`` with the root's first-frame horizontal position at the origin, facing +z.

    The facing direction is the horizontal part of ``(hip_left - hip_right) x up``
    averaged over frames (forward for a y-up, right-handed frame), so it is
    defined for walking on the spot too.
    """
    joints = np.asarray(joints, dtype=np.float32)
    names = get_layout(layout)
    if joints.ndim != 4 or joints.shape[2:] != (names.num_joints, 3):
        raise ValueError(f"gaits must have shape (N, T, {names.num_joints}, 3), got {joints.shape}")
    root, hip_left, hip_right = (names.joint_index(name) for name in ("root", "hip_left", "hip_right"))
    start = joints[:, :1, root, :].copy()
    start[..., UP_AXIS] = 0.0
    moved = joints - start[:, :, None, :]
    facing = np.cross(joints[:, :, hip_left] - joints[:, :, hip_right], np.array([0.0, 1.0, 0.0], np.float32)).mean(axis=1)
    angles = -np.arctan2(facing[:, 0], facing[:, 2])  # rotating by this brings (x, 0, z) onto +z
    return np.stack([gait @ rotation_about_vertical(angle).T for gait, angle in zip(moved, angles)]).astype(np.float32)


def build_generator(config: TrainConfig, num_classes: int, num_frames: int) -> STEPGen:
    """The compiled STEP-Gen ``config`` describes; ``cvae_baseline`` gets lambda_c = lambda_d = 0."""
    baseline = config.model == "cvae_baseline"
    model = STEPGen(
        num_classes=num_classes,
        latent_dim=config.latent_dim,
        encoder_channels=config.generator_channels,
        encoder_strides=config.generator_strides,
        decoder_channels=tuple(reversed(config.generator_channels))[1:] or config.generator_channels[:1],
        temporal_kernel_size=config.temporal_kernel_size,
        num_frames=num_frames,
        strategy=config.partition_strategy,
        frame_aware=config.frame_aware,
        lambda_c=0.0 if baseline else config.lambda_c,
        lambda_d=0.0 if baseline else config.lambda_d,
        kl_weight=config.kl_weight,
    )
    model.compile(optimizer=make_optimizer(config))
    return model


def train_generator(config: TrainConfig, run_dir: str | pathlib.Path, resume: bool = False, verbose: int | None = None) -> dict:
    """Trains STEP-Gen (or the Baseline CVAE) into ``run_dir``; returns what ``metrics.json`` holds."""
    run_dir = check_run_directory(config, run_dir, resume)
    gaits, parts = load_split(config)
    views = {name: GaitSet(canonical_view(part.joints), part.labels, part.label_names, part.groups, part.keys, part.source)
             for name, part in parts.items()}
    train_data = gait_dataset(views["train"], config.batch_size, shuffle=True, seed=config.seed)
    validation_data = gait_dataset(views["validation"], config.batch_size)

    model = build_generator(config, gaits.num_classes, gaits.num_frames)
    model.adapt(views["train"].joints)
    with run_directory(config, run_dir, resume, split_keys(parts)):
        best_path = run_dir / "best.keras"
        best_so_far = None
        if resume and best_path.exists():
            best_so_far = load_keras_model(best_path).evaluate(validation_data, verbose=0, return_dict=True)["loss"]
        callbacks = run_callbacks(
            config, run_dir, BestModelCheckpoint(best_path, monitor="val_loss", best=best_so_far, mode="min"),
            GeneratedGaitImages(gaits.label_names, str(run_dir / "logs" / "train"), config.confusion_matrix_every, config.seed),
        )
        training_seconds = fit_and_save(model, config, run_dir, train_data, validation_data, callbacks, verbose)

        best = load_keras_model(best_path)
        # The aggregate sampler's class densities, from the training gaits under the kept weights.
        best.fit_latent_density(views["train"].joints, views["train"].labels)
        with atomic_output(best_path, suffix=".keras") as temporary:
            best.save(temporary)
        metrics = {
            "model": config.model,
            "training_seconds": round(training_seconds, 1),
            "epochs": config.epochs,
            "label_names": list(gaits.label_names),
        }
        for name in ("validation", "test"):
            metrics[name] = (
                {key: float(value) for key, value in best.evaluate(gait_dataset(views[name], config.batch_size), verbose=0, return_dict=True).items()}
                if len(views[name])
                else None
            )
        finish_run(run_dir, metrics)
    return metrics


def load_generator(run_dir: str | pathlib.Path) -> tuple[STEPGen, tuple[str, ...]]:
    """The best STEP-Gen of a finished run and the label names of its class ids."""
    run_dir = pathlib.Path(run_dir)
    metrics_path = run_dir / "metrics.json"
    if not metrics_path.is_file() or not (run_dir / "best.keras").is_file():
        raise FileNotFoundError(f"{run_dir}: not a finished generator run (needs metrics.json and best.keras)")
    metrics = json.loads(metrics_path.read_text())
    if "label_names" not in metrics:
        raise ValueError(f"{metrics_path}: no label_names; is this a generator run (model {metrics.get('model')!r})?")
    model = load_keras_model(run_dir / "best.keras")
    if not isinstance(model, STEPGen):
        raise ValueError(f"{run_dir / 'best.keras'}: holds a {type(model).__name__}, not a STEP-Gen generator")
    return model, tuple(metrics["label_names"])


def generate_gait_set(generator: STEPGen, label_names, per_class: int, seed: int = 0, sampler: str = "prior") -> GaitSet:
    """``per_class`` gaits of every class from ``sampler`` (``STEPGen.generate``), keys ``00001_Angry`` (counter and class)."""
    if per_class < 1:
        raise ValueError(f"gaits per class must be at least 1, got {per_class}")
    labels = np.repeat(np.arange(len(label_names), dtype=np.int32), per_class)
    keys = [f"{index + 1:05d}_{label_names[label].capitalize()}" for index, label in enumerate(labels)]
    return GaitSet(generator.generate(labels, seed=seed, sampler=sampler), labels, tuple(label_names), keys=keys,
                   groups=np.full(len(labels), "generated"), source=f"STEP-Gen ({sampler} sampler, seed {seed})")


def labels_path_for(features_path: str | pathlib.Path) -> pathlib.Path:
    """The labels file beside a features file: ``features`` in the name becomes ``labels``, else ``_labels`` is appended."""
    path = pathlib.Path(features_path)
    name = path.name.replace("features", "labels") if "features" in path.name else f"{path.stem}_labels{path.suffix}"
    return path.with_name(name)


def check_no_leak(generator_run: pathlib.Path, held_out_keys) -> None:
    """Refuses a generator that was trained on gaits the classifier holds out (validation or test).

    STEP+Aug on gaits generated from its own test set would score its test set
    second-hand. The generator run's ``split.json`` names its training and
    validation gaits (the validation gaits chose its best epoch).
    """
    split_path = generator_run / "split.json"
    try:
        split = json.loads(split_path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{split_path}: cannot read the generator's split to check it for leaks ({error})") from None
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
    from step_tf.data.egait import read_egait

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
