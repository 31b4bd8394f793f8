"""The resume state of a run: one whole backup per finished epoch, kept safe from a kill at any instant.

Keras' ``BackupAndRestore`` rewrites ``backup/latest.weights.h5`` and
``training_metadata.json`` in place, so ``kill -9`` during that write leaves a
truncated file and a run that cannot resume. Here epoch N's backup is a folder
``backup/epoch-0000N/`` holding both files (model and optimizer weights; the
epoch count), built under a hidden partial name and renamed in one step
(``step_tf.files.atomic_directory``). The previous epoch's folder is removed
only after the new one is in place, so at every instant one complete backup
exists; ``--resume`` takes the newest.

``history.csv`` is appended line by line by Keras' ``CSVLogger``, which runs
before the backup: a run killed between the two has logged an epoch that
resuming will redo. ``trim_history`` keeps the rows of the epochs the backup
holds, and drops a last line cut short by the kill.
"""

from __future__ import annotations

import json
import pathlib
import re
import shutil

import keras

from step_tf import faults
from step_tf.files import atomic_directory, atomic_output

WEIGHTS_FILE = "latest.weights.h5"
METADATA_FILE = "training_metadata.json"
_EPOCH_FOLDER = re.compile(r"epoch-(\d{5,})")


def epoch_backups(backup_dir: str | pathlib.Path) -> list[tuple[int, pathlib.Path]]:
    """``(finished epochs, folder)`` of the complete backups under ``backup_dir``, oldest first."""
    backup_dir = pathlib.Path(backup_dir)
    if not backup_dir.is_dir():
        return []
    found = [(_EPOCH_FOLDER.fullmatch(entry.name), entry) for entry in backup_dir.iterdir() if entry.is_dir()]
    return sorted((int(match.group(1)), entry) for match, entry in found if match)


def finished_epochs(backup_dir: str | pathlib.Path) -> int:
    """How many epochs the newest backup holds (0: none)."""
    backups = epoch_backups(backup_dir)
    return backups[-1][0] if backups else 0


def trim_history(history_path: str | pathlib.Path, epochs: int) -> None:
    """Keeps the header and the rows of epochs ``0 .. epochs - 1`` of a ``CSVLogger`` file (and no cut-short line)."""
    history_path = pathlib.Path(history_path)
    if not history_path.is_file():
        return
    lines = history_path.read_text().splitlines(keepends=True)
    complete = [line for line in lines if line.endswith("\n")]
    if not complete:
        history_path.unlink()
        return
    header, rows = complete[0], complete[1:]
    column = header.rstrip("\n").split(",").index("epoch")
    kept = [row for row in rows if row.split(",")[column].isdecimal() and int(row.split(",")[column]) < epochs]
    if kept != rows or len(complete) != len(lines):
        with atomic_output(history_path) as temporary:
            temporary.write_text("".join([header, *kept]))


class KillSafeBackup(keras.callbacks.Callback):
    """Backs up model, optimizer and epoch after every epoch; restores the newest backup when training begins."""

    def __init__(self, backup_dir: str | pathlib.Path):
        super().__init__()
        self.backup_dir = pathlib.Path(backup_dir)

    def on_train_begin(self, logs=None):
        backups = epoch_backups(self.backup_dir)
        if not backups:
            return
        epochs, folder = backups[-1]
        weights, metadata_path = folder / WEIGHTS_FILE, folder / METADATA_FILE
        try:
            metadata = json.loads(metadata_path.read_text())
            if metadata.get("epoch") != epochs:
                raise ValueError(f"it records epoch {metadata.get('epoch')!r}, the folder's name {epochs}")
            if self.model.optimizer is not None and not self.model.optimizer.built:
                self.model.optimizer.build(self.model.trainable_variables)
            self.model.load_weights(weights)
        except (OSError, ValueError) as error:  # json.JSONDecodeError is a ValueError
            raise ValueError(f"{folder}: cannot restore this backup ({error})") from None
        self.model._initial_epoch = epochs  # what Keras' BackupAndRestore sets: fit() starts there

    def on_epoch_end(self, epoch, logs=None):
        with atomic_directory(self.backup_dir / f"epoch-{epoch + 1:05d}") as folder:
            self.model.save_weights(folder / WEIGHTS_FILE)
            faults.write_point(WEIGHTS_FILE, folder / WEIGHTS_FILE)
            (folder / METADATA_FILE).write_text(json.dumps({"epoch": epoch + 1}) + "\n")
            faults.write_point(METADATA_FILE, folder / METADATA_FILE)
        for epochs, older in epoch_backups(self.backup_dir):
            if epochs <= epoch:
                shutil.rmtree(older, ignore_errors=True)
