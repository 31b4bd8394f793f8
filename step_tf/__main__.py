"""``step-tf COMMAND ...`` (or ``python -m step_tf COMMAND ...``): every command-line tool of step_tf under one name.

``step-tf fit --epochs 5`` is ``python -m step_tf.fit --epochs 5``, and so on for each
command of ``COMMANDS``. ``step-tf --help`` lists them and ``step-tf --version``
prints the version, both without loading TensorFlow.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import sys

from step_tf import __version__

# Command -> (module whose main() runs it, one line on what it does). Kept here, not read from
# the modules, so that listing them imports nothing.
COMMANDS: dict[str, tuple[str, str]] = {
    "fit": ("step_tf.fit", "train a classifier or STEP-Gen into a run directory (TensorBoard logs included)"),
    "evaluate": ("step_tf.evaluate", "score a run's best model: accuracy with its confidence interval, per-class report, confusion matrix"),
    "predict": ("step_tf.predict", "classify the gaits of a .npz, E-Gait .h5 or .bvh file with an exported model"),
    "video": ("step_tf.video", "perceived emotions from walking videos or a camera; 'video extract' builds a training set"),
    "serve": ("step_tf.serve", "a TensorFlow Serving-compatible REST server for exported models"),
    "export": ("step_tf.export", "publish a run as the next version of a model (SavedModel, Keras, TFLite)"),
    "generate": ("step_tf.generate", "sample gaits from a trained STEP-Gen into an E-Gait file pair"),
    "compare": ("step_tf.compare", "the paper's Table 1: several models over seeds or folds on identical splits"),
    "saliency": ("step_tf.saliency", "where a run's model looks: guided-backpropagation maps of gaits"),
    "render": ("step_tf.render", "gaits as animated stick figures (.gif, .mp4)"),
}

PROG = "step-tf"


def usage() -> str:
    width = max(len(name) for name in COMMANDS)
    lines = [
        f"usage: {PROG} [--version] [--help] COMMAND [ARGUMENTS ...]",
        "",
        "STEP in TensorFlow/Keras: emotion perception from 3D walking skeletons.",
        "",
        "commands:",
        *(f"  {name:<{width}}  {summary}" for name, (_, summary) in COMMANDS.items()),
        "",
        "options:",
        "  -h, --help     show this message and exit",
        "  --version      show the version and exit",
        "",
        f"'{PROG} COMMAND --help' describes a command's arguments; '--verbose' shows TensorFlow's log lines.",
        f"'{PROG} COMMAND ...' is the same as 'python -m step_tf.COMMAND ...'.",
    ]
    return "\n".join(lines) + "\n"


@contextlib.contextmanager
def _named_step_tf():
    """Parsers made meanwhile call themselves ``step-tf NAME`` in usage lines, not ``python -m step_tf.NAME``."""
    original = argparse.ArgumentParser.__init__

    def renamed(self, *arguments, **keywords):
        original(self, *arguments, **keywords)
        if self.prog.startswith("python -m step_tf."):
            self.prog = f"{PROG} " + self.prog[len("python -m step_tf."):].replace(".", " ", 1)

    argparse.ArgumentParser.__init__ = renamed
    try:
        yield
    finally:
        argparse.ArgumentParser.__init__ = original


def main(argv=None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] in ("-h", "--help", "help"):
        if len(argv) > 1 and argv[0] == "help" and argv[1] in COMMANDS:  # "step-tf help fit"
            return main([argv[1], "--help"])
        (sys.stdout if argv else sys.stderr).write(usage())
        return 0 if argv else 2
    if argv[0] in ("-V", "--version"):
        print(f"{PROG} {__version__}")
        return 0
    command, rest = argv[0], argv[1:]
    if command not in COMMANDS:
        sys.stderr.write(usage().splitlines()[0] + "\n")
        print(f"{PROG}: error: unknown command {command!r}; choose one of {', '.join(COMMANDS)}", file=sys.stderr)
        return 2
    module = importlib.import_module(COMMANDS[command][0])
    try:
        with _named_step_tf():
            return module.main(rest)
    except SystemExit as stop:  # argparse's --help and usage errors
        return stop.code if isinstance(stop.code, int) else (0 if stop.code is None else 2)


if __name__ == "__main__":
    sys.exit(main())
