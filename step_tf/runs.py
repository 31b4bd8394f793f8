"""The run directory: the names of its files, reading and writing them, and loading its models.

A run directory (``python -m step_tf.fit``) holds fixed file names, so tools can find them:

* ``config.json`` (``CONFIG_FILE``) -- the resolved ``TrainConfig``;
* ``split.json`` (``SPLIT_FILE``) -- the gait keys of the train, validation and test splits;
* ``backup/`` (``BACKUP_FOLDER``) -- the last finished epoch, for ``--resume``;
* ``best.keras`` (``BEST_MODEL_FILE``) -- the validation-chosen model;
* ``model.keras`` (``LAST_MODEL_FILE``) -- the model after the last epoch;
* ``history.csv`` (``HISTORY_FILE``), ``logs/`` (``LOGS_FOLDER``, TensorBoard);
* ``metrics.json`` (``METRICS_FILE``) -- the best model's scores; marks the run finished;
* ``evaluation/`` (``EVALUATION_FOLDER``) -- what ``python -m step_tf.evaluate`` writes.

Every JSON file is written atomically (``step_tf.files.write_json``). The
life-cycle of a run being trained (checks, clean-up of a failed run) is
``step_tf.training.run_directory``'s. Models load here: a run's ``best.keras``
(``load_run``, ``load_generator``), any ``.keras`` file (``load_keras_model``),
or either of these with its label names (``load_classifier_model``).
Exported SavedModel versions are loaded by ``step_tf.serving.batch.load_servable``
(serving sits above this module).
"""

from __future__ import annotations

import dataclasses
import json
import os
import pathlib
import zipfile

from step_tf.config import TrainConfig
from step_tf.files import write_json

CONFIG_FILE = "config.json"
SPLIT_FILE = "split.json"
METRICS_FILE = "metrics.json"
HISTORY_FILE = "history.csv"
BEST_MODEL_FILE = "best.keras"
LAST_MODEL_FILE = "model.keras"
BACKUP_FOLDER = "backup"
LOGS_FOLDER = "logs"
EVALUATION_FOLDER = "evaluation"


def config_path(run_dir: str | os.PathLike) -> pathlib.Path:
    return pathlib.Path(run_dir) / CONFIG_FILE


def split_path(run_dir: str | os.PathLike) -> pathlib.Path:
    return pathlib.Path(run_dir) / SPLIT_FILE


def metrics_path(run_dir: str | os.PathLike) -> pathlib.Path:
    return pathlib.Path(run_dir) / METRICS_FILE


def best_model_path(run_dir: str | os.PathLike) -> pathlib.Path:
    return pathlib.Path(run_dir) / BEST_MODEL_FILE


def last_model_path(run_dir: str | os.PathLike) -> pathlib.Path:
    return pathlib.Path(run_dir) / LAST_MODEL_FILE


def is_finished(run_dir: str | os.PathLike) -> bool:
    """Whether the run wrote ``metrics.json`` (written last, when training has finished)."""
    return metrics_path(run_dir).is_file()


def read_config(run_dir: str | os.PathLike) -> TrainConfig:
    """The run's ``config.json`` (``TrainConfig.load``: ``ValueError`` naming the file when it is wrong)."""
    return TrainConfig.load(config_path(run_dir))


def write_config(run_dir: str | os.PathLike, config: TrainConfig) -> None:
    write_json(config_path(run_dir), dataclasses.asdict(config))


def read_split(run_dir: str | os.PathLike, purpose: str = "the run's split") -> dict[str, list[str]]:
    """The gait keys of every split, from ``split.json``; ``ValueError`` naming the file and ``purpose`` otherwise."""
    path = split_path(run_dir)
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: cannot read {purpose} ({error})") from None


def write_split(run_dir: str | os.PathLike, split: dict[str, list[str]]) -> None:
    write_json(split_path(run_dir), split)


def read_metrics(run_dir: str | os.PathLike) -> dict:
    """What ``metrics.json`` holds; ``ValueError`` naming the file otherwise."""
    path = metrics_path(run_dir)
    try:
        return json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: cannot read the run's metrics ({error!r})") from None


def write_metrics(run_dir: str | os.PathLike, metrics: dict) -> None:
    write_json(metrics_path(run_dir), metrics)


def load_keras_model(path: str | os.PathLike):
    """The model in the ``.keras`` file ``path``; ``FileNotFoundError`` or ``ValueError`` naming the file otherwise.

    Keras reports a truncated archive as "File not found", and a configuration
    that names something unexpected (a function where a layer belongs) as a bare
    ``TypeError`` from deep inside deserialization: both become one clear error.
    """
    import keras

    import step_tf.models  # noqa: F401  registers the classes that load_model looks up

    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: Keras model file not found")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path}: not a .keras archive, or one cut short (a .keras file is a zip archive)")
    try:
        return keras.saving.load_model(path)
    except (ValueError, TypeError, KeyError, AttributeError, OSError, zipfile.BadZipFile) as error:
        reason = next(iter(str(error).strip().splitlines()), "")[:300]
        raise ValueError(f"{path}: cannot load this Keras model ({type(error).__name__}: {reason})") from None


def load_run(run_dir: str | os.PathLike):
    """The configuration and validation-chosen model (``best.keras``) of a finished classifier run."""
    run_dir = pathlib.Path(run_dir)
    for name in (CONFIG_FILE, BEST_MODEL_FILE):
        if not (run_dir / name).is_file():
            raise FileNotFoundError(f"{run_dir / name}: not found; is {run_dir} a run directory of python -m step_tf.fit?")
    return read_config(run_dir), load_keras_model(best_model_path(run_dir))


def load_generator(run_dir: str | os.PathLike):
    """The best STEP-Gen of a finished generator run and the label names of its class ids."""
    from step_tf.models.stepgen import STEPGen

    run_dir = pathlib.Path(run_dir)
    if not metrics_path(run_dir).is_file() or not best_model_path(run_dir).is_file():
        raise FileNotFoundError(f"{run_dir}: not a finished generator run (needs {METRICS_FILE} and {BEST_MODEL_FILE})")
    metrics = json.loads(metrics_path(run_dir).read_text())
    if "label_names" not in metrics:
        raise ValueError(f"{metrics_path(run_dir)}: no label_names; is this a generator run (model {metrics.get('model')!r})?")
    model = load_keras_model(best_model_path(run_dir))
    if not isinstance(model, STEPGen):
        raise ValueError(f"{best_model_path(run_dir)}: holds a {type(model).__name__}, not a STEP-Gen generator")
    return model, tuple(metrics["label_names"])


def label_names_beside(model_file: pathlib.Path, default: tuple[str, ...]) -> tuple[str, ...]:
    """The ``label_names`` of the ``config.json`` beside ``model_file``, else ``default``."""
    config_file = model_file.parent / CONFIG_FILE
    if not config_file.is_file():
        return tuple(default)
    try:
        return tuple(json.loads(config_file.read_text()).get("label_names") or default)
    except json.JSONDecodeError as error:
        raise ValueError(f"{config_file}: not valid JSON ({error})") from None


def classifier_model_file(path: str | os.PathLike) -> pathlib.Path | None:
    """The ``.keras`` file a path names: itself, or a run directory's ``best.keras``; ``None`` for anything else (an exported model)."""
    path = pathlib.Path(path)
    if path.is_file():
        if path.suffix != ".keras":
            raise ValueError(f"{path}: not a model: expected a .keras file, a training run directory or a saved_models/NAME[/VERSION] folder")
        return path
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: model not found (expected a run directory, a .keras file or saved_models/NAME[/VERSION])")
    if best_model_path(path).is_file():
        return best_model_path(path)
    return None


def load_classifier_model(model_file: str | os.PathLike, default_label_names: tuple[str, ...]):
    """A classifier ``.keras`` file's model and label names (from the ``config.json`` beside it, else the default)."""
    model_file = pathlib.Path(model_file)
    model = load_keras_model(model_file)
    label_names = label_names_beside(model_file, default_label_names)
    num_classes = model.output_shape[-1]
    if len(label_names) != num_classes:
        raise ValueError(f"{model_file}: the model has {num_classes} classes but {len(label_names)} label names {label_names}")
    return model, label_names
