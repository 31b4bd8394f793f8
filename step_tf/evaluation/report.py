"""Scoring a finished run: metrics, a bootstrap interval and the confusion matrix, as JSON and PNG.

The run's ``best.keras`` (chosen on validation accuracy during training) is
scored on the gaits of one split of its ``split.json`` (``test`` by default),
read again from the run's data spec or from another spec holding the same gait
keys (the data moved), or on every gait of a data set (``split="all"``: an
external test set). Writes into ``out_dir`` (default ``RUN/evaluation``):

* ``evaluation-<split>.json`` -- ``classification_report`` (accuracy, balanced
  accuracy, per-class precision/recall/F1, confusion matrix) plus
  ``accuracy_interval`` (percentile bootstrap over the gaits' groups: recordings
  or subjects, whose gaits are correlated), the data spec and model file;
* ``confusion_matrix-<split>.png`` -- counts and row percentages (paper Figure 6).
"""

from __future__ import annotations

import json
import pathlib

import keras
import numpy as np

from step_tf.config import TrainConfig
from step_tf.data.datasets import SPLIT_NAMES, gait_dataset
from step_tf.data.gaits import GaitSet
from step_tf.data.sources import load_gaits
from step_tf.evaluation.metrics import accuracy_interval, classification_report
from step_tf.evaluation.plots import confusion_matrix_png
from step_tf.files import atomic_output, write_json
from step_tf.runs import BEST_MODEL_FILE, EVALUATION_FOLDER, load_run, split_path as run_split_path

EVALUATION_SPLITS = (*SPLIT_NAMES, "all")


def run_gaits(run_dir: str | pathlib.Path, config: TrainConfig, data: str | None = None, split: str = "test",
              plausibility_check: bool = True) -> GaitSet:
    """The gaits of ``split`` of a run (by the keys in its ``split.json``), or all gaits of ``data``.

    The gaits are checked for plausibility (``step_tf.data.plausibility``) unless ``plausibility_check``
    is false or the run was trained without the check.
    """
    if split not in EVALUATION_SPLITS:
        raise ValueError(f"split must be one of {', '.join(EVALUATION_SPLITS)}, got {split!r}")
    gaits = load_gaits(data or config.data, config.label_names, plausibility_check and config.plausibility_check)
    if split == "all":
        return gaits
    split_path = run_split_path(run_dir)
    try:
        keys = json.loads(split_path.read_text())[split]
    except (OSError, json.JSONDecodeError, KeyError) as error:
        raise ValueError(f"{split_path}: cannot read the {split} keys ({error!r})") from None
    if not keys:
        raise ValueError(f"{split_path}: the run has no {split} split; choose another split or --split all with --data")
    position = {key: index for index, key in enumerate(gaits.keys.tolist())}
    missing = [key for key in keys if key not in position]
    if missing:
        raise ValueError(
            f"{split_path}: {len(missing)} {split} gait(s) are not in the data {gaits.source!r}, e.g. {missing[0]!r}"
        )
    return gaits.subset(np.array([position[key] for key in keys]))


def predict_labels(model: keras.Model, gaits: GaitSet, batch_size: int = 64) -> np.ndarray:
    """The predicted class ``(N,)`` of every gait."""
    return np.concatenate(
        [np.argmax(model(joints, training=False), axis=-1) for joints, _ in gait_dataset(gaits, batch_size)]
    )


def evaluate_run(
    run_dir: str | pathlib.Path,
    data: str | None = None,
    split: str = "test",
    out_dir: str | pathlib.Path | None = None,
    confidence: float = 0.95,
    num_resamples: int = 9999,
    seed: int = 0,
    plausibility_check: bool = True,
) -> dict:
    """Scores a run's ``best.keras`` and writes the JSON report and PNG; returns the report."""
    run_dir = pathlib.Path(run_dir)
    out_dir = pathlib.Path(out_dir) if out_dir is not None else run_dir / EVALUATION_FOLDER
    config, model = load_run(run_dir)
    gaits = run_gaits(run_dir, config, data, split, plausibility_check)
    if gaits.num_classes != model.output_shape[-1]:
        raise ValueError(f"{gaits.source}: {gaits.num_classes} classes, but the model of {run_dir} scores {model.output_shape[-1]}")
    predicted = predict_labels(model, gaits, config.batch_size)
    report = classification_report(gaits.labels, predicted, gaits.label_names)
    # A single gait has no sampling spread to resample.
    report["accuracy_interval"] = (
        accuracy_interval(gaits.labels, predicted, confidence, num_resamples, seed, groups=gaits.groups) if len(gaits) > 1 else None
    )
    report.update(run_dir=str(run_dir), model_file=BEST_MODEL_FILE, data=data or config.data, split=split)
    write_json(out_dir / f"evaluation-{split}.json", report)
    with atomic_output(out_dir / f"confusion_matrix-{split}.png") as temporary:
        temporary.write_bytes(
            confusion_matrix_png(np.array(report["confusion_matrix"]), gaits.label_names, title=f"{config.model}, {split} gaits")
        )
    return report
