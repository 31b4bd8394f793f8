"""The repeated protocol and the model comparison of the paper's Table 1.

One score on one split says little on a few hundred gaits, so a configuration
is trained several times (``protocol_runs``):

* ``seeds`` -- once per seed: each seed draws its own grouped, stratified
  train/validation/test split (``step_tf.data.datasets``) and its own
  initialisation;
* ``kfold`` -- grouped, stratified k-fold per seed: the groups (subjects or
  recordings) are dealt into k folds of similar class balance, each fold is the
  test split once, and validation is drawn from the other folds' groups.

Every run picks its best epoch on validation and is scored once on its test
split. The protocol reports the mean and sample standard deviation of test
accuracy and balanced accuracy over the runs.

``compare_models`` runs the protocol for several models with the *same* data,
seeds and shared training settings, so seed ``s`` (and fold ``i``) gives every
model the same split (the split depends on the data, the fractions, the folds
and the seed only). Each model starts from the defaults, then the shared
settings, then its own recipe where one exists (``step_tf.config.RECIPES``:
``stgcn``, the original ST-GCN architecture; ``affective_svm``, a schedule
that fits it): a shared schedule sized for the deep networks would leave the
linear SVM unconverged.

Layout of ``out_dir``: ``<model>/<run>/`` run directories (``seed-<s>`` or
``seed-<s>-fold-<i>``), ``<model>/protocol.json``, and ``comparison.json`` and
``comparison.md`` (a Table 1 style table). A run directory with a
``metrics.json`` is reused, so an interrupted comparison continues where it
stopped (an interrupted run resumes from its last epoch).
"""

from __future__ import annotations

import dataclasses
import json
import pathlib

import numpy as np

from step_tf.config import RECIPES, TrainConfig
from step_tf.evaluation.metrics import summarize
from step_tf.files import atomic_output, write_json
from step_tf.runs import BACKUP_FOLDER, best_model_path, is_finished, read_config, read_metrics


PROTOCOLS = ("seeds", "kfold")


def protocol_runs(config: TrainConfig, seeds, protocol: str = "seeds", folds: int = 5) -> dict[str, TrainConfig]:
    """The runs of a protocol, by run-directory name: ``seed-<s>``, or ``seed-<s>-fold-<i>`` for k-fold.

    ``seeds``: one split each; ``kfold``: ``folds`` grouped, stratified folds
    per seed, each fold the test split once (``step_tf.data.datasets.grouped_stratified_folds``).
    """
    seeds = [int(seed) for seed in seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be a non-empty list of distinct integers, got {seeds}")
    if protocol == "seeds":
        if config.split_fractions[2] <= 0:
            raise ValueError(f"the repeated protocol scores a test split; split fractions {config.split_fractions} have none")
        return {f"seed-{seed}": dataclasses.replace(config, seed=seed).validate() for seed in seeds}
    if protocol == "kfold":
        if folds < 2:
            raise ValueError(f"k-fold needs at least 2 folds, got {folds}")
        return {
            f"seed-{seed}-fold-{fold}": dataclasses.replace(config, seed=seed, folds=folds, fold=fold).validate()
            for seed in seeds
            for fold in range(folds)
        }
    raise ValueError(f"protocol must be one of {', '.join(PROTOCOLS)}, got {protocol!r}")


def repeated_runs(runs: dict[str, TrainConfig], out_dir: str | pathlib.Path, verbose: int = 0) -> dict:
    """Trains every run of ``protocol_runs`` under ``out_dir/<name>`` and summarises the test scores."""
    from step_tf.training.loop import train  # TensorFlow loads here

    out_dir = pathlib.Path(out_dir)
    results = []
    for name, config in runs.items():
        run_dir = out_dir / name
        if is_finished(run_dir):
            if read_config(run_dir) != config:
                raise ValueError(f"{run_dir}: a finished run of another configuration is in the way; use a new output folder")
            metrics = read_metrics(run_dir)
        else:
            metrics = train(config, run_dir, resume=(run_dir / BACKUP_FOLDER).exists(), verbose=verbose)
        results.append(
            {
                "seed": config.seed,
                "fold": config.fold if config.folds else None,
                "run_dir": str(run_dir),
                "accuracy": metrics["test"]["accuracy"],
                "balanced_accuracy": metrics["test"]["balanced_accuracy"],
                "validation_accuracy": metrics["validation"]["accuracy"],
                "test_gaits": metrics["test"]["num_gaits"],
                "training_seconds": metrics["training_seconds"],
            }
        )
    first = next(iter(runs.values()))
    summary = {
        "model": first.model,
        "config": {key: value for key, value in dataclasses.asdict(first).items() if key not in ("seed", "fold")},
        "seeds": sorted({config.seed for config in runs.values()}),
        "parameters": trainable_parameters(best_model_path(out_dir / next(iter(runs)))),
        **{name: summarize([run[name] for run in results]) for name in ("accuracy", "balanced_accuracy", "training_seconds")},
        "runs": results,
    }
    write_json(out_dir / "protocol.json", summary)
    return summary


def trainable_parameters(model_path: pathlib.Path) -> int:
    from step_tf.runs import load_keras_model

    model = load_keras_model(model_path)
    return int(sum(np.prod(weight.shape) for weight in model.trainable_weights))


def compare_models(
    models, data: str, seeds, out_dir: str | pathlib.Path, protocol: str = "seeds", folds: int = 5, verbose: int = 0, **shared
) -> dict:
    """The protocol for every model on identical splits and seeds; writes the table; returns its rows.

    ``shared``: ``TrainConfig`` settings for every model, except those its own
    recipe sets (``step_tf.config.RECIPES``; e.g. the SVM's schedule).
    """
    models = list(models)
    if not models or len(set(models)) != len(models):
        raise ValueError(f"models must be a non-empty list of distinct names, got {models}")
    out_dir = pathlib.Path(out_dir)
    # Every configuration is checked before the first (long) training starts.
    runs = {name: protocol_runs(model_config(name, data, shared), seeds, protocol, folds) for name in models}
    rows = [repeated_runs(runs[name], out_dir / name, verbose=verbose) for name in models]
    comparison = {
        "data": data, "seeds": [int(seed) for seed in seeds], "protocol": protocol,
        "folds": folds if protocol == "kfold" else None, "settings": shared, "models": rows,
    }
    write_json(out_dir / "comparison.json", comparison)
    with atomic_output(out_dir / "comparison.md") as temporary:
        temporary.write_text(markdown_table(comparison))
    return comparison


def model_config(model: str, data: str, shared: dict) -> TrainConfig:
    """The defaults, then the ``shared`` settings, then the model's own recipe where it has one."""
    return TrainConfig.from_dict({**shared, **RECIPES.get(model, {}), "model": model, "data": data})


def _mean_sd(summary: dict, scale: float = 1.0, digits: int = 1) -> str:
    mean = f"{scale * summary['mean']:.{digits}f}"
    return mean if summary["sd"] is None else f"{mean} ± {scale * summary['sd']:.{digits}f}"


def markdown_table(comparison: dict) -> str:
    """A Table 1 style markdown table: accuracy and balanced accuracy in %, mean ± sd over seeds."""
    lines = [
        "| model | accuracy (%) | balanced accuracy (%) | parameters | training time per run (s) |",
        "| --- | ---: | ---: | ---: | ---: |",
    ]
    for row in comparison["models"]:
        lines.append(
            f"| {row['model']} | {_mean_sd(row['accuracy'], 100)} | {_mean_sd(row['balanced_accuracy'], 100)} "
            f"| {row['parameters']:,} | {_mean_sd(row['training_seconds'], digits=0)} |"
        )
    seeds = ", ".join(str(seed) for seed in comparison["seeds"])
    if comparison.get("protocol", "seeds") == "kfold":
        runs = (f"over the {comparison['folds']} grouped, stratified folds of seed(s) {seeds} (each fold the test split "
                "once, validation drawn from the other folds' groups; the same folds for every model)")
    else:
        runs = f"over seeds {seeds} (each seed its own grouped, stratified split, the same for every model)"
    lines.append("")
    lines.append(f"Data `{comparison['data']}`; mean ± sample sd {runs}; best epoch chosen on validation, scored once on test.")
    return "\n".join(lines) + "\n"
