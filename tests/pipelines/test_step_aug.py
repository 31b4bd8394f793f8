"""The STEP+Aug pipeline end to end, tiny: every artifact, a second run that skips every stage, and no push for a worse model."""

import json
import shutil

import keras
import numpy as np
import pytest

from pipelines import stages, step_aug
from pipelines.example_gen import STATISTICS_FILE, shard_pattern
from step_tf.data.sources import load_gaits
from step_tf.evaluation.report import run_gaits
from step_tf.runs import load_run
from step_tf.serving.versions import list_versions

TINY = ["--data", "embedded:64", "--shards", "2", "--epochs", "1", "--generator-epochs", "1", "--batch-size", "16",
        "--channels", "8,8", "--strides", "1,2", "--generator-channels", "8,8", "--generator-strides", "1,2",
        "--latent-dim", "4", "--temporal-kernel-size", "3", "--no-augment", "--per-class", "4", "--no-tflite", "--verbose", "0"]


# The end-to-end run takes about 40 s (a STEP-Gen, two classifiers, evaluation, a push) and a rerun 20 s more:
# its tests are opt-in (-m slow). The default suite keeps the Beam example generation
# (tests/pipelines/test_example_gen.py), the stages' skipping and failure rules (test_artifacts.py) and the
# option checks below.
@pytest.fixture(scope="module")
def pipeline_run(tmp_path_factory):
    root = tmp_path_factory.mktemp("pipeline")
    arguments = ["--name", "gaits", "--out", str(root / "out"), "--serving-base", str(root / "serving"), *TINY]
    assert step_aug.main(arguments) == 0
    return root, arguments


@pytest.mark.slow

def test_the_pipeline_writes_every_artifact_and_pushes_the_first_model(pipeline_run):
    root, _ = pipeline_run
    out = root / "out"
    for folder in step_aug.STAGE_FOLDERS:
        assert (out / folder / "fingerprint.json").is_file(), folder
    source = load_gaits("embedded:64")
    examples = load_gaits(f"tfrecord:{shard_pattern(str(out / 'example_gen'))}")
    assert examples.keys.tolist() == sorted(source.keys.tolist())
    assert json.loads((out / "example_gen" / STATISTICS_FILE).read_text())["gaits"] == len(source)
    assert len(list((out / "example_gen" / "examples").glob("*.tfrecord"))) == 2

    augmented = json.loads((out / "step_aug_trainer" / "config.json").read_text())
    assert augmented["generated"] == str(out / "generation" / stages.GENERATED_FEATURES)
    assert augmented["data"] == f"tfrecord:{shard_pattern(str(out / 'example_gen'))}"
    generated = load_gaits(f"egait:{out / 'generation' / 'features.h5'},{out / 'generation' / 'labels.h5'}")
    assert len(generated) == 4 * 4
    splits = [json.loads((out / name / "split.json").read_text()) for name in ("stepgen_trainer", "step_aug_trainer")]
    assert splits[0] == splits[1]  # one split: the generator never saw a test gait

    blessing = json.loads((out / "evaluator" / stages.BLESSING_FILE).read_text())
    validation = json.loads((out / "evaluator" / "evaluation-validation.json").read_text())
    evaluation = json.loads((out / "evaluator" / "evaluation-test.json").read_text())
    assert blessing["blessed"] and blessing["baseline"] is None and (out / "evaluator" / stages.BLESSED_MARKER).is_file()
    # Chosen on validation, reported on test.
    assert blessing["metric"] == "validation accuracy" and blessing["candidate"] == validation["accuracy"]
    assert validation["num_gaits"] == len(splits[1]["validation"])
    assert blessing["test_accuracy"] == evaluation["accuracy"] and evaluation["num_gaits"] == len(splits[1]["test"])
    assert list_versions(root / "serving" / "gaits") == [1]
    assert json.loads((out / "pusher" / stages.PUSHED_FILE).read_text()) == {"pushed": True, "version": 1, "path": str(root / "serving" / "gaits" / "1")}


@pytest.mark.slow

def test_a_second_run_skips_every_stage(pipeline_run, capsys):
    root, arguments = pipeline_run
    before = {path: path.stat().st_mtime_ns for path in (root / "out").rglob("*") if path.is_file() and path.name != "pipeline_run.json"}
    assert step_aug.main(arguments) == 0
    printed = capsys.readouterr().out
    assert printed.count("SKIPPED (inputs and parameters unchanged)") == len(step_aug.STAGE_FOLDERS)
    record = json.loads((root / "out" / "pipeline_run.json").read_text())
    assert all(stage["skipped"] for stage in record.values()) and set(record) == set(step_aug.STAGE_FOLDERS)
    after = {path: path.stat().st_mtime_ns for path in (root / "out").rglob("*") if path.is_file() and path.name != "pipeline_run.json"}
    assert after == before
    assert list_versions(root / "serving" / "gaits") == [1]


def _always_wrong_model(gaits):
    """A linear model whose logits favour a wrong class for every one of ``gaits`` (least squares; more weights than gaits)."""
    flat = gaits.joints.reshape(len(gaits), -1).astype(np.float64)
    wrong = (gaits.labels + 1) % gaits.num_classes
    targets = 10.0 * (np.eye(gaits.num_classes)[wrong] - 0.5)
    kernel = np.linalg.pinv(flat) @ targets
    model = keras.Sequential([keras.Input(gaits.joints.shape[1:]), keras.layers.Flatten(), keras.layers.Dense(gaits.num_classes)])
    model.layers[-1].set_weights([kernel.astype(np.float32), np.zeros(gaits.num_classes, np.float32)])
    assert not np.any(np.argmax(model.predict(gaits.joints, verbose=0), axis=-1) == gaits.labels)
    return model


@pytest.mark.slow

def test_a_worse_candidate_is_not_blessed_or_pushed(pipeline_run, tmp_path):
    root, _ = pipeline_run
    out, serving = root / "out", root / "serving" / "gaits"
    candidate = tmp_path / "worse_run"
    shutil.copytree(out / "step_aug_trainer", candidate)
    config, _ = load_run(candidate)
    # Wrong on every validation gait: the blessing must see that, whatever it scores on test.
    _always_wrong_model(run_gaits(candidate, config, split="validation")).save(candidate / "best.keras")

    versions = list_versions(serving)
    margin = 0.01
    blessing = stages.evaluator(tmp_path / "evaluator", candidate, out / "example_gen", serving, margin=margin).summary
    assert blessing["candidate"] == 0.0 and blessing["baseline_version"] == versions[-1]
    assert blessing["candidate"] < blessing["baseline"] + margin
    assert blessing["blessed"] is False and not (tmp_path / "evaluator" / stages.BLESSED_MARKER).exists()
    pushed = stages.pusher(tmp_path / "pusher", candidate, tmp_path / "evaluator", serving, tflite=False).summary
    assert pushed["pushed"] is False and "not blessed" in pushed["reason"]
    assert list_versions(serving) == versions


@pytest.mark.slow

def test_changing_the_classifier_epochs_reruns_only_the_stages_after_it(pipeline_run):
    root, arguments = pipeline_run
    epochs = arguments.index("--epochs") + 1
    assert step_aug.main([*arguments[:epochs], "2", *arguments[epochs + 1:]]) == 0
    record = json.loads((root / "out" / "pipeline_run.json").read_text())
    assert {name: stage["skipped"] for name, stage in record.items()} == {
        "example_gen": True, "stepgen_trainer": True, "generation": True,
        "step_aug_trainer": False, "evaluator": False, "pusher": False,
    }
    assert json.loads((root / "out" / "step_aug_trainer" / "config.json").read_text())["epochs"] == 2
    blessing = record["evaluator"]["summary"]
    assert blessing["baseline_version"] == 1
    assert list_versions(root / "serving" / "gaits") == ([1, 2] if blessing["blessed"] else [1])


def test_bad_options_are_clear_errors(tmp_path, capsys):
    assert step_aug.main(["--name", "a/b", "--out", str(tmp_path / "out")]) == 2
    assert "model name 'a/b' must be a plain folder name" in capsys.readouterr().err
    assert step_aug.main(["--name", "gaits", "--out", str(tmp_path / "out"), "--data", "mocap:somewhere"]) == 2
    assert "unknown data spec 'mocap:somewhere'" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()
