"""Callbacks of the training loop: stopping on a non-finite loss, the best-model checkpoint, and images in TensorBoard."""

from __future__ import annotations

import math

import numpy as np
import tensorflow as tf
import keras

from step_tf.evaluation.animation import gait_strip_png
from step_tf.evaluation.metrics import confusion_matrix
from step_tf.evaluation.plots import confusion_matrix_png
from step_tf.files import atomic_output


class TrainingDiverged(ValueError):
    """The loss became NaN or infinite: the weights are garbage from here on."""


class StopOnNonFiniteLoss(keras.callbacks.Callback):
    """Raises ``TrainingDiverged`` at the first batch (or validation) whose loss is NaN or infinite.

    Keras' ``TerminateOnNaN`` only stops quietly, and the run would then save,
    score and export a model of NaN weights (their argmax still "classifies").
    """

    def __init__(self):
        super().__init__()
        self._epoch = 0

    def on_epoch_begin(self, epoch, logs=None):
        self._epoch = epoch

    def _check(self, logs, key: str, where: str) -> None:
        value = (logs or {}).get(key)
        if value is not None and not math.isfinite(float(value)):
            rate = float(self.model.optimizer.learning_rate) if self.model.optimizer is not None else float("nan")
            raise TrainingDiverged(
                f"training diverged: the {key.replace('_', ' ')} is {float(value)} at epoch {self._epoch + 1}{where} "
                f"(learning rate {rate:g}); try a lower --learning-rate"
            )

    def on_train_batch_end(self, batch, logs=None):
        self._check(logs, "loss", f", batch {batch + 1}")

    def on_epoch_end(self, epoch, logs=None):
        self._check(logs, "val_loss", "")


class BestModelCheckpoint(keras.callbacks.Callback):
    """Saves the whole model whenever ``monitor`` beats the best so far (``mode``: "max" or "min" is better).

    Unlike ``keras.callbacks.ModelCheckpoint``, the file is written under a
    temporary name and renamed, so a run killed while saving keeps its previous
    best model intact. ``best`` is the value to beat (from an earlier session of
    a resumed run).
    """

    def __init__(self, path, monitor: str = "val_accuracy", best: float | None = None, mode: str = "max"):
        super().__init__()
        if mode not in ("max", "min"):
            raise ValueError(f"mode must be 'max' or 'min', got {mode!r}")
        self.path = path
        self.monitor = monitor
        self.best = best
        self.mode = mode

    def on_epoch_end(self, epoch, logs=None):
        value = (logs or {}).get(self.monitor)
        if value is None:
            raise ValueError(f"cannot choose the best model: {self.monitor!r} is not among the epoch's logs {sorted(logs or {})}")
        if self.best is None or (value > self.best if self.mode == "max" else value < self.best):
            self.best = float(value)
            with atomic_output(self.path, suffix=".keras") as temporary:
                self.model.save(temporary)


class _PeriodicImage(keras.callbacks.Callback):
    """Writes a PNG as a TensorBoard image summary every ``every`` epochs and at the last.

    Subclasses draw the picture in ``draw(epoch) -> bytes``; it goes to
    ``log_dir`` under ``tag`` at the epoch's step.
    """

    tag = "image"

    def __init__(self, log_dir: str, every: int = 5):
        super().__init__()
        self.log_dir = log_dir
        self.every = every
        self._writer = None

    def draw(self, epoch: int) -> bytes:
        raise NotImplementedError

    def on_epoch_end(self, epoch, logs=None):
        last = epoch + 1 == self.params.get("epochs")
        if (epoch + 1) % self.every and not last:
            return
        png = self.draw(epoch)
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)
        with self._writer.as_default():
            tf.summary.image(self.tag, tf.image.decode_png(png)[None], step=epoch)
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None


class ConfusionMatrixImage(_PeriodicImage):
    """The validation confusion matrix; ``dataset`` yields ``(joints, labels)`` batches in a fixed order."""

    tag = "confusion_matrix"

    def __init__(self, dataset: tf.data.Dataset, label_names, log_dir: str, every: int = 5):
        super().__init__(log_dir, every)
        self.dataset = dataset
        self.label_names = tuple(label_names)

    def draw(self, epoch):
        true_labels, predicted = [], []
        for joints, labels in self.dataset:
            predicted.append(np.argmax(self.model(joints, training=False), axis=-1))
            true_labels.append(labels.numpy())
        confusion = confusion_matrix(np.concatenate(true_labels), np.concatenate(predicted), len(self.label_names))
        return confusion_matrix_png(confusion, self.label_names, title=f"validation, epoch {epoch + 1}")


class GeneratedGaitImages(_PeriodicImage):
    """One gait of each class sampled from the generator's prior (a fixed seed), drawn side by side."""

    tag = "generated_gaits"

    def __init__(self, label_names, log_dir: str, every: int = 5, seed: int = 0):
        super().__init__(log_dir, every)
        self.label_names = tuple(label_names)
        self.seed = seed

    def draw(self, epoch):
        gaits = self.model.generate(np.arange(len(self.label_names), dtype=np.int32), seed=self.seed)
        return gait_strip_png(list(gaits), titles=[f"{name}, epoch {epoch + 1}" for name in self.label_names])


def hparam_values(values: dict) -> dict:
    """A configuration as TensorBoard hparams: booleans, numbers and strings as they are, anything else as text."""
    return {key: value if isinstance(value, (bool, int, float, str)) else str(value) for key, value in values.items()}


class HParamsSummary(keras.callbacks.Callback):
    """The run's resolved configuration as TensorBoard hparams (the HParams dashboard), written as training begins.

    It goes to ``log_dir`` (a run's ``logs/``), above the ``train`` and ``validation`` scalars the
    dashboard shows beside it; ``trial_id`` names the run there.
    """

    def __init__(self, log_dir: str, values: dict, trial_id: str | None = None):
        super().__init__()
        self.log_dir = log_dir
        self.values = hparam_values(values)
        self.trial_id = trial_id

    def on_train_begin(self, logs=None):
        from tensorboard.plugins.hparams import api as hp

        writer = tf.summary.create_file_writer(self.log_dir)
        with writer.as_default():
            hp.hparams(self.values, trial_id=self.trial_id)
        writer.close()


class ModelGraphSummary(keras.callbacks.Callback):
    """The model's inference graph in TensorBoard's Graphs dashboard, written as training begins.

    Keras 3's ``TensorBoard(write_graph=True)`` draws only plain ``Functional`` and ``Sequential``
    models and ``tf.function`` train steps; this traces ``model(inputs, training=False)`` on the
    model's symbolic inputs instead and writes that graph to ``log_dir`` (a run's ``logs/train``).
    A model without symbolic inputs, or one that cannot be traced so, is left out.
    """

    def __init__(self, log_dir: str):
        super().__init__()
        self.log_dir = log_dir

    def on_train_begin(self, logs=None):
        try:
            inputs = self.model.inputs
            specs = [tf.TensorSpec(tensor.shape, tensor.dtype, name=getattr(tensor, "name", None)) for tensor in inputs]
            model = self.model
            traced = tf.function(lambda *arguments: model(arguments[0] if len(arguments) == 1 else list(arguments), training=False))
            graph = traced.get_concrete_function(*specs).graph
        except (AttributeError, TypeError, ValueError, NotImplementedError):
            return
        writer = tf.summary.create_file_writer(self.log_dir)
        with writer.as_default():
            tf.summary.graph(graph)
        writer.close()
