"""A run directory's life: checked before anything is written, created only once the run can start, cleaned up if it fails.

A new run writes nothing until the configuration, the data and the model have
been checked: ``check_run_directory`` only looks, and ``run_directory`` creates
the folder (``config.json``, ``split.json``) when training is about to start. A
run that fails before finishing an epoch removes what it wrote, so the same
command can be given again. A run killed before finishing an epoch (no clean-up
is possible) leaves ``config.json`` without a backup: ``--resume`` then starts
it again from epoch 0. A finished run removes its backup once ``metrics.json``
is written.
"""

from __future__ import annotations

import contextlib
import pathlib
import shutil

from step_tf.config import TrainConfig
from step_tf.runs import BACKUP_FOLDER, CONFIG_FILE, HISTORY_FILE, METRICS_FILE, write_config, write_metrics, write_split
from step_tf.training.backup import finished_epochs, trim_history


def check_run_directory(config: TrainConfig, run_dir: str | pathlib.Path, resume: bool) -> pathlib.Path:
    """Raises ``ValueError`` unless ``run_dir`` can take this run: absent or empty for a new one, unfinished for ``resume``."""
    run_dir = pathlib.Path(run_dir)
    config.validate()
    if run_dir.exists() and not run_dir.is_dir():
        raise ValueError(f"{run_dir}: is a file, not a run directory; choose another --run-dir")
    if resume:
        if (run_dir / METRICS_FILE).exists():
            raise ValueError(f"{run_dir}: this run has already finished ({METRICS_FILE} exists); nothing to resume")
        if not (run_dir / CONFIG_FILE).is_file():
            raise ValueError(f"{run_dir}: no run to resume here (no {CONFIG_FILE}); start a new run instead")
    elif run_dir.exists() and any(run_dir.iterdir()):
        hint = "it holds an unfinished run: pass --resume to continue it" if (run_dir / CONFIG_FILE).is_file() else "choose a new one"
        raise ValueError(f"{run_dir}: the run directory is not empty; {hint}")
    return run_dir


@contextlib.contextmanager
def run_directory(config: TrainConfig, run_dir: pathlib.Path, resume: bool, split: dict[str, list[str]]):
    """Creates ``run_dir`` with ``config.json`` and ``split.json`` and yields it; on failure, undoes a run that finished no epoch.

    A resumed run continues from its newest backup (``history.csv`` trimmed to
    the epochs it holds); its files are kept whatever happens.
    """
    existed = run_dir.exists()
    run_dir.mkdir(parents=True, exist_ok=True)
    try:
        if resume:
            trim_history(run_dir / HISTORY_FILE, finished_epochs(run_dir / BACKUP_FOLDER))
        write_config(run_dir, config)
        write_split(run_dir, split)
        yield run_dir
    except BaseException:
        if not resume and finished_epochs(run_dir / BACKUP_FOLDER) == 0:
            # check_run_directory saw the folder absent or empty: all it holds is this run's.
            if existed:
                for entry in run_dir.iterdir():
                    shutil.rmtree(entry) if entry.is_dir() and not entry.is_symlink() else entry.unlink()
            else:
                shutil.rmtree(run_dir, ignore_errors=True)
        raise


def finish_run(run_dir: pathlib.Path, metrics: dict) -> None:
    """Writes ``metrics.json``, which marks the run finished, then removes the backup it no longer needs."""
    write_metrics(run_dir, metrics)
    shutil.rmtree(run_dir / BACKUP_FOLDER, ignore_errors=True)
