"""``python -m step_tf.fit`` end to end: run files, TensorBoard contents, resume after a kill, real-data smoke runs."""

import json
import os
import pathlib
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from step_tf import fit

SMALL = ["--epochs", "2", "--batch-size", "16", "--channels", "8,8", "--strides", "1,2", "--temporal-kernel-size", "3",
         "--verbose", "0"]


def _scalars_and_images(log_dir: pathlib.Path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    accumulator = EventAccumulator(str(log_dir), size_guidance={"tensors": 0, "images": 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    return set(tags.get("tensors", [])) | set(tags.get("scalars", [])), accumulator


def test_a_short_run_writes_every_artifact(tmp_path):
    run_dir = tmp_path / "run"
    assert fit.main(["--data", "embedded:160", "--run-dir", str(run_dir), "--confusion-matrix-every", "1", *SMALL]) == 0
    for name in ("config.json", "split.json", "best.keras", "model.keras", "history.csv", "metrics.json"):
        assert (run_dir / name).is_file(), name
    metrics = json.loads((run_dir / "metrics.json").read_text())
    split = json.loads((run_dir / "split.json").read_text())
    assert metrics["test"]["num_gaits"] == len(split["test"]) > 0
    assert np.array(metrics["test"]["confusion_matrix"]).sum() == len(split["test"])
    train_tags, _ = _scalars_and_images(run_dir / "logs" / "train")
    assert {"epoch_loss", "epoch_accuracy", "epoch_learning_rate"} <= train_tags
    validation_tags, accumulator = _scalars_and_images(run_dir / "logs" / "validation")
    assert {"epoch_loss", "epoch_accuracy"} <= validation_tags
    assert "confusion_matrix" in validation_tags
    image = accumulator.Tensors("confusion_matrix")[-1]
    from tensorboard.util import tensor_util

    width, height, png = tensor_util.make_ndarray(image.tensor_proto)[:3]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int(width) > 100 and int(height) > 100
    config = json.loads((run_dir / "config.json").read_text())
    assert config["epochs"] == 2 and config["channels"] == [8, 8]


# About 45 s: a 6-epoch training process killed by a signal, then resumed. Fast cover of resuming after a kill:
# tests/test_kill_resume.py (its default cases) and test_reliability's resume before the first backup.
@pytest.mark.slow

def test_resume_after_a_real_kill_reaches_the_same_epoch_count(tmp_path):
    run_dir = tmp_path / "run"
    epochs = 6
    command = [sys.executable, "-m", "step_tf.fit", "--data", "embedded:160", "--run-dir", str(run_dir),
               *SMALL[2:], "--epochs", str(epochs)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                               env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"})
    history = run_dir / "history.csv"
    deadline = time.monotonic() + 240
    # Kill once at least two epochs are finished and logged, before the run ends.
    while time.monotonic() < deadline and process.poll() is None:
        if history.exists() and len(history.read_text().strip().splitlines()) >= 3:
            break
        time.sleep(0.05)
    assert process.poll() is None, f"the run ended before it could be killed: {process.stderr.read().decode()[-2000:]}"
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert not (run_dir / "metrics.json").exists()
    finished_before = len(history.read_text().strip().splitlines()) - 1
    assert 2 <= finished_before < epochs

    assert fit.main(["--resume", "--run-dir", str(run_dir), "--verbose", "0"]) == 0
    rows = history.read_text().strip().splitlines()
    header, rows = rows[0].split(","), [row.split(",") for row in rows[1:] if not row.startswith("epoch")]
    logged_epochs = sorted(int(row[header.index("epoch")]) for row in rows)
    # Every epoch ran to its end exactly once, the interrupted one included.
    assert logged_epochs == list(range(epochs))
    assert json.loads((run_dir / "metrics.json").read_text())["epochs"] == epochs


def test_fit_on_the_real_egait_fixture(tmp_path, fixtures_dir):
    data = f"egait:{fixtures_dir / 'bandai_walk_features.h5'},{fixtures_dir / 'bandai_walk_labels.h5'}"
    assert fit.main(["--data", data, "--run-dir", str(tmp_path / "run"), "--model", "step", *SMALL]) == 0
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["test"]["num_gaits"] + metrics["validation"]["num_gaits"] < 4


def test_fit_on_the_real_bvh_clips(tmp_path, fixtures_dir):
    # Two clips are two recordings: a train and a validation split, no test split.
    run_dir = tmp_path / "run"
    arguments = ["--data", f"bvh:{fixtures_dir}", "--run-dir", str(run_dir), "--model", "baseline_step",
                 "--split-fractions", "0.5,0.5,0", *SMALL]
    assert fit.main(arguments) == 0
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["test"] is None and metrics["validation"]["num_gaits"] >= 1
    split = json.loads((run_dir / "split.json").read_text())
    clips = [{key.rsplit("_", 1)[0] for key in split[name]} for name in ("train", "validation")]
    assert not clips[0] & clips[1]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--epochs", "0"], "epochs must be at least 1"),
        (["--data", "mocap:somewhere"], "unknown data spec 'mocap:somewhere'"),
        (["--data", "egait:only_one.h5"], "expected egait:FEATURES.h5,LABELS.h5"),
        (["--data", "egait:missing_f.h5,missing_l.h5"], "missing_f.h5: E-Gait features file not found"),
        (["--split-fractions", "0.8,0,0.2"], "with a validation part"),
        (["--temporal-kernel-size", "4"], "positive odd number"),
        (["--slowest-speed", "1.5"], "slowest speed must be in (0, 1], got 1.5"),
        (["--smallest-arm-swing", "-0.1"], "smallest arm swing must be in [0, 1], got -0.1"),
        (["--folds", "1"], "k-fold needs at least 2 folds"),
        (["--folds", "3", "--fold", "3"], "fold must be in 0 .. 2"),
        (["--resume"], "--resume needs --run-dir"),
    ],
)
def test_bad_arguments_fail_with_one_clear_line(arguments, message, capsys, tmp_path):
    assert fit.main([*arguments, "--run-dir", str(tmp_path / "run")] if "--resume" not in arguments else arguments) == 2
    assert message in capsys.readouterr().err


def test_a_used_run_directory_is_refused(tmp_path, capsys):
    (tmp_path / "run").mkdir()
    (tmp_path / "run" / "something").write_text("x")
    assert fit.main(["--data", "embedded:40", "--run-dir", str(tmp_path / "run"), *SMALL]) == 2
    assert "not empty" in capsys.readouterr().err


def test_generators_take_their_own_recipe_where_there_is_one():
    from step_tf.config import resolve

    assert resolve(model="stepgen").epochs == 60 and resolve(model="step").epochs == 30
    paper = resolve("paper", model="cvae_baseline")
    assert paper.epochs == 150 and not paper.frame_aware and paper.learning_rate == resolve("paper").learning_rate
    assert resolve("stgcn", model="stepgen").channels == resolve("stgcn").channels  # no generator version: as it is


# --- fit --config FILE ---------------------------------------------------------------------------


def _configured(*arguments):
    return fit.configure(fit.parser().parse_args(list(arguments)))


def test_a_config_file_sets_fields_over_the_recipe_and_options_override_it(tmp_path):
    path = tmp_path / "settings.json"
    path.write_text(json.dumps({"epochs": 3, "channels": [8, 8], "strides": [1, 2], "augment": False, "label_names": None}))
    config = _configured("--config", str(path), "--epochs", "5", "--recipe", "paper")
    assert (config.epochs, config.channels, config.strides, config.augment) == (5, (8, 8), (1, 2), False)
    assert config.learning_rate == 0.1  # from the paper recipe, beneath the file
    assert _configured("--config", str(path)).epochs == 3


def test_a_yaml_config_file(tmp_path):
    pytest.importorskip("yaml")
    path = tmp_path / "settings.yaml"
    path.write_text("model: lstm\nepochs: 4\nsplit_fractions: [0.6, 0.3, 0.1]\n")
    config = _configured("--config", str(path))
    assert (config.model, config.epochs, config.split_fractions) == ("lstm", 4, (0.6, 0.3, 0.1))


@pytest.mark.parametrize(
    "text, name, message",
    [
        ('{"epochs": 2, "learning_rat": 0.1}', "c.json", "c.json: unknown configuration key 'learning_rat'"),
        ('{"epochs": "ten"}', "c.json", "c.json: epochs must be int, got 'ten'"),
        ('{"channels": [8, "x"]}', "c.json", "c.json: channels must be tuple[int, ...]"),
        ('[1, 2]', "c.json", "c.json: expected a mapping of TrainConfig fields"),
        ('{"epochs": 2,', "c.json", "c.json: not valid JSON"),
        ('{"epochs": 0}', "c.json", "epochs must be at least 1"),
    ],
)
def test_a_bad_config_file_is_one_line_naming_the_file(tmp_path, capsys, text, name, message):
    (tmp_path / name).write_text(text)
    assert fit.main(["--config", str(tmp_path / name), "--run-dir", str(tmp_path / "run")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_a_missing_config_file_and_config_with_resume_are_refused(tmp_path, capsys):
    assert fit.main(["--config", str(tmp_path / "none.json")]) == 2
    assert "none.json: cannot read the configuration file" in capsys.readouterr().err
    assert fit.main(["--resume", "--run-dir", str(tmp_path), "--config", str(tmp_path / "none.json")]) == 2
    assert "give only --run-dir" in capsys.readouterr().err


def test_a_runs_config_json_re_runs_it(tmp_path):
    first, second = tmp_path / "first", tmp_path / "second"
    assert fit.main(["--data", "embedded:40", "--epochs", "1", *SMALL[2:], "--seed", "3", "--run-dir", str(first)]) == 0
    assert fit.main(["--config", str(first / "config.json"), "--run-dir", str(second), "--verbose", "0"]) == 0
    assert json.loads((second / "config.json").read_text()) == json.loads((first / "config.json").read_text())
    changed = _configured("--config", str(first / "config.json"), "--seed", "4")
    assert changed.seed == 4 and changed.channels == (8, 8) and changed.data == "embedded:40"


def test_a_run_logs_its_configuration_as_hparams_and_its_graph(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.plugins.hparams import plugin_data_pb2

    run_dir = tmp_path / "run"
    assert fit.main(["--data", "embedded:40", "--epochs", "1", *SMALL[2:], "--run-dir", str(run_dir)]) == 0
    assert list((run_dir / "logs").glob("events.out.tfevents.*")), "no hparams event file in logs/"
    accumulator = EventAccumulator(str(run_dir / "logs"), size_guidance={"tensors": 0})
    accumulator.Reload()
    content = accumulator.PluginTagToContent("hparams")["_hparams_/session_start_info"]
    start = plugin_data_pb2.HParamsPluginData.FromString(content).session_start_info
    config = json.loads((run_dir / "config.json").read_text())
    assert set(start.hparams) == set(config)
    assert start.hparams["epochs"].number_value == 1 and start.hparams["model"].string_value == "step"
    assert start.hparams["channels"].string_value == "(8, 8)" and start.hparams["augment"].bool_value is True
    train = EventAccumulator(str(run_dir / "logs" / "train"))
    train.Reload()
    assert train.Tags()["graph"], "no model graph in logs/train"
