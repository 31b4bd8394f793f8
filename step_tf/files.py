"""Writing files atomically: readers see the old file or the whole new one, never half of one.

Work in progress lives under a hidden *partial* name beside its target,
``.NAME.partial-HOST-PID-RANDOM``, and is renamed onto the target only when
complete. A writer killed with ``kill -9`` cannot clean up, so the next writer
of the same target removes the partials of processes of this machine that no
longer run (``remove_stale_partials``): nothing is left behind for good.
"""

from __future__ import annotations

import contextlib
import glob
import json
import os
import pathlib
import shutil
import socket
import tempfile

from step_tf import faults

PARTIAL = ".partial-"


def _partial_prefix(name: str) -> str:
    return f".{name}{PARTIAL}{socket.gethostname()}-"


def _running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def remove_stale_partials(folder: str | os.PathLike, name: str) -> None:
    """Removes the partials of ``folder/name`` left by dead processes of this machine (live writers' are kept)."""
    prefix = _partial_prefix(name)
    for entry in pathlib.Path(folder).glob(glob.escape(prefix) + "*"):
        pid = entry.name[len(prefix):].split("-", 1)[0]
        if not pid.isdecimal() or _running(int(pid)):
            continue
        if entry.is_dir() and not entry.is_symlink():
            shutil.rmtree(entry, ignore_errors=True)
        else:
            entry.unlink(missing_ok=True)


def make_partial(folder: str | os.PathLike, name: str, directory: bool = False, suffix: str = "") -> pathlib.Path:
    """A new empty partial file (or folder) for ``folder/name``, after removing the stale partials of ``name``.

    ``suffix`` ends a partial file's name, for writers that insist on one (Keras: ``.keras``).
    """
    folder = pathlib.Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except FileExistsError:
        raise NotADirectoryError(f"{folder}: is a file, not a folder; cannot write {name} in it") from None
    remove_stale_partials(folder, name)
    prefix = f"{_partial_prefix(name)}{os.getpid()}-"
    if directory:
        return pathlib.Path(tempfile.mkdtemp(prefix=prefix, dir=folder))
    handle, path = tempfile.mkstemp(prefix=prefix, suffix=suffix, dir=folder)
    os.close(handle)
    return pathlib.Path(path)


def make_permissions_plain(path: pathlib.Path, mode: int) -> None:
    # mkstemp and mkdtemp make owner-only entries; give them what a plain open() or mkdir() would.
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, mode & ~umask)


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike, suffix: str = ".tmp"):
    """Yields a temporary path beside ``path`` (ending in ``suffix``); renames it to ``path`` only if the block succeeds."""
    path = pathlib.Path(path)
    if path.is_dir():  # checked before the work: renaming onto a folder would fail only after it
        raise IsADirectoryError(f"{path}: is a folder; give a file name to write")
    temporary = make_partial(path.parent, path.name, suffix=suffix)
    try:
        yield temporary
        faults.write_point(path.name, temporary)
        make_permissions_plain(temporary, 0o666)
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


@contextlib.contextmanager
def atomic_directory(path: str | os.PathLike):
    """Yields an empty hidden folder beside ``path``; renames it to ``path`` (absent) only if the block succeeds."""
    path = pathlib.Path(path)
    temporary = make_partial(path.parent, path.name, directory=True)
    try:
        yield temporary
        faults.write_point(path.name, temporary)
        make_permissions_plain(temporary, 0o777)
        os.rename(temporary, path)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)


def write_json(path: str | os.PathLike, value) -> None:
    """Writes ``value`` as indented JSON, atomically; NaN and infinities are refused (they are not JSON)."""
    try:
        text = json.dumps(value, indent=2, allow_nan=False)
    except ValueError:
        raise ValueError(f"{path}: refusing to write NaN or infinite values, which JSON cannot hold") from None
    with atomic_output(path) as temporary:
        temporary.write_text(text + "\n")
