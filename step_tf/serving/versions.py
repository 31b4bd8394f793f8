"""The TFX / TensorFlow Serving model layout, and publishing a version atomically.

A model base path holds one folder per version, named by an increasing whole
number: ``BASE/1/``, ``BASE/2/``, ... each a complete SavedModel
(``saved_model.pb``, ``variables/``). A version is built in a hidden folder
beside its target (``BASE/.building.partial-*``, which no reader takes for a
version) and renamed into place only when complete. A rename within one file
system is atomic, so a server polling ``BASE`` sees a whole version or none. An
export killed midway leaves a hidden folder behind, which the next export
removes (``step_tf.files.remove_stale_partials``).
"""

from __future__ import annotations

import os
import pathlib
import shutil
from typing import Callable

from step_tf.files import PARTIAL, make_partial, make_permissions_plain

BUILDING = "building"
BUILDING_PREFIX = f".{BUILDING}{PARTIAL}"


def validate_model_name(name: str) -> str:
    """``name`` if it can be a model folder (and the name a server answers to); ValueError otherwise."""
    if not name or "/" in name or ":" in name or name.startswith("."):
        raise ValueError(f"model name {name!r} must be a plain folder name without '/' or ':'")
    return name


def list_versions(base: str | os.PathLike) -> list[int]:
    """The published versions under ``base``, oldest first (``[]`` when there is none or no ``base``)."""
    base = pathlib.Path(base)
    if not base.is_dir():
        return []
    return sorted(
        int(entry.name)
        for entry in base.iterdir()
        # isdecimal, not isdigit: int() refuses superscripts that isdigit accepts.
        if entry.name.isdecimal() and entry.is_dir() and (entry / "saved_model.pb").is_file()
    )


def publish(base: str | os.PathLike, build: Callable[[pathlib.Path], None]) -> int:
    """Builds a new version with ``build(folder)`` and publishes it as the next version number.

    ``build`` fills an empty folder; if it raises, nothing is published. Two
    exports racing for one number both succeed: the loser takes the next one.
    """
    base = pathlib.Path(base)
    building = make_partial(base, BUILDING, directory=True)
    try:
        build(building)
        make_permissions_plain(building, 0o777)  # mkdtemp's 0700 would hide the version from a server run as another user
        if not (building / "saved_model.pb").is_file():
            raise ValueError(f"{building}: the build wrote no saved_model.pb; nothing published")
        while True:
            # Any folder with a number counts, complete or not, so a number is never reused.
            taken = [int(entry.name) for entry in base.iterdir() if entry.name.isdecimal()]
            version = max(taken, default=0) + 1
            try:
                # Renaming onto an existing folder fails (it is non-empty), so the
                # check-then-rename race with another exporter is lost safely.
                os.rename(building, base / str(version))
                return version
            except OSError:
                if not (base / str(version)).exists():
                    raise
    finally:
        shutil.rmtree(building, ignore_errors=True)
