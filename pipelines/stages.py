"""The stages of the STEP+Aug pipeline, each a function over artifact directories (see ``pipelines.artifacts``).

With TFX's roles and on-disk artifacts:

* ``example_gen``: a data spec (``step_tf.data.sources.load_gaits``) -> sharded
  TFRecord files, ``schema.json`` and ``statistics.json`` (``pipelines.example_gen``,
  on Apache Beam);
* ``trainer``: a ``TrainConfig`` -> a run directory (``step_tf.training``): STEP-Gen,
  or STEP+Aug, STEP with generated gaits in its training split;
* ``generation``: a STEP-Gen run -> generated gaits as an E-Gait pair
  (``features.h5``, ``labels.h5``);
* ``evaluator``: the candidate run's metrics on its test split, and the model
  being served scored on the same gaits; a *blessing* (``blessing.json``, and an
  empty ``BLESSED`` file as TFX writes) only when nothing is served yet or the
  candidate's test accuracy is at least the served model's plus ``margin``;
* ``pusher``: a blessed candidate -> the next version ``SERVING/NAME/VERSION/``
  (``step_tf.serving.exporting.export_run``); ``pushed.json`` says what happened.

The Evaluator compares with the model served when it runs; it runs again when its
candidate, the examples or the margin change.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import pathlib

import keras

from pipelines.artifacts import StageResult, run_stage
from pipelines.example_gen import SCHEMA_FILE, schema, shard_pattern, write_examples
from step_tf.config import GENERATOR_NAMES, TrainConfig
from step_tf.data.egait import write_egait
from step_tf.data.gaits import GaitSet
from step_tf.data.sources import load_gaits
from step_tf.evaluation.metrics import classification_report
from step_tf.evaluation.report import evaluate_run, predict_labels, run_gaits
from step_tf.files import write_json
from step_tf.runs import load_generator, load_run
from step_tf.serving.exporting import KERAS_FILE, export_run
from step_tf.serving.versions import list_versions
from step_tf.training import generator as generator_training
from step_tf.training import loop as classifier_training
from step_tf.training.generated import generate_gait_set

BLESSING_FILE = "blessing.json"
BLESSED_MARKER = "BLESSED"
PUSHED_FILE = "pushed.json"
GENERATED_FEATURES = "features.h5"
GENERATED_LABELS = "labels.h5"  # where step_tf.data.egait.labels_path_for looks beside GENERATED_FEATURES


def gait_set_digest(gait_set: GaitSet) -> str:
    """SHA-256 of a gait set's joints, labels, label names, groups and keys: what ExampleGen's output depends on."""
    digest = hashlib.sha256()
    digest.update(gait_set.joints.tobytes())
    digest.update(gait_set.labels.astype("<i4").tobytes())
    digest.update(json.dumps([list(gait_set.label_names), gait_set.groups.tolist(), gait_set.keys.tolist()]).encode())
    return digest.hexdigest()


def example_gen(output: pathlib.Path, data: str, label_names, num_shards: int, beam_arguments: list[str]) -> StageResult:
    """Converts the gaits ``data`` names to TFRecord shards with Beam; skipped when the gaits and shard count are unchanged."""
    gaits = load_gaits(data, label_names)
    parameters = {"data": data, "label_names": list(gaits.label_names), "num_shards": num_shards,
                  "gaits_sha256": gait_set_digest(gaits)}

    def build(folder: pathlib.Path) -> dict:
        write_examples(gaits, str(folder), num_shards, beam_arguments)
        write_json(folder / SCHEMA_FILE, schema(gaits))
        return {"gaits": len(gaits), "shards": num_shards}

    return run_stage("ExampleGen", output, parameters, {}, build)


def examples_spec(example_gen_output: pathlib.Path) -> str:
    """The ``tfrecord:`` data spec of ExampleGen's shards (an absolute path: training runs record it)."""
    return f"tfrecord:{shard_pattern(str(pathlib.Path(example_gen_output).resolve()))}"


def trainer(stage: str, output: pathlib.Path, config: TrainConfig, inputs: dict[str, pathlib.Path], verbose: int | None) -> StageResult:
    """Trains ``config`` with the classifier or generator loop into ``output``, a run directory."""
    config.validate()
    train = generator_training.train_generator if config.model in GENERATOR_NAMES else classifier_training.train

    def build(folder: pathlib.Path) -> dict:
        metrics = train(config, folder, verbose=verbose)
        return {"test": metrics["test"] and {key: value for key, value in metrics["test"].items() if not isinstance(value, (dict, list))}}

    return run_stage(stage, output, dataclasses.asdict(config), inputs, build)


def generation(output: pathlib.Path, generator_run: pathlib.Path, per_class: int, seed: int, sampler: str = "prior") -> StageResult:
    """``per_class`` gaits of each class from the STEP-Gen run's ``sampler``, as ``features.h5`` and ``labels.h5``."""

    def build(folder: pathlib.Path) -> dict:
        generator, label_names = load_generator(generator_run)
        gait_set = generate_gait_set(generator, label_names, per_class, seed=seed, sampler=sampler)
        write_egait(gait_set, folder / GENERATED_FEATURES, folder / GENERATED_LABELS)
        return {"gaits": len(gait_set), "per_class": per_class, "sampler": sampler}

    return run_stage("Generation", output, {"per_class": per_class, "seed": seed, "sampler": sampler}, {"generator": generator_run}, build)


def served_accuracy(model_base_path: pathlib.Path, candidate_run: pathlib.Path) -> tuple[int | None, float | None]:
    """The newest version served under ``model_base_path`` and its accuracy on the candidate's validation gaits (None, None if none)."""
    versions = list_versions(model_base_path)
    if not versions:
        return None, None
    config, _ = load_run(candidate_run)
    gaits = run_gaits(candidate_run, config, split="validation")
    served = keras.saving.load_model(model_base_path / str(versions[-1]) / KERAS_FILE)
    report = classification_report(gaits.labels, predict_labels(served, gaits, config.batch_size), gaits.label_names)
    return versions[-1], report["accuracy"]


def evaluator(output: pathlib.Path, candidate_run: pathlib.Path, examples: pathlib.Path, model_base_path: pathlib.Path, margin: float) -> StageResult:
    """Blesses the candidate when it beats the served model by ``margin`` in accuracy on the validation split.

    The decision is a choice, so it is made on validation gaits; the test split is
    scored once for the report (``evaluation-test.json``) and decides nothing.
    """

    def build(folder: pathlib.Path) -> dict:
        validation = evaluate_run(candidate_run, split="validation", out_dir=folder)
        test = evaluate_run(candidate_run, split="test", out_dir=folder)
        version, baseline = served_accuracy(model_base_path, candidate_run)
        # Accuracies are fractions of one split; rounding keeps 0.51 - 0.50 from missing a margin of 0.01.
        blessed = baseline is None or round(validation["accuracy"] - baseline, 9) >= margin
        blessing = {
            "blessed": blessed,
            "metric": "validation accuracy",
            "candidate": validation["accuracy"],
            "baseline": baseline,
            "baseline_version": version,
            "margin": margin,
            "validation_gaits": validation["num_gaits"],
            "test_accuracy": test["accuracy"],
            "test_gaits": test["num_gaits"],
            "reason": "no model is served yet" if baseline is None else
                      f"candidate {validation['accuracy']:.4f} {'>=' if blessed else '<'} served version {version} "
                      f"{baseline:.4f} + margin {margin} (validation accuracy)",
        }
        write_json(folder / BLESSING_FILE, blessing)
        if blessed:
            (folder / BLESSED_MARKER).touch()
        return blessing

    parameters = {"margin": margin, "metric": "validation accuracy", "model_base_path": str(pathlib.Path(model_base_path).resolve())}
    return run_stage("Evaluator", output, parameters, {"model": candidate_run, "examples": examples}, build)


def pusher(output: pathlib.Path, candidate_run: pathlib.Path, evaluation: pathlib.Path, model_base_path: pathlib.Path, tflite: bool) -> StageResult:
    """Exports a blessed candidate as the next version under ``model_base_path``; an unblessed one is not pushed."""

    def build(folder: pathlib.Path) -> dict:
        blessing = json.loads((evaluation / BLESSING_FILE).read_text())
        if not blessing["blessed"]:
            pushed = {"pushed": False, "reason": f"not blessed: {blessing['reason']}"}
        else:
            metadata = export_run(candidate_run, model_base_path, tflite_models=tflite)
            pushed = {"pushed": True, "version": metadata["version"],
                      "path": str(pathlib.Path(model_base_path) / str(metadata["version"]))}
        write_json(folder / PUSHED_FILE, pushed)
        return pushed

    parameters = {"model_base_path": str(pathlib.Path(model_base_path).resolve()), "tflite": tflite}
    return run_stage("Pusher", output, parameters, {"model": candidate_run, "blessing": evaluation}, build)
