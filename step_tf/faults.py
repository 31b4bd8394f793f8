"""Fault injection for the kill tests: a process that SIGKILLs itself in the middle of a write.

``STEP_TF_KILL_AT=NAME[:N]`` makes the N-th write (default the first) of a file
called ``NAME`` cut what it has written to half its size and SIGKILL the
process: the state ``kill -9`` leaves when it strikes mid-write, reproduced at
the dangerous instant rather than by a lucky timer. Writers call
``write_point`` after writing a file and before publishing it (the rename);
without the variable (always, outside the tests) it does nothing.
"""

from __future__ import annotations

import collections
import os
import pathlib
import signal

ENVIRONMENT = "STEP_TF_KILL_AT"
_writes: collections.Counter = collections.Counter()


def write_point(name: str, written: str | os.PathLike) -> None:
    """Called with a file's final ``name`` once ``written`` (a file or folder) holds it, before it is published."""
    spec = os.environ.get(ENVIRONMENT)
    if not spec:
        return
    wanted, _, nth = spec.partition(":")
    if wanted != name:
        return
    _writes[name] += 1
    if _writes[name] != int(nth or 1):
        return
    written = pathlib.Path(written)
    files = sorted(path for path in written.rglob("*") if path.is_file()) if written.is_dir() else [written]
    for path in files:
        os.truncate(path, path.stat().st_size // 2)
    os.kill(os.getpid(), signal.SIGKILL)
