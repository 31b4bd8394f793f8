"""``python -m step_tf.saliency RUN --gait KEY``: where a run's model looks, by guided backpropagation.

Writes ``saliency-<KEY>.png`` (joints x frames heatmaps of the guided gradient's
magnitude, one per axis, paper Figure 7) and ``saliency-<KEY>.npy`` (the signed
``(T, V, 3)`` map) into ``RUN/saliency``. The class explained is the model's
prediction unless ``--class`` names one. See ``step_tf.evaluation.guided_backpropagation``.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from step_tf.cli import ERROR_STATUS, add_verbose_flag, quiet_tensorflow, reported_errors



def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(prog="python -m step_tf.saliency", description=__doc__.split("\n\n")[0])
    arguments.add_argument("run_dir", type=pathlib.Path, metavar="RUN", help="a run directory of python -m step_tf.fit")
    arguments.add_argument("--gait", required=True, action="append", help="key of a gait to explain (repeatable)")
    arguments.add_argument("--data", help="data spec holding the gait (default: the run's own)")
    arguments.add_argument("--class", dest="class_name", help="label name of the class to explain (default: the prediction)")
    arguments.add_argument("--out-dir", type=pathlib.Path, help="where the maps go (default: RUN/saliency)")
    add_verbose_flag(arguments)
    return arguments


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    quiet_tensorflow(args.verbose)
    out_dir = args.out_dir or args.run_dir / "saliency"
    with reported_errors() as outcome:
        import numpy as np

        from step_tf.evaluation.guided_backpropagation import guided_backpropagation
        from step_tf.evaluation.plots import saliency_png
        from step_tf.evaluation.report import run_gaits
        from step_tf.files import atomic_output
        from step_tf.graph import get_layout
        from step_tf.runs import load_run

        config, model = load_run(args.run_dir)
        gaits = run_gaits(args.run_dir, config, args.data, split="all")
        position = {key: index for index, key in enumerate(gaits.keys.tolist())}
        unknown = [key for key in args.gait if key not in position]
        if unknown:
            raise ValueError(f"{gaits.source}: no gait with key {unknown[0]!r} (keys look like {str(gaits.keys[0])!r})")
        if args.class_name is not None and args.class_name not in gaits.label_names:
            raise ValueError(f"--class {args.class_name!r} is not a label name; choose one of {', '.join(gaits.label_names)}")
        chosen = gaits.subset(np.array([position[key] for key in args.gait]))
        classes = None if args.class_name is None else gaits.label_names.index(args.class_name)
        saliency, classes = guided_backpropagation(model, chosen.joints, classes)
        joint_names = get_layout("step16").joint_names
        for key, label, explained, gait_map in zip(chosen.keys, chosen.labels, classes, saliency):
            title = f"{key}: {gaits.label_names[label]} gait, score of {gaits.label_names[explained]} ({config.model})"
            with atomic_output(out_dir / f"saliency-{key}.png") as temporary:
                temporary.write_bytes(saliency_png(gait_map, joint_names, title=title))
            with atomic_output(out_dir / f"saliency-{key}.npy", suffix=".npy") as temporary:
                np.save(temporary, gait_map)
            print(f"{key}: {out_dir / f'saliency-{key}.png'}")
    if outcome.failed:
        return ERROR_STATUS
    return 0


if __name__ == "__main__":
    sys.exit(main())
