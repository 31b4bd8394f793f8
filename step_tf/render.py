"""``python -m step_tf.render OUT.gif --gait KEY [--gait KEY@SPEC ...]``: gaits as animated stick figures.

Each ``--gait`` is a panel, side by side: ``KEY`` is read from ``--data``
(default: the embedded set), ``KEY@SPEC`` from another data spec -- a real gait
next to a generated one, say ``--gait 00012 --gait 00001_Angry@egait:gen_f.h5,gen_l.h5``.
``OUT`` ends in ``.gif`` or (with ffmpeg installed) ``.mp4``. See
``step_tf.evaluation.animation``.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from step_tf.cli import ERROR_STATUS, add_verbose_flag, quiet_tensorflow, reported_errors



def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(prog="python -m step_tf.render", description=__doc__.split("\n\n")[0])
    arguments.add_argument("out", type=pathlib.Path, metavar="OUT", help="animation file, .gif or .mp4")
    arguments.add_argument("--gait", required=True, action="append", help="KEY or KEY@SPEC of a gait to draw (repeatable)")
    arguments.add_argument("--data", default="embedded", help="data spec of gaits given by KEY alone (default: embedded)")
    arguments.add_argument("--frame-rate", type=float, default=30.0, help="frames per second")
    add_verbose_flag(arguments)
    return arguments


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    quiet_tensorflow(args.verbose)
    with reported_errors() as outcome:
        from step_tf.data.sources import load_gaits
        from step_tf.evaluation.animation import animate_gaits

        loaded, gaits, titles = {}, [], []
        for item in args.gait:
            key, _, spec = item.partition("@")
            spec = spec or args.data
            if spec not in loaded:
                loaded[spec] = load_gaits(spec)
            gait_set = loaded[spec]
            matches = (gait_set.keys == key).nonzero()[0]
            if not len(matches):
                raise ValueError(f"{gait_set.source}: no gait with key {key!r} (keys look like {str(gait_set.keys[0])!r})")
            gaits.append(gait_set.joints[matches[0]])
            titles.append(f"{key} ({gait_set.label_names[gait_set.labels[matches[0]]]})")
        animate_gaits(gaits, args.out, titles=titles, frame_rate=args.frame_rate)
    if outcome.failed:
        return ERROR_STATUS
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
