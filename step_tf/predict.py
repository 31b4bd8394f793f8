"""``python -m step_tf.predict [--model PATH] --input FILE``: classify the gaits of a file with an exported model.

``PATH`` is a version folder (``saved_models/NAME/3``) or a model base path
(its newest version), by default the model shipped with the package
(``step_tf.pretrained``); ``FILE`` an ``.npz``, E-Gait features ``.h5`` or ``.bvh``
file (see ``step_tf.serving.batch``). Prints JSON, or writes JSON or CSV to
``--output`` (the format from ``--format`` or the output's suffix).
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from step_tf.cli import ERROR_STATUS, add_verbose_flag, quiet_tensorflow, reported_errors, output_file



def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(prog="python -m step_tf.predict", description=__doc__.split("\n\n")[0])
    arguments.add_argument("--model", type=pathlib.Path,
                           help="a version folder or a folder of versions (default: the shipped model, step_tf.pretrained)")
    arguments.add_argument("--input", type=pathlib.Path, required=True, help=".npz, E-Gait features .h5, or .bvh")
    arguments.add_argument("--output", type=output_file, help="file to write (default: standard output)")
    arguments.add_argument("--format", choices=("json", "csv"), help="default: the output's suffix, else json")
    arguments.add_argument("--no-plausibility-check", dest="plausibility_check", action="store_false",
                           help="classify gaits that are not in metres or are tiled from fewer than 15 frames")
    add_verbose_flag(arguments)
    return arguments


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    quiet_tensorflow(args.verbose)
    output_format = args.format or (args.output.suffix.lower().lstrip(".") if args.output and args.output.suffix.lower() == ".csv" else "json")
    with reported_errors() as outcome:
        from step_tf.files import atomic_output
        from step_tf.serving import batch  # TensorFlow loads here, after the arguments are checked

        keys, joints = batch.read_gait_file(args.input, plausibility_check=args.plausibility_check)
        if args.model is None:
            from step_tf.pretrained import default_model_base

            args.model = default_model_base()
        servable = batch.load_servable(args.model)
        label_names = batch.label_names_of(servable)
        text = batch.format_rows(batch.predict_gaits(servable, keys, joints, label_names), label_names, output_format)
        if args.output is not None:
            with atomic_output(args.output) as temporary:
                temporary.write_text(text)
    if outcome.failed:
        return ERROR_STATUS
    if args.output is None:
        sys.stdout.write(text)
    else:
        print(f"{len(keys)} gait(s) classified with {args.model}: {args.output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
