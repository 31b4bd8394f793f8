"""What the command-line tools share: argument types, the errors they report, and TensorFlow's log noise.

Each type turns one command-line word into a value, or raises
``argparse.ArgumentTypeError`` with the expected form, which argparse prints
as a usage error. ``reported_errors`` turns the errors of ``ERRORS`` into one
line ``error: ...`` and exit status 2. ``add_verbose_flag`` and
``quiet_tensorflow`` keep TensorFlow's start-up log lines off the terminal
unless ``--verbose`` is given. Nothing here imports TensorFlow: ``--help`` of
every tool answers without loading it.
"""

from __future__ import annotations

import argparse
import importlib.abc
import importlib.machinery
import os
import pathlib
import sys

# What a tool reports as one line "error: ..." with exit status 2 instead of a traceback: bad input
# (ValueError), a file system refusing (OSError, whose message names the path), numbers beyond range
# (OverflowError), and input too deep or too large to hold (RecursionError, MemoryError).
ERRORS = (ValueError, OSError, OverflowError, RecursionError, MemoryError)

# The exit status of a run that failed with one of ERRORS (argparse's usage errors exit with 2 too).
ERROR_STATUS = 2


class reported_errors:
    """``with reported_errors() as report: ...``: an error of ``errors`` becomes one line on standard error.

    The block stops at the error, which is printed as ``error: MESSAGE``; ``report.failed``
    is true afterwards and the tool returns ``ERROR_STATUS``::

        with reported_errors() as report:
            work()
        if report.failed:
            return ERROR_STATUS
    """

    def __init__(self, errors: tuple[type[BaseException], ...] = ERRORS):
        self.errors = errors
        self.error: BaseException | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None

    def __enter__(self) -> "reported_errors":
        return self

    def __exit__(self, kind, error, traceback) -> bool:
        if error is None or not isinstance(error, self.errors):
            return False
        self.error = error
        print(f"error: {error}", file=sys.stderr)
        return True


VERBOSE_HELP = "show TensorFlow's start-up and C++ log lines (hidden by default)"


def add_verbose_flag(arguments: argparse.ArgumentParser) -> None:
    """``--verbose``: TensorFlow's log lines on the terminal (see ``quiet_tensorflow``)."""
    arguments.add_argument("--verbose", action="store_true", help=VERBOSE_HELP)


class _ShowLogs:
    """The value of a bare ``--verbose`` where ``--verbose N`` sets Keras's verbosity."""

    def __repr__(self) -> str:
        return "LOGS"


LOGS = _ShowLogs()


def keras_verbosity(text: str) -> int:
    """``"0"``, ``"1"`` or ``"2"``: Keras's verbosity (silent, progress bar, a line per epoch)."""
    if text not in ("0", "1", "2"):
        raise argparse.ArgumentTypeError(f"expected 0, 1 or 2 (Keras verbosity), got {text!r}")
    return int(text)


def add_verbose_level(arguments: argparse.ArgumentParser, keras_default: str, default: int | None = None) -> None:
    """``--verbose [N]`` of the training tools: bare, TensorFlow's log lines; with ``N``, Keras's verbosity.

    Read the value with ``verbose_parts``.
    """
    arguments.add_argument("--verbose", nargs="?", const=LOGS, default=default, type=keras_verbosity, metavar="N",
                           help=f"alone: {VERBOSE_HELP}; --verbose N: Keras verbosity, 0 silent, 1 progress bar, "
                                f"2 a line per epoch (default: {keras_default})")


def verbose_parts(value) -> tuple[bool, int | None]:
    """``(show TensorFlow's logs, Keras verbosity or None)`` of an ``add_verbose_level`` option's value."""
    if value is LOGS:
        return True, None
    return False, value


class _MutedImport(importlib.abc.MetaPathFinder):
    """Finds ``tensorflow`` as usual, but runs its import with file descriptor 2 pointed at /dev/null.

    TensorFlow's C++ libraries write their start-up lines (oneDNN, CUDA, absl's "before
    InitializeLog" notice) straight to the process's standard error while they load, before
    any log level can be set; only closing the descriptor for that moment hides them.
    The finder removes itself after its one import.
    """

    def find_spec(self, name, path=None, target=None):
        if name != "tensorflow":
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.machinery.PathFinder.find_spec(name, path)
        if spec is None or spec.loader is None:
            return spec
        loader = spec.loader
        exec_module = loader.exec_module

        def muted_exec_module(module):
            sys.stderr.flush()
            saved = os.dup(2)
            try:
                with open(os.devnull, "w") as devnull:
                    os.dup2(devnull.fileno(), 2)
                try:
                    exec_module(module)
                finally:
                    os.dup2(saved, 2)
            finally:
                os.close(saved)

        loader.exec_module = muted_exec_module
        return spec


def quiet_tensorflow(verbose: bool = False) -> None:
    """Hide TensorFlow's log lines below warnings (``TF_CPP_MIN_LOG_LEVEL=2``) and its start-up lines.

    Call it after parsing the arguments and before TensorFlow is imported; with ``verbose``
    it changes nothing. A ``TF_CPP_MIN_LOG_LEVEL`` set by the user is kept. Only logging
    changes: ``TF_ENABLE_ONEDNN_OPTS``, which changes numerics, is left alone. A process
    that has already imported TensorFlow (a test, a notebook) is left as it is.
    """
    if verbose or "tensorflow" in sys.modules:
        return
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    if not any(isinstance(finder, _MutedImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _MutedImport())


def output_file(text: str) -> pathlib.Path:
    """A file to write: refused at once if it names an existing folder, before any work is done."""
    path = pathlib.Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text}: is a folder; give a file name to write")
    return path


def int_list(text: str) -> tuple[int, ...]:
    """``"1,2,2"`` -> ``(1, 2, 2)``."""
    try:
        return tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated whole numbers, got {text!r}") from None


def name_list(text: str) -> tuple[str, ...]:
    """``"angry, neutral,happy"`` -> ``("angry", "neutral", "happy")``; blank parts are dropped."""
    names = tuple(part.strip() for part in text.split(",") if part.strip())
    if not names:
        raise argparse.ArgumentTypeError("expected comma-separated names")
    return names


def fractions(text: str) -> tuple[float, float, float]:
    """``"0.7,0.2,0.1"`` -> ``(0.7, 0.2, 0.1)``: train, validation and test fractions."""
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        values = ()
    if len(values) != 3:
        raise argparse.ArgumentTypeError(f"expected three comma-separated fractions like 0.7,0.2,0.1, got {text!r}")
    return values
