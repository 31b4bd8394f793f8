"""One training run of a gait classifier, from a configuration to a run directory.

A run directory holds fixed file names (``step_tf.runs`` names them), so tools can find them:

* ``config.json`` -- the resolved ``TrainConfig``;
* ``split.json`` -- the gait keys of the train, validation and test splits;
* ``backup/`` -- the last finished epoch (model, optimizer, epoch), for ``--resume``
  (``step_tf.training.backup``; removed once the run has finished);
* ``best.keras`` -- the model of the epoch with the best validation accuracy
  (the test split is never looked at before the final score);
* ``model.keras`` -- the model after the last epoch;
* ``history.csv`` -- per-epoch losses, accuracies and learning rate;
* ``logs/`` -- TensorBoard: ``train`` and ``validation`` scalars (loss,
  accuracy, learning rate), validation confusion-matrix images, the model's
  graph, and the resolved configuration as hparams (the HParams dashboard);
* ``metrics.json`` -- the best model's scores on the validation and test splits.

``TrainConfig.strategy`` trains on several GPUs or machines
(``step_tf.training.distribution``): the model is built and compiled inside the
strategy's scope, ``batch_size`` is the global batch, and only the chief writes
the run directory.
"""

from __future__ import annotations

import dataclasses
import pathlib
import sys
import time

import keras
import numpy as np

from step_tf.config import TrainConfig
from step_tf.data.augment import augmented_copies, default_augmentation
from step_tf.data.datasets import Split, augmented_training_dataset, gait_dataset, grouped_stratified_folds, grouped_stratified_split
from step_tf.data.gaits import GaitSet
from step_tf.data.sources import load_gaits
from step_tf.evaluation.metrics import classification_report
from step_tf.files import atomic_output
from step_tf.models.baselines import CLASSIFIERS
from step_tf.models.optimizers import make_optimizer  # noqa: F401  (the loop's optimizer; generator and bench import it here)
from step_tf.runs import BACKUP_FOLDER, HISTORY_FILE, LAST_MODEL_FILE, LOGS_FOLDER, best_model_path, load_keras_model
from step_tf.training.backup import KillSafeBackup
from step_tf.training.callbacks import BestModelCheckpoint, ConfusionMatrixImage, HParamsSummary, ModelGraphSummary, StopOnNonFiniteLoss
from step_tf.training.distribution import prepare_keras_fit, make_strategy, shard_by_element, worker_run_directory
from step_tf.training.generated import generated_gaits
from step_tf.training.run_directory import check_run_directory, finish_run, run_directory

LEARNING_RATE_MILESTONES = (0.5, 0.75, 0.875)  # the paper's step decay, as fractions of the epochs


def step_decay(base_rate: float, epochs: int):
    """The paper's schedule: the rate divided by 10 at 50, 75 and 87.5 % of training.

    ``schedule(epoch)`` takes Keras's 0-based epoch. Each boundary is the nearest epoch to its
    fraction, but never epoch 0 (the first epoch always trains at the full rate) and each after
    the one before, so that short runs divide by 10 at most once an epoch: 1 epoch trains at
    the full rate, 2 epochs give rates r, r/10, 3 give r, r, r/10, 4 give r, r, r/10, r/100.
    From 6 epochs on the boundaries are the rounded fractions (30 epochs: 15, 22, 26).
    """
    milestones = []
    for fraction in LEARNING_RATE_MILESTONES:
        milestones.append(max(int(round(fraction * epochs)), milestones[-1] + 1 if milestones else 1))

    def schedule(epoch, _current=None):
        return float(base_rate * 0.1 ** sum(epoch >= milestone for milestone in milestones))

    return schedule


def build_model(config: TrainConfig, num_classes: int) -> keras.Model:
    """The classifier ``config`` describes, compiled: ``from_train_config`` of its class (a notebook's path too).

    Models with affective features still need ``adapt_feature_scaling`` on the training gaits before ``fit``.
    """
    return CLASSIFIERS[config.model].from_train_config(config, num_classes)


def _predict(model: keras.Model, dataset) -> tuple[np.ndarray, np.ndarray]:
    true_labels, predicted = [], []
    for joints, labels in dataset:
        predicted.append(np.argmax(model(joints, training=False), axis=-1))
        true_labels.append(labels.numpy())
    return np.concatenate(true_labels), np.concatenate(predicted)


# Augmented draws of each training gait that the affective-feature standardisation is fitted on.
SCALING_COPIES = 2


def training_augmentation(config: TrainConfig):
    """The per-gait augmentation ``config`` trains with (``step_tf.data.augment``), or None."""
    return default_augmentation(config.slowest_speed, config.smallest_arm_swing) if config.augment else None


def scaling_gaits(training_joints: np.ndarray, augmentation, seed: int) -> np.ndarray:
    """The gaits to fit the affective-feature standardisation on: what the model is trained on.

    With augmentation, ``SCALING_COPIES`` augmented draws of every training gait
    (scaling changes the distances, rotation the bounding box); without, the gaits.
    """
    if augmentation is None:
        return training_joints
    return augmented_copies(training_joints, augmentation, SCALING_COPIES, seed)


def configured_split(config: TrainConfig, labels: np.ndarray, groups: np.ndarray, num_classes: int) -> Split:
    """The split ``config`` asks for: by ``split_fractions``, or fold ``config.fold`` of a grouped k-fold."""
    if config.folds == 0:
        return grouped_stratified_split(labels, groups, config.split_fractions, config.seed, num_classes)
    train_fraction, validation_fraction, _ = config.split_fractions
    folds = grouped_stratified_folds(
        labels, groups, config.folds, validation_fraction / (train_fraction + validation_fraction), config.seed, num_classes
    )
    return folds[config.fold]


def load_split(config: TrainConfig) -> tuple[GaitSet, dict[str, GaitSet]]:
    """Seeds Keras, loads ``config.data`` and splits it: the gaits and their splits (nothing is written)."""
    keras.utils.set_random_seed(config.seed)
    gaits = load_gaits(config.data, config.label_names, config.plausibility_check)
    parts = configured_split(config, gaits.labels, gaits.groups, gaits.num_classes).apply(gaits)
    return gaits, parts


def split_keys(parts: dict[str, GaitSet]) -> dict[str, list[str]]:
    """What ``split.json`` holds: the gait keys of each split."""
    return {name: part.keys.tolist() for name, part in parts.items()}


def run_callbacks(config: TrainConfig, run_dir: pathlib.Path, best: keras.callbacks.Callback,
                  image: keras.callbacks.Callback) -> list[keras.callbacks.Callback]:
    """Every run's callbacks, in the order that keeps a killed run resumable.

    A non-finite loss stops training first. The best model and ``history.csv``
    are written before the epoch's backup: a run killed in between redoes the
    epoch (``step_tf.training.backup`` trims its logged row) rather than lose it.
    The backup, last, restores model, optimizer and epoch on ``--resume``.
    """
    callbacks = [StopOnNonFiniteLoss(), best]
    if config.learning_rate_schedule == "step":
        callbacks.append(keras.callbacks.LearningRateScheduler(step_decay(config.learning_rate, config.epochs)))
    callbacks += [
        keras.callbacks.CSVLogger(str(run_dir / HISTORY_FILE), append=True),
        keras.callbacks.TensorBoard(str(run_dir / LOGS_FOLDER), write_graph=True),
        HParamsSummary(str(run_dir / LOGS_FOLDER), dataclasses.asdict(config), trial_id=run_dir.name),
        ModelGraphSummary(str(run_dir / LOGS_FOLDER / "train")),
        image,
        KillSafeBackup(run_dir / BACKUP_FOLDER),
    ]
    return callbacks


def fit_and_save(model: keras.Model, config: TrainConfig, run_dir: pathlib.Path, train_data, validation_data, callbacks, verbose) -> float:
    """Runs ``model.fit``, saves ``model.keras`` atomically and returns the training time in seconds."""
    started = time.perf_counter()
    model.fit(
        train_data,
        validation_data=validation_data,
        epochs=config.epochs,
        callbacks=callbacks,
        verbose=(1 if sys.stdout.isatty() else 2) if verbose is None else verbose,
    )
    training_seconds = time.perf_counter() - started
    with atomic_output(run_dir / LAST_MODEL_FILE, suffix=".keras") as temporary:
        keras.saving.save_model(model, temporary)
    return training_seconds


def train(config: TrainConfig, run_dir: str | pathlib.Path, resume: bool = False, verbose: int | None = None,
          strategy=None) -> dict:
    """Trains ``config`` into ``run_dir`` and returns the metrics written to ``metrics.json``.

    ``resume=True`` continues the run in ``run_dir`` from its last finished epoch.
    ``strategy``: a ``tf.distribute`` strategy of ``config.strategy``'s kind built by
    the caller (say, MirroredStrategy over chosen devices); by default
    ``step_tf.training.distribution.make_strategy(config.strategy)``.
    """
    if resume and config.strategy == "multiworker":
        raise ValueError(f"{run_dir}: --resume continues a run on one machine; the workers of a cluster share no backup")
    # MultiWorkerMirroredStrategy must exist before any other TensorFlow work.
    strategy = strategy or make_strategy(config.strategy)
    with worker_run_directory(run_dir, strategy) as own_run_dir:
        return _train(config, own_run_dir, resume, verbose, strategy)


def _train(config: TrainConfig, run_dir: str | pathlib.Path, resume: bool, verbose: int | None, strategy) -> dict:
    run_dir = check_run_directory(config, run_dir, resume)
    gaits, parts = load_split(config)

    augmentation = training_augmentation(config)
    if config.generated is None:
        train_data = gait_dataset(parts["train"], config.batch_size, shuffle=True, augmentation=augmentation, seed=config.seed)
    else:  # STEP+Aug: generated gaits join the training split only
        train_data = augmented_training_dataset(
            parts["train"],
            generated_gaits(config, gaits.label_names, parts["validation"].keys, parts["test"].keys),
            config.batch_size,
            ratio=config.generated_ratio, augmentation=augmentation, seed=config.seed,
        )
    validation_data = gait_dataset(parts["validation"], config.batch_size)

    with strategy.scope():
        model = build_model(config, gaits.num_classes)
        if hasattr(model, "adapt_feature_scaling"):
            model.adapt_feature_scaling(scaling_gaits(parts["train"].joints, augmentation, config.seed))
    prepare_keras_fit(model, strategy, next(iter(validation_data)))

    with run_directory(config, run_dir, resume, split_keys(parts)):
        best_path = best_model_path(run_dir)
        best_so_far = None
        if resume and best_path.exists():
            best_so_far = load_keras_model(best_path).evaluate(validation_data, verbose=0, return_dict=True)["accuracy"]
        callbacks = run_callbacks(
            config, run_dir, BestModelCheckpoint(best_path, monitor="val_accuracy", best=best_so_far),
            ConfusionMatrixImage(validation_data, gaits.label_names, str(run_dir / LOGS_FOLDER / "validation"), config.confusion_matrix_every),
        )
        training_seconds = fit_and_save(
            model, config, run_dir, shard_by_element(train_data), shard_by_element(validation_data), callbacks, verbose
        )

        best = load_keras_model(best_path)
        metrics = {"model": config.model, "training_seconds": round(training_seconds, 1), "epochs": config.epochs}
        for name in ("validation", "test"):
            if len(parts[name]) == 0:  # a test fraction of 0 was asked for
                metrics[name] = None
                continue
            true_labels, predicted = _predict(best, gait_dataset(parts[name], config.batch_size))
            metrics[name] = classification_report(true_labels, predicted, gaits.label_names)
        finish_run(run_dir, metrics)
    return metrics
