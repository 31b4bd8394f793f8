"""Scoring a run: the test split is touched only for the final score, the best model is the validation's best,
and the evaluate and saliency CLIs write real reports and images."""

import csv
import io
import json

import keras
import numpy as np
import pytest
from PIL import Image

from step_tf import evaluate, saliency
from step_tf.config import resolve
from step_tf.data.augment import default_augmentation
from step_tf.data.sources import load_gaits
from step_tf.evaluation.metrics import confusion_matrix
from step_tf.models.classifiers import STEP
from step_tf.training import loop
from step_tf.training.callbacks import BestModelCheckpoint

DATA = "embedded:160"
TINY = dict(data=DATA, model="step", epochs=3, batch_size=16, channels=(8, 8), strides=(1, 2), temporal_kernel_size=3)


@pytest.fixture(scope="module")
def recorded_run(tmp_path_factory):
    """A tiny STEP run, recording every gait set the loop turns into a dataset or scales features with."""
    run_dir = tmp_path_factory.mktemp("run")
    events = []
    original_dataset, original_adapt = loop.gait_dataset, STEP.adapt_feature_scaling

    def recording_dataset(gait_set, *args, **kwargs):
        events.append(("dataset", frozenset(gait_set.keys.tolist()), (run_dir / "model.keras").exists()))
        return original_dataset(gait_set, *args, **kwargs)

    def recording_adapt(self, joints, *args, **kwargs):
        events.append(("feature scaling", np.array(joints), (run_dir / "model.keras").exists()))
        return original_adapt(self, joints, *args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(loop, "gait_dataset", recording_dataset)
        patch.setattr(STEP, "adapt_feature_scaling", recording_adapt)
        metrics = loop.train(resolve(**TINY), run_dir, verbose=0)
    split = {name: frozenset(keys) for name, keys in json.loads((run_dir / "split.json").read_text()).items()}
    return run_dir, metrics, split, events


def test_the_test_split_is_touched_only_after_training(recorded_run):
    run_dir, _, split, events = recorded_run
    test_uses = [after for kind, keys, after in events if kind == "dataset" and keys & split["test"]]
    assert test_uses == [True], "the test gaits were read before the final score"
    # During training only the training and validation gaits became datasets.
    assert {keys for kind, keys, after in events if kind == "dataset" and not after} == {split["train"], split["validation"]}
    # Affective-feature statistics came from the training gaits alone, augmented as in training.
    gaits = load_gaits(DATA)
    position = {key: index for index, key in enumerate(gaits.keys.tolist())}
    train_keys = json.loads((run_dir / "split.json").read_text())["train"]
    (scaled,) = [joints for kind, joints, _ in events if kind == "feature scaling"]
    training = gaits.joints[[position[key] for key in train_keys]]
    np.testing.assert_array_equal(scaled, loop.scaling_gaits(training, default_augmentation(), resolve(**TINY).seed))


def test_best_model_is_the_best_validation_epoch(recorded_run):
    run_dir, metrics, _, _ = recorded_run
    with open(run_dir / "history.csv") as handle:
        validation_accuracies = [float(row["val_accuracy"]) for row in csv.DictReader(handle)]
    assert metrics["validation"]["accuracy"] == pytest.approx(max(validation_accuracies), abs=1e-6)


def test_checkpoint_keeps_the_model_of_the_highest_validation_accuracy(tmp_path):
    model = keras.Sequential([keras.Input((1,)), keras.layers.Dense(1, use_bias=False)])
    checkpoint = BestModelCheckpoint(tmp_path / "best.keras")
    checkpoint.set_model(model)
    # A training accuracy that keeps rising must not matter; only val_accuracy does.
    for epoch, (validation, training) in enumerate([(0.2, 0.5), (0.6, 0.7), (0.4, 0.9), (0.6, 0.95)]):
        model.set_weights([np.array([[float(epoch)]])])
        checkpoint.on_epoch_end(epoch, {"val_accuracy": validation, "accuracy": training})
    assert keras.saving.load_model(tmp_path / "best.keras").get_weights()[0][0, 0] == 1.0  # epoch 1, first to reach 0.6


def test_evaluate_cli_agrees_with_the_final_score_and_writes_real_files(recorded_run, capsys):
    run_dir, metrics, split, _ = recorded_run
    assert evaluate.main([str(run_dir), "--resamples", "999"]) == 0
    assert "accuracy" in capsys.readouterr().out
    report = json.loads((run_dir / "evaluation" / "evaluation-test.json").read_text())
    assert report["num_gaits"] == len(split["test"])
    assert report["confusion_matrix"] == metrics["test"]["confusion_matrix"]
    assert report["accuracy"] == metrics["test"]["accuracy"]
    interval = report["accuracy_interval"]
    assert interval["low"] <= report["accuracy"] <= interval["high"]
    assert interval["method"].startswith("percentile bootstrap over groups")  # subjects, not gaits
    # The confusion matrix again, from the model's predictions and counted independently.
    gaits = load_gaits(DATA)
    chosen = np.isin(gaits.keys, sorted(split["test"]))
    model = keras.saving.load_model(run_dir / "best.keras")
    predicted = np.argmax(model.predict(gaits.joints[chosen], verbose=0), axis=1)
    counted = np.zeros((4, 4), int)
    for true_label, predicted_label in zip(gaits.labels[chosen], predicted):
        counted[true_label, predicted_label] += 1
    np.testing.assert_array_equal(counted, report["confusion_matrix"])
    np.testing.assert_array_equal(counted, confusion_matrix(gaits.labels[chosen], predicted, 4))
    image = Image.open(run_dir / "evaluation" / "confusion_matrix-test.png")
    assert image.format == "PNG" and image.size == (480, 420)


def test_evaluate_cli_refuses_what_it_cannot_score(recorded_run, tmp_path, capsys):
    run_dir, *_ = recorded_run
    assert evaluate.main([str(tmp_path)]) == 2
    assert "config.json: not found" in capsys.readouterr().err
    # Another data set lacks the run's test keys.
    assert evaluate.main([str(run_dir), "--data", "embedded:20", "--split", "test"]) == 2
    assert "are not in the data" in capsys.readouterr().err


def test_evaluate_scores_all_of_other_data_and_says_so(recorded_run, tmp_path, capsys):
    run_dir, *_ = recorded_run
    out_dir = tmp_path / "other"
    assert evaluate.main([str(run_dir), "--data", "embedded:20:7", "--resamples", "99", "--out-dir", str(out_dir)]) == 0
    captured = capsys.readouterr()
    assert f"--data embedded:20:7 is not the run's own data ({DATA}): scoring all of its gaits" in captured.err
    assert captured.out.startswith("all: accuracy") and "on 20 gaits" in captured.out
    report = json.loads((out_dir / "evaluation-all.json").read_text())
    assert (report["split"], report["num_gaits"], report["data"]) == ("all", 20, "embedded:20:7")
    # The run's own data named again: its test split, as without --data.
    assert evaluate.main([str(run_dir), "--data", DATA, "--resamples", "99", "--out-dir", str(out_dir)]) == 0
    captured = capsys.readouterr()
    assert captured.out.startswith("test: accuracy") and "note:" not in captured.err


def test_saliency_cli_writes_a_map_and_a_real_image(recorded_run, capsys):
    run_dir, _, split, _ = recorded_run
    key = sorted(split["test"])[0]
    assert saliency.main([str(run_dir), "--gait", key, "--class", "sad"]) == 0
    saliency_map = np.load(run_dir / "saliency" / f"saliency-{key}.npy")
    assert saliency_map.shape == (75, 16, 3) and np.abs(saliency_map).max() > 0
    image = Image.open(io.BytesIO((run_dir / "saliency" / f"saliency-{key}.png").read_bytes()))
    assert image.format == "PNG" and image.size == (1200, 420)
    assert saliency.main([str(run_dir), "--gait", "no-such-gait"]) == 2
    assert "no gait with key 'no-such-gait'" in capsys.readouterr().err
