"""Training STEP-Gen into a run directory.

A generator run directory has the classifier run's layout (``step_tf.training.loop``):
``config.json``, ``split.json``, ``backup/``, ``history.csv``, ``model.keras``,
``best.keras`` (the epoch with the *lowest* validation loss), ``logs/`` (TensorBoard
``train`` and ``validation`` scalars ``epoch_loss``, ``epoch_reconstruction_loss``,
``epoch_push_loss``, ``epoch_pull_loss``, ``epoch_kl_loss``, ``epoch_learning_rate``;
the Baseline CVAE logs its push and pull losses too, without optimising them) and
``metrics.json`` (the best model's loss terms on the validation and test splits, and
the label names its class ids stand for).

The generator learns gaits in a *canonical view* (``step_tf.data.preprocess.canonical_view``): each gait
is moved so that its root starts above the origin and turned about the vertical so
that it faces +z. Gaits recorded anywhere and facing anywhere (the embedded set
walks in random directions) then share one frame, as the paper's view
normalisation intends, while the walking translation and body size, which the
affective features measure, are kept.
"""

from __future__ import annotations

import pathlib

from step_tf.config import TrainConfig
from step_tf.data.datasets import gait_dataset
from step_tf.data.gaits import GaitSet
from step_tf.data.preprocess import canonical_view
from step_tf.files import atomic_output
from step_tf.models.stepgen import STEPGen
from step_tf.runs import LOGS_FOLDER, best_model_path, load_keras_model
from step_tf.training.callbacks import BestModelCheckpoint, GeneratedGaitImages
from step_tf.training.loop import fit_and_save, load_split, make_optimizer, run_callbacks, split_keys
from step_tf.training.run_directory import check_run_directory, finish_run, run_directory


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
        best_path = best_model_path(run_dir)
        best_so_far = None
        if resume and best_path.exists():
            best_so_far = load_keras_model(best_path).evaluate(validation_data, verbose=0, return_dict=True)["loss"]
        callbacks = run_callbacks(
            config, run_dir, BestModelCheckpoint(best_path, monitor="val_loss", best=best_so_far, mode="min"),
            GeneratedGaitImages(gaits.label_names, str(run_dir / LOGS_FOLDER / "train"), config.confusion_matrix_every, config.seed),
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
