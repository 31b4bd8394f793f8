"""``python -m pipelines.step_aug --name NAME --out DIR``: the end-to-end STEP+Aug pipeline, TFX-style.

Stages (``pipelines.stages``), each an artifact directory under ``DIR``, skipped
when its inputs and parameters are unchanged:

    example_gen/        ExampleGen (Apache Beam): examples/gaits-*.tfrecord, schema.json, statistics.json
    stepgen_trainer/    Trainer: STEP-Gen, a run directory
    generation/         generated gaits: features.h5, labels.h5
    step_aug_trainer/   Trainer: STEP+Aug (STEP, generated gaits in its training split), a run directory
    evaluator/          Evaluator: evaluation-test.json, confusion_matrix-test.png, blessing.json (+ BLESSED)
    pusher/             Pusher: pushed.json; a blessed model goes to SERVING/NAME/VERSION/

``DIR/pipeline_run.json`` lists what the last run did. Options the pipeline does
not know go to Apache Beam (e.g. ``--runner DataflowRunner --project P --region R
--temp_location gs://B/tmp``); both trainers share the split (one seed), so no
test gait reaches the generator.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from step_tf.data.sources import DEFAULT_EMBEDDED_GAITS
from step_tf.cli import ERROR_STATUS, add_verbose_level, int_list, name_list, quiet_tensorflow, reported_errors, verbose_parts
from step_tf.config import SAMPLERS
from step_tf.serving.versions import validate_model_name

STAGE_FOLDERS = ("example_gen", "stepgen_trainer", "generation", "step_aug_trainer", "evaluator", "pusher")


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(prog="python -m pipelines.step_aug", description=__doc__.split("\n\n")[0])
    arguments.add_argument("--name", required=True, help="model name: the folder under --serving-base")
    arguments.add_argument("--out", type=pathlib.Path, required=True, help="the pipeline root: one folder per stage")
    arguments.add_argument("--data", default="embedded", help=f"data spec of step_tf.data.sources (default: embedded, {DEFAULT_EMBEDDED_GAITS} synthetic gaits)")
    arguments.add_argument("--label-names", type=name_list, help="names of label ids 0, 1, ... (default: angry,neutral,happy,sad)")
    arguments.add_argument("--serving-base", type=pathlib.Path, default=pathlib.Path("saved_models"), help="where the Pusher publishes (default: saved_models)")
    arguments.add_argument("--shards", type=int, default=4, help="TFRecord shards ExampleGen writes (default 4)")
    arguments.add_argument("--seed", type=int, default=0, help="split, initialisation and generation seed (default 0)")
    training = arguments.add_argument_group("training (defaults: those of python -m step_tf.fit)")
    training.add_argument("--epochs", type=int, help="STEP+Aug epochs")
    training.add_argument("--generator-epochs", type=int, help="STEP-Gen epochs")
    training.add_argument("--batch-size", type=int)
    training.add_argument("--channels", type=int_list, help="STEP's ST-GCN channels, e.g. 32,64,64")
    training.add_argument("--strides", type=int_list, help="STEP's temporal strides, e.g. 1,2,2")
    training.add_argument("--generator-channels", type=int_list, help="STEP-Gen's encoder channels, e.g. 64,32,32")
    training.add_argument("--generator-strides", type=int_list, help="STEP-Gen's encoder strides, e.g. 1,2,2")
    training.add_argument("--latent-dim", type=int)
    training.add_argument("--temporal-kernel-size", type=int)
    training.add_argument("--augment", action=argparse.BooleanOptionalAction, help="augment STEP's training gaits")
    training.add_argument("--strategy", choices=("default", "mirrored"),
                           help="STEP+Aug's tf.distribute strategy: one device, or every GPU here (--batch-size is global)")
    arguments.add_argument("--per-class", type=int, default=100, help="generated gaits per class for STEP+Aug (default 100)")
    arguments.add_argument("--sampler", choices=SAMPLERS, default="prior",
                           help="STEP-Gen's latent density: prior (paper, default) or aggregate (each class's fitted posterior)")
    arguments.add_argument("--margin", type=float, default=0.01,
                           help="blessing: the candidate's test accuracy must be at least the served model's plus this (default 0.01)")
    arguments.add_argument("--no-tflite", dest="tflite", action="store_false", help="the Pusher skips the TFLite conversions")
    add_verbose_level(arguments, "2, for the trainers", default=2)
    return arguments


def run_pipeline(args: argparse.Namespace, beam_arguments: list[str]) -> dict:
    """Runs every stage in order; returns ``{stage folder: StageResult}``."""
    from pipelines import stages
    from step_tf.config import resolve
    from step_tf.files import write_json

    out = args.out.resolve()
    folders = {name: out / name for name in STAGE_FOLDERS}
    model_base_path = args.serving_base.resolve() / args.name
    results = {"example_gen": stages.example_gen(folders["example_gen"], args.data, args.label_names, args.shards, beam_arguments)}

    def given(**options):  # the options given on the command line; TrainConfig's defaults stand for the others
        return {key: value for key, value in options.items() if value is not None}

    common = dict(data=stages.examples_spec(folders["example_gen"]), label_names=args.label_names, seed=args.seed,
                  **given(batch_size=args.batch_size, temporal_kernel_size=args.temporal_kernel_size))
    generator_config = resolve(model="stepgen", **common, **given(
        epochs=args.generator_epochs, generator_channels=args.generator_channels,
        generator_strides=args.generator_strides, latent_dim=args.latent_dim))
    results["stepgen_trainer"] = stages.trainer("Trainer (STEP-Gen)", folders["stepgen_trainer"], generator_config,
                                                {"examples": folders["example_gen"]}, args.verbose)
    results["generation"] = stages.generation(folders["generation"], folders["stepgen_trainer"], args.per_class, args.seed, args.sampler)
    classifier_config = resolve(model="step", generated=str(folders["generation"] / stages.GENERATED_FEATURES), **common, **given(
        epochs=args.epochs, channels=args.channels, strides=args.strides, augment=args.augment, strategy=args.strategy))
    results["step_aug_trainer"] = stages.trainer("Trainer (STEP+Aug)", folders["step_aug_trainer"], classifier_config,
                                                 {"examples": folders["example_gen"], "generated": folders["generation"]}, args.verbose)
    results["evaluator"] = stages.evaluator(folders["evaluator"], folders["step_aug_trainer"], folders["example_gen"], model_base_path, args.margin)
    results["pusher"] = stages.pusher(folders["pusher"], folders["step_aug_trainer"], folders["evaluator"], model_base_path, args.tflite)
    write_json(out / "pipeline_run.json", {
        name: {"path": str(result.path), "skipped": result.skipped, "summary": result.summary} for name, result in results.items()
    })
    return results


def main(argv=None) -> int:
    args, beam_arguments = parser().parse_known_args(argv)
    show_logs, verbose = verbose_parts(args.verbose)
    quiet_tensorflow(show_logs)
    args.verbose = 2 if verbose is None else verbose
    with reported_errors() as outcome:
        validate_model_name(args.name)
        results = run_pipeline(args, beam_arguments)
    if outcome.failed:
        return ERROR_STATUS
    for name, result in results.items():
        print(f"{name:18s} {'SKIPPED' if result.skipped else 'ran':8s} {result.path}")
    pushed = results["pusher"].summary
    print(f"pushed version {pushed['version']} to {pushed['path']}" if pushed.get("pushed") else f"nothing pushed: {pushed.get('reason')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
