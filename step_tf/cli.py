"""What the command-line tools share: argument types (``argparse`` ``type=`` callables) and the errors they report.

Each type turns one command-line word into a value, or raises
``argparse.ArgumentTypeError`` with the expected form, which argparse prints
as a usage error.
"""

from __future__ import annotations

import argparse
import pathlib

# What a tool reports as one line "error: ..." with exit status 2 instead of a traceback: bad input
# (ValueError), a file system refusing (OSError, whose message names the path), numbers beyond range
# (OverflowError), and input too deep or too large to hold (RecursionError, MemoryError).
ERRORS = (ValueError, OSError, OverflowError, RecursionError, MemoryError)


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
