"""``kill -9`` at each write point of ``python -m step_tf.fit``, then ``--resume``: the run completes, every finished epoch kept.

The training process kills itself at the dangerous instant (``step_tf.faults``:
the file being written is cut to half its size, then SIGKILL), not at a lucky
moment of a timer.
"""

import csv
import json
import os
import signal
import subprocess
import sys

import pytest

from step_tf import fit
from step_tf.faults import ENVIRONMENT

EPOCHS = 3
TINY = ["--data", "embedded:64", "--epochs", str(EPOCHS), "--batch-size", "16", "--channels", "4,4", "--strides", "1,2",
        "--temporal-kernel-size", "3", "--learning-rate-schedule", "constant", "--verbose", "0"]


def _killed_run(run_dir, point: str, arguments=TINY):
    process = subprocess.run(
        [sys.executable, "-m", "step_tf.fit", "--run-dir", str(run_dir), *arguments],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", ENVIRONMENT: point},
    )
    assert process.returncode == -signal.SIGKILL, f"the run was not killed at {point}: {process.stderr[-2000:]}"


def _history(run_dir) -> list[dict]:
    with open(run_dir / "history.csv", newline="") as file:
        return list(csv.DictReader(file))


def _partials(run_dir) -> list[str]:
    return sorted(str(path.relative_to(run_dir)) for path in run_dir.rglob("*") if ".partial-" in path.name)


# About 15-20 s each (a killed training process, then the resumed run). The default suite keeps a backup write
# (finished epochs kept) and the first best model; the other two write points are opt-in (-m slow).
@pytest.mark.parametrize("point, finished", [
    ("latest.weights.h5:2", 1),       # mid-write of epoch 2's backup weights: epoch 1 is kept
    pytest.param("training_metadata.json:3", 2, marks=pytest.mark.slow),  # epoch 3's backup metadata: epochs 1, 2 kept
    ("best.keras:1", 0),              # mid-write of the first best model, in epoch 1: nothing finished yet
    pytest.param("metrics.json:1", EPOCHS, marks=pytest.mark.slow),  # mid-write of metrics.json, after the last epoch
])
def test_a_run_killed_mid_write_resumes_and_keeps_every_finished_epoch(tmp_path, point, finished):
    run_dir = tmp_path / "run"
    _killed_run(run_dir, point)
    assert not (run_dir / "metrics.json").exists()
    backups = sorted(path.name for path in (run_dir / "backup").glob("epoch-*")) if (run_dir / "backup").is_dir() else []
    assert backups == ([f"epoch-{finished:05d}"] if finished else [])
    kept = _history(run_dir)[:finished] if finished else []

    assert fit.main(["--resume", "--run-dir", str(run_dir), "--verbose", "0"]) == 0
    rows = _history(run_dir)
    assert [int(row["epoch"]) for row in rows] == list(range(EPOCHS))  # every epoch exactly once
    assert rows[:finished] == kept  # the finished epochs were not trained again
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["epochs"] == EPOCHS and metrics["test"]["num_gaits"] > 0
    assert not (run_dir / "backup").exists()
    assert _partials(run_dir) == []  # the killed writer's half-written files were removed


def test_a_new_run_into_a_killed_runs_folder_says_to_resume(tmp_path, capsys):
    run_dir = tmp_path / "run"
    _killed_run(run_dir, "best.keras:1")
    assert fit.main(["--run-dir", str(run_dir), *TINY]) == 2
    assert "pass --resume to continue it" in capsys.readouterr().err
