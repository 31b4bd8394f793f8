"""``python -m step_tf.fit``: train a gait-emotion classifier and watch it in TensorBoard.

With no arguments it trains STEP on the embedded synthetic data set into a new
folder under ``runs/``. ``--recipe paper`` applies the paper's published
settings; ``--config FILE`` (JSON, or YAML with PyYAML installed) sets
``TrainConfig`` fields over the recipe, a run's own ``config.json`` among them;
any option given explicitly overrides both. ``--resume``
continues an interrupted run from its last finished epoch with its saved
configuration. See ``step_tf.training.loop`` for what a run directory holds.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import json
import pathlib
import sys

from step_tf import runs
from step_tf.cli import ERROR_STATUS, add_verbose_level, quiet_tensorflow, verbose_parts, reported_errors, fractions, int_list, name_list
from step_tf.config import DISTRIBUTION_STRATEGIES, GENERATOR_NAMES, MODEL_NAMES, RECIPES, SAMPLERS, TrainConfig, resolve
from step_tf.graph import STRATEGIES


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(prog="python -m step_tf.fit", description=__doc__.split("\n\n")[0])
    arguments.add_argument("--model", choices=MODEL_NAMES + GENERATOR_NAMES, help="classifier to train (default: step); --recipe stgcn gives the original ST-GCN's architecture")
    arguments.add_argument("--data", help="embedded[:N[:SEED]] (default), egait:FEATURES.h5,LABELS.h5, bvh:DIR[,LABELS.json][,joint_map=MAP.json], bandai:DIR[,STRIDE], keypoints:FILE.npz,layout=NAME[,units=U][,up=A][,stride=S] (3D keypoints of another skeleton), or tfrecord:GLOB (TFRecord shards of tf.train.Example gaits)")
    arguments.add_argument("--label-names", type=name_list, help="names of label ids 0, 1, ... (default: angry,neutral,happy,sad)")
    arguments.add_argument("--plausibility-check", action=argparse.BooleanOptionalAction,
                           help="refuse gaits not in metres or tiled from fewer than 15 real frames (default on)")
    arguments.add_argument("--run-dir", type=pathlib.Path, help="run directory (default: a new folder under runs/)")
    arguments.add_argument("--recipe", choices=sorted(RECIPES), default="default", help="settings to start from; 'paper' is the paper's published recipe")
    arguments.add_argument("--config", type=pathlib.Path, metavar="FILE",
                           help="a JSON (or YAML) file of TrainConfig fields, e.g. a run's config.json, applied over --recipe; "
                                "options given here override it")
    arguments.add_argument("--resume", action="store_true", help="continue the run in --run-dir from its last finished epoch")
    arguments.add_argument("--epochs", type=int)
    arguments.add_argument("--batch-size", type=int)
    arguments.add_argument("--learning-rate", type=float)
    arguments.add_argument("--learning-rate-schedule", choices=("step", "constant"), help="step: /10 at 50, 75, 87.5 %% of the epochs")
    arguments.add_argument("--weight-decay", type=float)
    arguments.add_argument("--weight-decay-mode", choices=("coupled", "decoupled"), help="coupled: L2 in the gradient (as published); decoupled: AdamW")
    arguments.add_argument("--seed", type=int)
    arguments.add_argument("--split-fractions", type=fractions, help="train,validation,test fractions (default 0.7,0.2,0.1)")
    arguments.add_argument("--folds", type=int, help="grouped, stratified k-fold: the number of folds (default 0: one split by --split-fractions)")
    arguments.add_argument("--fold", type=int, help="with --folds: the fold that is the test split (0 .. folds - 1)")
    arguments.add_argument("--channels", type=int_list, help="channels of the ST-GCN blocks, e.g. 32,64,64")
    arguments.add_argument("--strides", type=int_list, help="temporal strides of the blocks, e.g. 1,2,2")
    arguments.add_argument("--temporal-kernel-size", type=int, help="frames spanned by each temporal convolution (public code 75, ST-GCN 9)")
    arguments.add_argument("--partition-strategy", choices=STRATEGIES)
    arguments.add_argument("--dropout-rate", type=float)
    arguments.add_argument("--heading-normalisation", action=argparse.BooleanOptionalAction,
                           help="STEP/Baseline-STEP: turn each gait to face +z inside the model (default on)")
    arguments.add_argument("--canonical-skeleton", action=argparse.BooleanOptionalAction,
                           help="STEP/Baseline-STEP: move each gait onto a reference skeleton inside the model, keeping bone "
                                "directions and speed in leg lengths, so that capture rigs and body sizes look alike (default off)")
    arguments.add_argument("--motion-input", action=argparse.BooleanOptionalAction,
                           help="STEP/Baseline-STEP: joint velocities beside the positions (default on; off in the paper recipe)")
    arguments.add_argument("--augment", action=argparse.BooleanOptionalAction, help="augment training gaits (rotation, scale, left-right mirror)")
    arguments.add_argument("--slowest-speed", type=float,
                           help="with --augment, also slow each training gait by a factor in [SLOWEST, 1] (default 1: never)")
    arguments.add_argument("--smallest-arm-swing", type=float,
                           help="with --augment, also scale each training gait's arm swing by a factor in [SMALLEST, 1] (default 1: never)")
    arguments.add_argument("--strategy", choices=DISTRIBUTION_STRATEGIES,
                           help="default: one device; mirrored: every GPU here; multiworker: the cluster in TF_CONFIG (--batch-size is the global batch)")
    arguments.add_argument("--confusion-matrix-every", type=int, help="epochs between confusion-matrix images")
    generator = arguments.add_argument_group("STEP-Gen (--model stepgen or cvae_baseline)")
    generator.add_argument("--generator-channels", type=int_list, help="channels of the encoder's ST-GCN blocks (default 64,32,32; the decoder mirrors them)")
    generator.add_argument("--generator-strides", type=int_list, help="temporal strides of the encoder's blocks (default 1,2,2)")
    generator.add_argument("--latent-dim", type=int, help="dimension of the latent space (paper 32)")
    generator.add_argument("--lambda-c", type=float, help="weight of the push loss, eq. 6 (cvae_baseline: 0)")
    generator.add_argument("--lambda-d", type=float, help="weight of the pull loss, eq. 7 (cvae_baseline: 0)")
    generator.add_argument("--kl-weight", type=float, help="weight of the KL term")
    generator.add_argument("--frame-aware", action=argparse.BooleanOptionalAction, help="encoder keeps the frame axis, decoder maps the latent to every frame and joint (off in the paper recipe)")
    augmenting = arguments.add_argument_group("STEP+Aug: generated gaits added to the training split only")
    augmenting.add_argument("--generated", help="a generator run directory, or a FEATURES.h5 written by python -m step_tf.generate")
    augmenting.add_argument("--generated-per-class", type=int, help="generated gaits per class (a file: 0 takes all)")
    augmenting.add_argument("--generated-sampler", choices=SAMPLERS,
                            help="a generator run's latents: prior N(0, I) (paper, default) or aggregate (each class's fitted posterior)")
    augmenting.add_argument("--generated-ratio", type=float, help="fraction of training gaits drawn from the generated ones (default: pool them)")
    add_verbose_level(arguments, "progress bar on a terminal, a line per epoch otherwise")
    return arguments


# A run's config.json written before these fields existed trained without them (as TrainConfig.load reads it).
_ADDED_INPUTS = ("heading_normalisation", "motion_input", "canonical_skeleton")


def _field_accepts(annotation: str, value) -> bool:
    """Whether a JSON/YAML value fits a TrainConfig field's annotation (``"tuple[int, ...] | None"``, ...)."""
    kinds = [part.strip() for part in annotation.split("|")]
    for kind in kinds:
        if kind == "None" and value is None:
            return True
        if kind.startswith("tuple") and isinstance(value, (list, tuple)):
            item = "float" if "float" in kind else "int" if "int" in kind else "str"
            return all(_field_accepts(item, element) for element in value)
        if kind == "bool" and isinstance(value, bool):
            return True
        if kind == "int" and isinstance(value, int) and not isinstance(value, bool):
            return True
        if kind == "float" and isinstance(value, (int, float)) and not isinstance(value, bool):
            return True
        if kind == "str" and isinstance(value, str):
            return True
    return False


def read_config_file(path: pathlib.Path) -> dict:
    """The ``TrainConfig`` fields of a JSON or YAML file, each checked against its field; errors name the file.

    A complete run configuration from before the model inputs ``_ADDED_INPUTS`` existed gets them
    off, as ``TrainConfig.load`` does, so that it re-runs the same model.
    """
    try:
        text = pathlib.Path(path).read_text()
    except OSError as error:
        raise ValueError(f"{path}: cannot read the configuration file ({error.strerror or error})") from None
    if pathlib.Path(path).suffix.lower() in (".yaml", ".yml"):
        try:
            import yaml
        except ImportError:
            raise ValueError(f"{path}: reading YAML needs PyYAML (pip install 'step_tf[yaml]'); or give the configuration as JSON") from None
        try:
            values = yaml.safe_load(text)
        except yaml.YAMLError as error:
            raise ValueError(f"{path}: not valid YAML ({error})") from None
    else:
        try:
            values = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path}: not valid JSON ({error}); YAML files end in .yaml or .yml") from None
    if values is None:
        values = {}
    if not isinstance(values, dict):
        raise ValueError(f"{path}: expected a mapping of TrainConfig fields, got {type(values).__name__}")
    fields = {field.name: field for field in dataclasses.fields(TrainConfig)}
    for key, value in values.items():
        if key not in fields:
            raise ValueError(f"{path}: unknown configuration key {key!r} (TrainConfig fields: {', '.join(fields)})")
        if not _field_accepts(str(fields[key].type), value):
            raise ValueError(f"{path}: {key} must be {fields[key].type}, got {value!r}")
    if set(fields) - set(values) <= set(_ADDED_INPUTS) and set(fields) - set(values):
        values = {**{name: False for name in _ADDED_INPUTS}, **values}
    return {key: tuple(value) if isinstance(value, list) else value for key, value in values.items()}


def configure(args: argparse.Namespace) -> TrainConfig:
    """The run's configuration: the defaults, ``--recipe``, ``--config``'s fields, then the options given."""
    overrides = {
        key: value
        for key, value in vars(args).items()
        if value is not None and key not in ("run_dir", "recipe", "resume", "verbose", "config")
    }
    if args.resume:
        if args.run_dir is None:
            raise ValueError("--resume needs --run-dir, the run to continue")
        if overrides or args.recipe != "default" or args.config is not None:
            raise ValueError("--resume continues a run with its saved configuration; give only --run-dir")
        return TrainConfig.load(runs.config_path(args.run_dir))
    from_file = read_config_file(args.config) if args.config is not None else {}
    return resolve(args.recipe, **{**from_file, **overrides})


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    show_logs, verbose = verbose_parts(args.verbose)
    quiet_tensorflow(show_logs)
    with reported_errors() as outcome:
        config = configure(args)
        run_dir = args.run_dir or pathlib.Path("runs") / f"{config.model}-{datetime.datetime.now():%Y%m%d-%H%M%S}"
        # TensorFlow loads here, after the arguments are checked.
        if config.model in GENERATOR_NAMES:
            from step_tf.training.generator import train_generator as train
        else:
            from step_tf.training.loop import train

        print(f"run directory: {run_dir}", flush=True)
        metrics = train(config, run_dir, resume=args.resume, verbose=verbose)
    if outcome.failed:
        return ERROR_STATUS
    test = metrics["test"]
    if not test:
        score = "no test split"
    elif config.model in GENERATOR_NAMES:
        score = "test losses " + ", ".join(f"{name} {value:.4g}" for name, value in test.items())
    else:
        score = f"test accuracy {test['accuracy']:.3f}, balanced accuracy {test['balanced_accuracy']:.3f} on {test['num_gaits']} gaits"
    print(
        f"{score} (model of the best validation epoch); training took {metrics['training_seconds']:.0f} s; "
        f"TensorBoard: tensorboard --logdir {run_dir / 'logs'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
