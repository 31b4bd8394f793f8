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
import json
import os
import pathlib
from typing import Callable

import numpy as np

from step_tf.data.gaits import EMOTIONS


@dataclasses.dataclass(frozen=True)
class Classifier:
    """``predict(joints (N, T, 16, 3)) -> probabilities (N, K)``; ``label_names[k]`` names class ``k``."""

    predict: Callable[[np.ndarray], np.ndarray]
    label_names: tuple[str, ...]
    source: str


def _keras_classifier(model_file: pathlib.Path, config_file: pathlib.Path) -> Classifier:
    import keras

    import step_tf.models.baselines  # noqa: F401  (registers the custom layers for loading)

    try:
        model = keras.saving.load_model(model_file)
    except (OSError, ValueError) as error:
        raise ValueError(f"{model_file}: not a loadable Keras model ({error})") from None
    label_names = EMOTIONS
    if config_file.is_file():
        try:
            label_names = tuple(json.loads(config_file.read_text()).get("label_names") or EMOTIONS)
        except json.JSONDecodeError as error:
            raise ValueError(f"{config_file}: not valid JSON ({error})") from None
    num_classes = model.output_shape[-1]
    if len(label_names) != num_classes:
        raise ValueError(f"{model_file}: the model has {num_classes} classes but {len(label_names)} label names {label_names}")

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
    path = pathlib.Path(path)
    if path.is_file():
        if path.suffix != ".keras":
            raise ValueError(f"{path}: not a model: expected a .keras file, a training run directory or a saved_models/NAME[/VERSION] folder")
        return _keras_classifier(path, path.parent / "config.json")
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: model not found (expected a run directory, a .keras file or saved_models/NAME[/VERSION])")
    if (path / "best.keras").is_file():
        return _keras_classifier(path / "best.keras", path / "config.json")
    return _saved_model_classifier(path)
