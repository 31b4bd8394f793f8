"""One loader for every kind of trained classifier the video path accepts.

``load_classifier(PATH)``:

* a training run directory (``best.keras`` and ``config.json`` inside): the
  best model, label names from the run's configuration;
* a ``.keras`` file: that model, label names from a ``config.json`` beside it,
  else ``step_tf.data.gaits.EMOTIONS``;
* an exported ``saved_models/NAME`` or ``saved_models/NAME/VERSION``: the
  SavedModel's ``serving_default`` signature (75-frame gaits), through
  ``step_tf.serving.batch.load_servable`` (the newest version of a base path).

Every kind takes raw joints ``(N, 75, 16, 3)`` (metres, y up; centring is in
the model) and gives class probabilities ``(N, K)``.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
from typing import Callable

import numpy as np

from step_tf.data.gaits import EMOTIONS
from step_tf.runs import classifier_model_file


@dataclasses.dataclass(frozen=True)
class Classifier:
    """``predict(joints (N, T, 16, 3)) -> probabilities (N, K)``; ``label_names[k]`` names class ``k``."""

    predict: Callable[[np.ndarray], np.ndarray]
    label_names: tuple[str, ...]
    source: str


def _keras_classifier(model_file: pathlib.Path) -> Classifier:
    from step_tf.runs import load_classifier_model

    model, label_names = load_classifier_model(model_file, EMOTIONS)

    def predict(joints: np.ndarray) -> np.ndarray:
        logits = model.predict_on_batch(np.asarray(joints, dtype=np.float32))
        logits = np.asarray(logits, dtype=np.float64)
        exponentials = np.exp(logits - logits.max(axis=-1, keepdims=True))
        return (exponentials / exponentials.sum(axis=-1, keepdims=True)).astype(np.float32)

    return Classifier(predict, label_names, str(model_file))


def _saved_model_classifier(path: pathlib.Path) -> Classifier:
    from step_tf.serving.batch import label_names_of, load_servable
    from step_tf.serving.signatures import DEFAULT_SIGNATURE, INPUT_NAME

    servable = load_servable(path)
    label_names = label_names_of(servable)

    def predict(joints: np.ndarray) -> np.ndarray:
        outputs = servable.predict(DEFAULT_SIGNATURE, {INPUT_NAME: np.asarray(joints, dtype=np.float32)})
        return np.asarray(outputs["probabilities"], dtype=np.float32)

    return Classifier(predict, label_names, str(servable.path))


def load_classifier(path: str | os.PathLike) -> Classifier:
    """The classifier at ``path`` (see the module docstring)."""
    model_file = classifier_model_file(path)
    return _keras_classifier(model_file) if model_file is not None else _saved_model_classifier(pathlib.Path(path))
