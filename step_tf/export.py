"""``python -m step_tf.export RUN --name NAME``: publish a trained run as the next model version.

Writes ``BASE/NAME/VERSION/`` (default base ``saved_models``), the layout of the
TFX Pusher and TensorFlow Serving: a SavedModel with the ``serving_default``
(75 frames) and ``serve_any_frames`` signatures, ``model.keras``, TFLite float32,
float16 and int8 files and ``metadata.json``. See ``step_tf.serving.exporting``.
"""

from __future__ import annotations

import argparse
import pathlib
import sys

from step_tf.cli import ERROR_STATUS, add_verbose_flag, quiet_tensorflow, reported_errors
from step_tf.serving.versions import validate_model_name


def parser() -> argparse.ArgumentParser:
    arguments = argparse.ArgumentParser(prog="python -m step_tf.export", description=__doc__.split("\n\n")[0])
    arguments.add_argument("run_dir", type=pathlib.Path, metavar="RUN", help="a finished run directory (python -m step_tf.fit)")
    arguments.add_argument("--name", required=True, help="model name: the folder under --base, and the name the server answers to")
    arguments.add_argument("--base", type=pathlib.Path, default=pathlib.Path("saved_models"), help="folder of models (default: saved_models)")
    arguments.add_argument("--no-tflite", dest="tflite", action="store_false", help="skip the TFLite conversions")
    add_verbose_flag(arguments)
    return arguments


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    quiet_tensorflow(args.verbose)
    with reported_errors() as outcome:
        validate_model_name(args.name)
        from step_tf.serving.exporting import export_run  # TensorFlow loads here, after the arguments are checked

        metadata = export_run(args.run_dir, args.base / args.name, tflite_models=args.tflite)
    if outcome.failed:
        return ERROR_STATUS
    folder = args.base / args.name / str(metadata["version"])
    sizes = ", ".join(f"{name} {size / 1024:.1f} KiB" for name, size in metadata["sizes_bytes"].items())
    print(f"exported {args.run_dir} as {args.name} version {metadata['version']}: {folder} ({sizes})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
