"""The repeated protocol and the model comparison of the paper's Table 1.

One score on one split says little on a few hundred gaits, so a configuration
is trained once per seed: each seed draws its own grouped, stratified
train/validation/test split (``step_tf.data.pipeline``) and its own
initialisation, picks its best epoch on validation, and is scored once on its
test split. The protocol reports the mean and sample standard deviation of
test accuracy and balanced accuracy over the seeds.

``compare_models`` runs the protocol for several models with the *same* data,
seeds and training settings, so seed ``s`` gives every model the same split
(the split depends on the data, the fractions and the seed only). Each model
starts from its own recipe where one exists (``stgcn``: the original ST-GCN
architecture) and the defaults otherwise.

Layout of ``out_dir``: ``<model>/seed-<s>/`` run directories, ``<model>/protocol.json``,
and ``comparison.json`` and ``comparison.md`` (a Table 1 style table). A run
directory with a ``metrics.json`` is reused, so an interrupted comparison
continues where it stopped (an interrupted run resumes from its last epoch).
"""

from __future__ import annotations

import dataclasses
import json
import pathlib

import numpy as np

from step_tf.config import RECIPES, TrainConfig, resolve
from step_tf.evaluation.metrics import summarize
from step_tf.files import atomic_output, write_json


def repeated_runs(config: TrainConfig, seeds, out_dir: str | pathlib.Path, verbose: int = 0) -> dict:
    """Trains ``config`` once per seed under ``out_dir/seed-<s>`` and summarises the test scores."""
    from step_tf.training.loop import train  # TensorFlow loads here

    seeds = [int(seed) for seed in seeds]
    if not seeds or len(set(seeds)) != len(seeds):
        raise ValueError(f"seeds must be a non-empty list of distinct integers, got {seeds}")
    if config.split_fractions[2] <= 0:
        raise ValueError(f"the repeated protocol scores a test split; split fractions {config.split_fractions} have none")
    out_dir = pathlib.Path(out_dir)
    runs = []
    for seed in seeds:
        seeded = dataclasses.replace(config, seed=seed)
        run_dir = out_dir / f"seed-{seed}"
        metrics_path = run_dir / "metrics.json"
        if metrics_path.exists():
            if TrainConfig.load(run_dir / "config.json") != seeded:
                raise ValueError(f"{run_dir}: a finished run of another configuration is in the way; use a new output folder")
            metrics = json.loads(metrics_path.read_text())
        else:
            metrics = train(seeded, run_dir, resume=(run_dir / "backup").exists(), verbose=verbose)
        runs.append(
            {
                "seed": seed,
                "run_dir": str(run_dir),
                "accuracy": metrics["test"]["accuracy"],
                "balanced_accuracy": metrics["test"]["balanced_accuracy"],
                "validation_accuracy": metrics["validation"]["accuracy"],
                "test_gaits": metrics["test"]["num_gaits"],
                "training_seconds": metrics["training_seconds"],
            }
        )
    summary = {
        "model": config.model,
        "config": {key: value for key, value in dataclasses.asdict(config).items() if key != "seed"},
        "seeds": seeds,
        "parameters": trainable_parameters(out_dir / f"seed-{seeds[0]}" / "best.keras"),
        **{name: summarize([run[name] for run in runs]) for name in ("accuracy", "balanced_accuracy", "training_seconds")},
        "runs": runs,
    }
    write_json(out_dir / "protocol.json", summary)
    return summary


def trainable_parameters(model_path: pathlib.Path) -> int:
    import keras

    model = keras.saving.load_model(model_path)
    return int(sum(np.prod(weight.shape) for weight in model.trainable_weights))


def compare_models(models, data: str, seeds, out_dir: str | pathlib.Path, verbose: int = 0, **overrides) -> dict:
    """The repeated protocol for every model on identical splits and seeds; writes the table; returns its rows."""
    models = list(models)
    if not models or len(set(models)) != len(models):
        raise ValueError(f"models must be a non-empty list of distinct names, got {models}")
    out_dir = pathlib.Path(out_dir)
    # Validate every configuration before the first (long) training starts.
    configs = {
        name: resolve(name if name in RECIPES else "default", **{**overrides, "model": name, "data": data}).validate()
        for name in models
    }
    rows = [repeated_runs(configs[name], seeds, out_dir / name, verbose=verbose) for name in models]
    comparison = {"data": data, "seeds": [int(seed) for seed in seeds], "settings": overrides, "models": rows}
    write_json(out_dir / "comparison.json", comparison)
    with atomic_output(out_dir / "comparison.md") as temporary:
        temporary.write_text(markdown_table(comparison))
    return comparison


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
    lines.append("")
    lines.append(
        f"Data `{comparison['data']}`; mean ± sample sd over seeds {seeds} (each seed its own grouped, stratified "
        "split, the same for every model); best epoch chosen on validation, scored once on test."
    )
    return "\n".join(lines) + "\n"
