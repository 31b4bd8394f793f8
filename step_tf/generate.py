"""``python -m step_tf.generate RUN --per-class N --out FILE.h5``: gaits from a trained STEP-Gen.

Samples the prior (or ``--sampler aggregate``: each class's aggregate
posterior, see ``step_tf.models.stepgen``) of the best generator of the finished run ``RUN`` (a
``python -m step_tf.fit --model stepgen`` or ``cvae_baseline`` run directory),
``N`` gaits per class, deterministic for ``--seed``, and writes them as an
E-Gait features/labels pair (keys ``00001_Angry``: a 5-digit counter and the
class name), atomically. The labels file is ``--labels-out``, by default beside
the features file with ``features`` in its name replaced by ``labels`` (or
``_labels`` appended). Gaits are in the generator's canonical view
(``step_tf.data.preprocess.canonical_view``).
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from step_tf.cli import ERROR_STATUS, add_verbose_flag, quiet_tensorflow, reported_errors, output_file
from step_tf.config import SAMPLERS


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(prog="python -m step_tf.generate", description=__doc__.split("\n\n")[0])
    arguments.add_argument("run", type=pathlib.Path, help="a finished generator run directory")
    arguments.add_argument("--per-class", type=int, required=True, help="gaits to generate for each class")
    arguments.add_argument("--out", type=output_file, required=True, help="the features file to write (HDF5)")
    arguments.add_argument("--labels-out", type=output_file, help="the labels file (default: beside --out)")
    arguments.add_argument("--seed", type=int, default=0, help="seed of the latent samples (default 0)")
    arguments.add_argument("--sampler", choices=SAMPLERS, default="prior",
                           help="prior: N(0, I), the paper (default); aggregate: each class's aggregate posterior over the training gaits")
    add_verbose_flag(arguments)
    return arguments


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    quiet_tensorflow(args.verbose)
    with reported_errors() as outcome:
        if args.per_class < 1:
            raise ValueError(f"--per-class must be at least 1, got {args.per_class}")
        # TensorFlow loads here, after the arguments are checked.
        from step_tf.data.egait import write_egait
        from step_tf.data.egait import labels_path_for
        from step_tf.runs import load_generator
        from step_tf.training.generated import generate_gait_set

        labels_out = args.labels_out or labels_path_for(args.out)
        if labels_out.resolve() == args.out.resolve():
            raise ValueError(f"{args.out}: the labels file would overwrite the features file; give --labels-out")
        generator, label_names = load_generator(args.run)
        gait_set = generate_gait_set(generator, label_names, args.per_class, seed=args.seed, sampler=args.sampler)
        write_egait(gait_set, args.out, labels_out)
    if outcome.failed:
        return ERROR_STATUS
    print(f"wrote {len(gait_set)} gaits ({args.per_class} per class of {', '.join(label_names)}) to {args.out} and {labels_out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
