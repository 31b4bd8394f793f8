"""Argument types shared by the command-line tools (``argparse`` ``type=`` callables).

Each turns one command-line word into a tuple, or raises
``argparse.ArgumentTypeError`` with the expected form, which argparse prints
as a usage error.
"""

from __future__ import annotations

import argparse


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
