"""``python -m step_tf.compare --data ... --models ... --seeds ...``: the paper's Table 1 on identical splits.

Trains every model once per seed (seed ``s`` gives every model the same
grouped, stratified split), or, with ``--protocol kfold --folds K``, once per
fold of a grouped, stratified K-fold per seed; picks each run's best epoch on
validation, scores it once on test, and writes ``OUT/comparison.md`` (mean ± sd of accuracy and
balanced accuracy, parameters, training time) and ``OUT/comparison.json``.
An interrupted comparison continues when run again with the same ``--out-dir``.
See ``step_tf.training.protocol``.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from step_tf.cli import ERROR_STATUS, add_verbose_level, quiet_tensorflow, verbose_parts, reported_errors, fractions, int_list, name_list
from step_tf.config import MODEL_NAMES
from step_tf.training import protocol  # TensorFlow loads only when training starts


def _models(text: str) -> tuple[str, ...]:
    names = name_list(text)
    unknown = [name for name in names if name not in MODEL_NAMES]
    if unknown:
        raise argparse.ArgumentTypeError(f"unknown model {unknown[0]!r}; choose from {', '.join(MODEL_NAMES)}")
    return names


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(prog="python -m step_tf.compare", description=__doc__.split("\n\n")[0])
    arguments.add_argument("--data", default="embedded", help="data spec (default: embedded)")
    arguments.add_argument("--models", type=_models, default=("affective_svm", "lstm", "stgcn", "baseline_step", "step"),
                           help=f"comma-separated models (default: all of {', '.join(MODEL_NAMES)})")
    arguments.add_argument("--seeds", type=int_list, default=(0, 1, 2), help="comma-separated seeds, one split (or one k-fold) each (default 0,1,2)")
    arguments.add_argument("--protocol", choices=protocol.PROTOCOLS, default="seeds",
                           help="seeds: one train/validation/test split per seed (default); kfold: grouped, stratified k-fold per seed")
    arguments.add_argument("--folds", type=int, default=5, help="folds of --protocol kfold (default 5)")
    arguments.add_argument("--out-dir", type=pathlib.Path, default=pathlib.Path("runs") / "compare", help="output folder (default runs/compare)")
    arguments.add_argument("--label-names", type=name_list, help="names of label ids 0, 1, ...")
    shared = arguments.add_argument_group("settings shared by every model, except those its own recipe sets (step_tf.config.RECIPES)")
    shared.add_argument("--epochs", type=int)
    shared.add_argument("--batch-size", type=int)
    shared.add_argument("--learning-rate", type=float)
    shared.add_argument("--split-fractions", type=fractions,
                        help="train,validation,test fractions (default 0.7,0.2,0.1; kfold splits each fold's training groups train:validation)")
    shared.add_argument("--augment", action=argparse.BooleanOptionalAction, help="augment training gaits")
    add_verbose_level(arguments, "0", default=0)
    return arguments


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    show_logs, verbose = verbose_parts(args.verbose)
    quiet_tensorflow(show_logs)
    settings = ("label_names", "epochs", "batch_size", "learning_rate", "split_fractions", "augment")
    shared = {key: getattr(args, key) for key in settings if getattr(args, key) is not None}
    with reported_errors() as outcome:
        comparison = protocol.compare_models(
            args.models, args.data, args.seeds, args.out_dir, protocol=args.protocol, folds=args.folds, verbose=0 if verbose is None else verbose, **shared
        )
    if outcome.failed:
        return ERROR_STATUS
    print(protocol.markdown_table(comparison), end="")
    print(f"written to {args.out_dir / 'comparison.md'} and comparison.json")
    return 0


if __name__ == "__main__":
    sys.exit(main())
