"""End to end: the wall time of the default ``python -m step_tf.fit`` (STEP, kernel 9, 30 epochs, embedded gaits).

    python bench/fit_time.py [--repeats 1] [--out bench/results/fit_time.json] [-- extra fit options]

Runs the command in a fresh process into a temporary run directory and reports
the process's wall time and the ``training_seconds`` of its ``metrics.json``.
A fit takes minutes, so one run is the default; ``--repeats`` runs it again.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

from common import RESULTS, machine, summary, write_results
from step_tf.runs import read_metrics


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=pathlib.Path, default=RESULTS / "fit_time.json")
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("fit_arguments", nargs="*", help="options passed to step_tf.fit (after --)")
    args = parser.parse_args(argv)
    walls, training = [], []
    for _ in range(args.repeats):
        with tempfile.TemporaryDirectory() as directory:
            run_dir = pathlib.Path(directory) / "run"
            command = [sys.executable, "-m", "step_tf.fit", "--run-dir", str(run_dir), "--verbose", "0", *args.fit_arguments]
            started = time.perf_counter()
            subprocess.run(command, check=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
            walls.append(time.perf_counter() - started)
            training.append(read_metrics(run_dir)["training_seconds"])
    wall = summary(walls)
    print(f"python -m step_tf.fit {' '.join(args.fit_arguments)}: wall {wall['median']:.1f} s median "
          f"(min {wall['min']:.1f}, max {wall['max']:.1f}, {wall['repeats']} run(s)); training (model.fit) {summary(training)['median']:.1f} s")
    write_results(args.out, {"machine": machine(), "command": " ".join(sys.argv), "fit_arguments": args.fit_arguments,
                             "wall_seconds": wall, "training_seconds": summary(training)})
    return 0


if __name__ == "__main__":
    sys.exit(main())
