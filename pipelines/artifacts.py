"""Pipeline artifacts: one directory per stage output, written atomically, skipped when nothing it depends on changed.

A stage's output directory holds what the stage wrote and ``fingerprint.json``:
the stage name, its parameters, the input artifacts it read, a summary the stage
returned, and the *fingerprint*, the SHA-256 of the stage name, the parameters
(as sorted JSON) and the relative path and bytes of every file of every input
artifact. ``run_stage`` compares the fingerprint it computes with the one stored:
equal means SKIPPED; otherwise the stage runs into a hidden ``.building-*``
directory beside its output, which is renamed into place only when complete (an
older output is moved aside first and then deleted), so a killed run leaves at
most a hidden directory and never half an artifact.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import pathlib
import shutil
import tempfile
from typing import Callable

from step_tf.files import write_json

FINGERPRINT_FILE = "fingerprint.json"
BUILDING_PREFIX = ".building-"
CHUNK_BYTES = 1 << 20


@dataclasses.dataclass(frozen=True)
class StageResult:
    """Where a stage's artifact lies, whether the stage was skipped, and the summary it stored."""

    path: pathlib.Path
    skipped: bool
    summary: dict


def fingerprint(stage: str, parameters: dict, inputs: dict[str, pathlib.Path]) -> str:
    """SHA-256 of the stage name, ``parameters`` and the contents of every file of the ``inputs`` artifacts."""
    digest = hashlib.sha256(json.dumps({"stage": stage, "parameters": parameters}, sort_keys=True).encode())
    for name, root in sorted(inputs.items()):
        root = pathlib.Path(root)
        if not root.exists():
            raise FileNotFoundError(f"{root}: input artifact {name!r} of stage {stage!r} not found")
        files = sorted(path for path in root.rglob("*") if path.is_file()) if root.is_dir() else [root]
        digest.update(f"\0input {name}\0".encode())
        for path in files:
            digest.update(f"\0{path.relative_to(root) if root.is_dir() else path.name}\0{path.stat().st_size}\0".encode())
            with open(path, "rb") as handle:
                while chunk := handle.read(CHUNK_BYTES):
                    digest.update(chunk)
    return digest.hexdigest()


def stored_record(output: pathlib.Path) -> dict | None:
    """The ``fingerprint.json`` of a finished artifact, or None when there is none (or it is unreadable)."""
    try:
        return json.loads((pathlib.Path(output) / FINGERPRINT_FILE).read_text())
    except (OSError, json.JSONDecodeError):
        return None


def run_stage(
    stage: str,
    output: str | os.PathLike,
    parameters: dict,
    inputs: dict[str, pathlib.Path],
    build: Callable[[pathlib.Path], dict | None],
    log: Callable[[str], None] = print,
) -> StageResult:
    """Runs ``build(folder)`` to produce ``output`` unless ``output`` already holds this fingerprint.

    ``build`` fills an empty ``folder`` (it may also be given it as a directory that does
    not exist yet: it exists and is empty) and may return a JSON-ready summary.
    """
    output = pathlib.Path(output)
    expected = fingerprint(stage, parameters, inputs)
    record = stored_record(output)
    if record is not None and record.get("fingerprint") == expected:
        log(f"{stage}: SKIPPED (inputs and parameters unchanged) -> {output}")
        return StageResult(output, True, record.get("summary") or {})
    log(f"{stage}: running -> {output}")
    output.parent.mkdir(parents=True, exist_ok=True)
    building = pathlib.Path(tempfile.mkdtemp(prefix=f"{BUILDING_PREFIX}{output.name}-", dir=output.parent))
    replaced = None
    try:
        summary = build(building) or {}
        write_json(building / FINGERPRINT_FILE, {
            "stage": stage,
            "fingerprint": expected,
            "parameters": parameters,
            "inputs": {name: str(path) for name, path in sorted(inputs.items())},
            "summary": summary,
        })
        os.chmod(building, 0o777 & ~_umask())  # mkdtemp's 0700 would hide the artifact from other users
        if output.exists():
            replaced = pathlib.Path(tempfile.mkdtemp(prefix=f".replaced-{output.name}-", dir=output.parent))
            os.rename(output, replaced / output.name)
        os.rename(building, output)
    finally:
        shutil.rmtree(building, ignore_errors=True)
        if replaced is not None:
            shutil.rmtree(replaced, ignore_errors=True)
    return StageResult(output, False, summary)


def _umask() -> int:
    umask = os.umask(0)
    os.umask(umask)
    return umask
