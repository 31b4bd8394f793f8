"""Callbacks of the training loop: the best-model checkpoint and confusion-matrix images in TensorBoard."""

from __future__ import annotations

import numpy as np
import tensorflow as tf
import keras

from step_tf.evaluation.metrics import confusion_matrix
from step_tf.evaluation.plots import confusion_matrix_png
from step_tf.files import atomic_output


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


class ConfusionMatrixImage(keras.callbacks.Callback):
    """Writes the validation confusion matrix as an image summary every ``every`` epochs and at the last.

    ``dataset`` yields ``(joints, labels)`` batches in a fixed order; the image
    goes to ``log_dir`` under the tag ``confusion_matrix`` at the epoch's step.
    """

    def __init__(self, dataset: tf.data.Dataset, label_names, log_dir: str, every: int = 5):
        super().__init__()
        self.dataset = dataset
        self.label_names = tuple(label_names)
        self.log_dir = log_dir
        self.every = every
        self._writer = None

    def on_epoch_end(self, epoch, logs=None):
        last = epoch + 1 == self.params.get("epochs")
        if (epoch + 1) % self.every and not last:
            return
        true_labels, predicted = [], []
        for joints, labels in self.dataset:
            predicted.append(np.argmax(self.model(joints, training=False), axis=-1))
            true_labels.append(labels.numpy())
        confusion = confusion_matrix(np.concatenate(true_labels), np.concatenate(predicted), len(self.label_names))
        png = confusion_matrix_png(confusion, self.label_names, title=f"validation, epoch {epoch + 1}")
        if self._writer is None:
            self._writer = tf.summary.create_file_writer(self.log_dir)
        with self._writer.as_default():
            tf.summary.image("confusion_matrix", tf.image.decode_png(png)[None], step=epoch)
        self._writer.flush()

    def on_train_end(self, logs=None):
        if self._writer is not None:
            self._writer.close()
            self._writer = None
