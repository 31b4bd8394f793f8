"""``python -m step_tf.evaluate RUN``: score a finished run's validation-chosen model on its test split.

Writes ``RUN/evaluation/evaluation-<split>.json`` (accuracy with a bootstrap
confidence interval, balanced accuracy, per-class precision/recall/F1, the
confusion matrix) and ``confusion_matrix-<split>.png``. ``--data`` reads the
gaits from another spec: naming other data than the run's, it scores all of
its gaits (an external test set) unless ``--split`` picks the run's keys in it
(the same gaits elsewhere). See ``step_tf.evaluation.report``.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from step_tf import runs
from step_tf.cli import ERROR_STATUS, add_verbose_flag, quiet_tensorflow, reported_errors



def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(prog="python -m step_tf.evaluate", description=__doc__.split("\n\n")[0])
    arguments.add_argument("run_dir", type=pathlib.Path, metavar="RUN", help="a run directory of python -m step_tf.fit")
    arguments.add_argument("--data", help="data spec to read the gaits from (default: the run's own)")
    arguments.add_argument("--split", choices=("test", "validation", "train", "all"),
                           help="gaits to score: a split of the run (by key) or all gaits of --data "
                                "(default: test; all when --data names other data than the run's)")
    arguments.add_argument("--out-dir", type=pathlib.Path, help="where the report goes (default: RUN/evaluation)")
    arguments.add_argument("--confidence", type=float, default=0.95, help="confidence level of the bootstrap interval")
    arguments.add_argument("--resamples", type=int, default=9999, help="bootstrap resamples")
    arguments.add_argument("--seed", type=int, default=0, help="seed of the bootstrap")
    arguments.add_argument("--no-plausibility-check", dest="plausibility_check", action="store_false",
                           help="score gaits that are not in metres or are tiled from fewer than 15 frames (off anyway for a run trained so)")
    add_verbose_flag(arguments)
    return arguments


def default_split(run_dir: pathlib.Path, data: str | None) -> tuple[str, str | None]:
    """The split to score when ``--split`` is not given, and a note saying why when it is not the test split.

    The run's test keys select its test gaits from its own data; other data (an external test
    set) seldom holds them, so all of it is scored.
    """
    if data is None:
        return "test", None
    try:
        run_data = runs.read_config(run_dir).data
    except ValueError:
        return "test", None  # evaluate_run names what is wrong with the run
    if data == run_data:
        return "test", None
    return "all", (f"note: --data {data} is not the run's own data ({run_data}): scoring all of its gaits "
                   "(--split test scores the run's test keys in it)")


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    quiet_tensorflow(args.verbose)
    with reported_errors() as outcome:
        if args.split is None:
            args.split, note = default_split(args.run_dir, args.data)
            if note:
                print(note, file=sys.stderr)
        from step_tf.evaluation.report import evaluate_run  # TensorFlow loads here

        report = evaluate_run(args.run_dir, args.data, args.split, args.out_dir, args.confidence, args.resamples, args.seed,
                              args.plausibility_check)
    if outcome.failed:
        return ERROR_STATUS
    interval = report["accuracy_interval"]
    ci = f" ({100 * interval['confidence']:.0f} % CI {interval['low']:.3f}-{interval['high']:.3f})" if interval else ""
    print(
        f"{args.split}: accuracy {report['accuracy']:.3f}{ci}, balanced accuracy {report['balanced_accuracy']:.3f} "
        f"on {report['num_gaits']} gaits; report in {args.out_dir or args.run_dir / 'evaluation'}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
