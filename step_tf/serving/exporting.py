"""What one exported version holds, built from a training run directory.

``export_run(run_dir, model_base_path)`` publishes ``model_base_path/VERSION/``
(see ``step_tf.serving.versions``) with:

* the SavedModel (``saved_model.pb``, ``variables/``, ...) with the signatures
  of ``step_tf.serving.signatures``, made from the run's ``best.keras`` (the
  model of the best validation epoch, the one ``metrics.json`` scores);
* ``model.keras``: that Keras model, for fine-tuning or inspection;
* ``model_float32.tflite``, ``model_float16.tflite``, ``model_int8.tflite``
  (``step_tf.serving.tflite``), unless ``tflite=False``;
* ``metadata.json``: label names, data spec, metrics, the training
  configuration, signatures, file sizes and package versions (the version
  number is the folder's name, fixed only at publication).

TensorFlow Serving reads only the SavedModel files and ignores the others.
"""

from __future__ import annotations

import datetime
import importlib.metadata
import json
import os
import pathlib
import shutil

import keras
import numpy as np

from step_tf import runs
from step_tf.config import TrainConfig
from step_tf.data.gaits import EMOTIONS, NUM_FRAMES
from step_tf.features import MIN_FRAMES
from step_tf.runs import load_keras_model
from step_tf.serving import tflite
from step_tf.serving.signatures import ANY_FRAMES_SIGNATURE, DEFAULT_SIGNATURE, INPUT_NAME, OUTPUT_NAMES, export_saved_model
from step_tf.serving.versions import publish

METADATA_FILE = "metadata.json"
KERAS_FILE = "model.keras"
PACKAGES = ("step_tf", "tensorflow", "keras", "numpy", "ai-edge-litert")


def _package_versions() -> dict[str, str | None]:
    versions = {}
    for package in PACKAGES:
        try:
            versions[package] = importlib.metadata.version(package)
        except importlib.metadata.PackageNotFoundError:
            versions[package] = None
    return versions


def _read_json(path: pathlib.Path, what: str):
    if not path.is_file():
        raise FileNotFoundError(f"{path}: {what} not found (is this a finished run directory?)")
    try:
        return json.loads(path.read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{path}: cannot read the {what} ({error})") from None


def _label_names(config: TrainConfig, metrics: dict, metrics_path: pathlib.Path) -> tuple[str, ...]:
    # step_tf.data.sources.load_gaits names classes with the configured names, else the emotions.
    names = tuple(config.label_names) if config.label_names else EMOTIONS
    validation = metrics.get("validation") or {}
    reported = tuple(validation.get("per_class", {}))
    if reported and reported != names:
        raise ValueError(f"{metrics_path}: the metrics name classes {reported}, the configuration {names}")
    return names


def _check_finite_weights(model: keras.Model, path: pathlib.Path) -> None:
    """Refuses a model with NaN or infinite weights (a diverged run): served, it would answer NaN."""
    for weight in model.weights:
        if not np.isfinite(keras.ops.convert_to_numpy(weight)).all():
            raise ValueError(f"{path}: weight {weight.path!r} holds NaN or infinite values (did the run diverge?); refusing to export it")


def _size(path: pathlib.Path) -> int:
    return sum(entry.stat().st_size for entry in path.rglob("*") if entry.is_file())


def export_run(run_dir: str | os.PathLike, model_base_path: str | os.PathLike, tflite_models: bool = True) -> dict:
    """Publishes the run's best model as the next version under ``model_base_path``; returns its metadata."""
    run_dir = pathlib.Path(run_dir)
    if not run_dir.is_dir():
        raise FileNotFoundError(f"{run_dir}: run directory not found")
    config_path = runs.config_path(run_dir)
    if not config_path.is_file():
        raise FileNotFoundError(f"{config_path}: run configuration not found (is this a run directory?)")
    config = TrainConfig.load(config_path)
    metrics_path = runs.metrics_path(run_dir)
    metrics = _read_json(metrics_path, "run metrics")
    label_names = _label_names(config, metrics, metrics_path)
    best_path = runs.best_model_path(run_dir)
    if not best_path.is_file():
        raise FileNotFoundError(f"{best_path}: the run's best model not found")
    model = load_keras_model(best_path)
    _check_finite_weights(model, best_path)
    metadata = {
        "model_base_path": str(pathlib.Path(model_base_path)),
        "created": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "run_dir": str(run_dir.resolve()),
        "model": config.model,
        "label_names": list(label_names),
        "data": config.data,
        "signatures": {
            DEFAULT_SIGNATURE: {INPUT_NAME: f"float32 [batch, {NUM_FRAMES}, {model.input_shape[2]}, 3]"},
            ANY_FRAMES_SIGNATURE: {INPUT_NAME: f"float32 [batch, frames >= {MIN_FRAMES}, {model.input_shape[2]}, 3]"},
            "outputs": list(OUTPUT_NAMES),
        },
        "metrics": metrics,
        "config": json.loads(config.to_json()),
        "packages": _package_versions(),
    }

    def build(folder: pathlib.Path) -> None:
        export_saved_model(model, label_names, folder)
        shutil.copyfile(best_path, folder / KERAS_FILE)
        sizes = {"saved_model": _size(folder) - (folder / KERAS_FILE).stat().st_size, "keras": (folder / KERAS_FILE).stat().st_size}
        if tflite_models:
            for quantization in tflite.QUANTIZATIONS:
                path = folder / tflite.tflite_name(quantization)
                path.write_bytes(tflite.convert(folder, quantization))
                sizes[f"tflite_{quantization}"] = path.stat().st_size
        metadata["sizes_bytes"] = sizes
        # A plain write: the folder is published atomically as a whole.
        (folder / METADATA_FILE).write_text(json.dumps(metadata, indent=2) + "\n")

    metadata["version"] = publish(model_base_path, build)
    return metadata
