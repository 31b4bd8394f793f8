"""Generation from a generator run (library and CLI), the canonical view, STEP+Aug's training data, fit --model stepgen."""

import json

import keras
import numpy as np
import pytest

from step_tf import generate
from step_tf.data.datasets import augmented_training_dataset
from step_tf.data.egait import read_egait
from step_tf.data.egait import labels_path_for
from step_tf.data.gaits import GaitSet
from step_tf.data.preprocess import canonical_view
from step_tf.graph import get_layout
from step_tf.models.stepgen import STEPGen
from step_tf.training.generated import check_no_leak

LABELS = ("angry", "neutral", "happy", "sad")


@pytest.fixture(scope="module")
def generator_run(tmp_path_factory):
    """A finished generator run made by hand: a small STEP-Gen in best.keras and its metrics.json."""
    run_dir = tmp_path_factory.mktemp("run")
    model = STEPGen(latent_dim=4, encoder_channels=(8,), encoder_strides=(1,), decoder_channels=(8,), temporal_kernel_size=3, num_frames=10)
    joints = np.random.default_rng(0).standard_normal((6, 10, 16, 3)).astype(np.float32)
    model.adapt(joints)
    model.fit_latent_density(joints, np.array([0, 1, 2, 3, 0, 1]))
    model.save(run_dir / "best.keras")
    (run_dir / "metrics.json").write_text(json.dumps({"model": "stepgen", "label_names": list(LABELS)}))
    return run_dir, model


def test_generate_writes_a_seeded_egait_pair(generator_run, tmp_path, capsys):
    run_dir, model = generator_run
    out = tmp_path / "features_generated.h5"
    assert generate.main([str(run_dir), "--per-class", "3", "--out", str(out), "--seed", "4"]) == 0
    labels_file = tmp_path / "labels_generated.h5"
    assert labels_file.is_file() and str(labels_file) in capsys.readouterr().out
    gaits = read_egait(out, labels_file, label_names=LABELS, num_frames=10)
    assert len(gaits) == 12
    assert gaits.keys.tolist()[:4] == ["00001_Angry", "00002_Angry", "00003_Angry", "00004_Neutral"]
    for key, label in zip(gaits.keys, gaits.labels):
        assert key.split("_")[1].lower() == LABELS[label]
    np.testing.assert_array_equal(gaits.joints, model.generate(np.repeat(np.arange(4), 3), seed=4))
    again = tmp_path / "again_features.h5"
    assert generate.main([str(run_dir), "--per-class", "3", "--out", str(again), "--seed", "4"]) == 0
    np.testing.assert_array_equal(read_egait(again, tmp_path / "again_labels.h5", num_frames=10).joints, gaits.joints)
    assert not list(tmp_path.glob(".*"))  # no temporary files left behind


def test_generate_samples_each_class_aggregate_posterior_when_asked(generator_run, tmp_path):
    run_dir, model = generator_run
    out = tmp_path / "features.h5"
    assert generate.main([str(run_dir), "--per-class", "2", "--out", str(out), "--seed", "1", "--sampler", "aggregate"]) == 0
    joints = read_egait(out, tmp_path / "labels.h5", label_names=LABELS, num_frames=10).joints
    labels = np.repeat(np.arange(4), 2)
    np.testing.assert_array_equal(joints, model.generate(labels, seed=1, sampler="aggregate"))
    assert not np.array_equal(joints, model.generate(labels, seed=1))


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["--per-class", "0"], "--per-class must be at least 1"),
        (["--per-class", "2", "--run-is-missing"], "not a finished generator run"),
    ],
)
def test_bad_generate_arguments_fail_with_one_clear_line(generator_run, tmp_path, capsys, arguments, message):
    run_dir = tmp_path / "nothing" if "--run-is-missing" in arguments else generator_run[0]
    arguments = [a for a in arguments if a != "--run-is-missing"]
    assert generate.main([str(run_dir), *arguments, "--out", str(tmp_path / "f.h5")]) == 2
    assert message in capsys.readouterr().err


def test_labels_path_for():
    assert labels_path_for("data/features_gen.h5").name == "labels_gen.h5"
    assert labels_path_for("data/gen.h5").name == "gen_labels.h5"


def test_canonical_view_starts_at_the_origin_facing_forward():
    # A gait walking along +x from (3, 0.9, 5); facing +x with y up, the walker's left is -z.
    layout = get_layout("step16")
    frames = np.arange(8, dtype=np.float32)
    gait = np.zeros((8, 16, 3), np.float32)
    gait[:, :, 1] = 0.9
    gait[:, :, 0] = 3.0 + 0.04 * frames[:, None]
    gait[:, :, 2] = 5.0
    gait[:, layout.joint_index("hip_left"), 2] -= 0.1
    gait[:, layout.joint_index("hip_right"), 2] += 0.1
    canonical = canonical_view(gait[None])[0]
    root = layout.joint_index("root")
    np.testing.assert_allclose(canonical[0, root], [0.0, 0.9, 0.0], atol=1e-6)
    np.testing.assert_allclose(canonical[-1, root], [0.0, 0.9, 0.28], atol=1e-6)  # 7 frames x 0.04 m along +z
    np.testing.assert_allclose(canonical[0, layout.joint_index("hip_left")], [0.1, 0.9, 0.0], atol=1e-6)  # left is +x


def _marked(num_gaits, value, label_names=LABELS):
    joints = np.full((num_gaits, 5, 16, 3), value, np.float32)
    return GaitSet(joints, np.arange(num_gaits) % 4, label_names, keys=[f"{value}_{i}" for i in range(num_gaits)])


def test_generated_gaits_join_the_training_batches_at_the_asked_ratio():
    real, generated = _marked(40, 1.0), _marked(8, -1.0)
    pooled = np.concatenate([joints[:, 0, 0, 0] for joints, _ in augmented_training_dataset(real, generated, 16)])
    assert np.sum(pooled == 1.0) == 40 and np.sum(pooled == -1.0) == 8
    mixed = np.concatenate([joints[:, 0, 0, 0] for joints, _ in augmented_training_dataset(real, generated, 16, ratio=0.5, seed=3)])
    # Every real gait once; generated ones drawn with probability 0.5 (repeated as needed) until the real ones run out.
    assert np.sum(mixed == 1.0) == 40
    assert 25 <= np.sum(mixed == -1.0) <= 60
    with pytest.raises(ValueError, match=r"ratio must be in \(0, 1\)"):
        augmented_training_dataset(real, generated, 16, ratio=1.0)


@pytest.mark.slow
def test_fit_trains_stepgen_and_the_baseline_with_every_loss_in_tensorboard(tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    from step_tf import fit

    small = ["--data", "embedded:40", "--epochs", "2", "--batch-size", "8", "--generator-channels", "8,8",
             "--generator-strides", "1,2", "--latent-dim", "4", "--temporal-kernel-size", "3", "--verbose", "0"]
    for model in ("stepgen", "cvae_baseline"):
        run_dir = tmp_path / model
        assert fit.main(["--model", model, "--run-dir", str(run_dir), *small]) == 0
        metrics = json.loads((run_dir / "metrics.json").read_text())
        assert metrics["label_names"] == list(LABELS) and metrics["test"]["push_loss"] > 0
        for part in ("train", "validation"):
            accumulator = EventAccumulator(str(run_dir / "logs" / part), size_guidance={"tensors": 0})
            accumulator.Reload()
            tags = set(accumulator.Tags()["tensors"])
            assert {f"epoch_{name}" for name in ("loss", "reconstruction_loss", "push_loss", "pull_loss", "kl_loss")} <= tags
        assert keras.saving.load_model(run_dir / "best.keras").lambda_c == (0.0 if model == "cvae_baseline" else 1.0)
    # best.keras holds the class densities of its own weights on the training split.
    from step_tf.data.preprocess import canonical_view
    from step_tf.data.sources import load_gaits

    gaits = load_gaits("embedded:40")
    train = gaits.subset(np.array([gaits.keys.tolist().index(key) for key in json.loads((tmp_path / "stepgen" / "split.json").read_text())["train"]]))
    saved = keras.saving.load_model(tmp_path / "stepgen" / "best.keras")
    fitted = np.asarray(saved.latent_class_mean).copy()
    saved.fit_latent_density(canonical_view(train.joints), train.labels)
    np.testing.assert_allclose(fitted, np.asarray(saved.latent_class_mean), rtol=1e-6)
    assert np.abs(fitted).max() > 0
    out = tmp_path / "features.h5"
    assert generate.main([str(tmp_path / "stepgen"), "--per-class", "2", "--out", str(out), "--sampler", "aggregate"]) == 0
    classifier = tmp_path / "step_aug"
    assert fit.main(["--model", "step", "--run-dir", str(classifier), "--data", "embedded:40", "--epochs", "1",
                     "--batch-size", "8", "--channels", "8", "--strides", "1", "--temporal-kernel-size", "3",
                     "--generated", str(out), "--verbose", "0"]) == 0
    split = json.loads((classifier / "split.json").read_text())
    assert not any(key.endswith(("_Angry", "_Neutral", "_Happy", "_Sad")) for keys in split.values() for key in keys)
    assert fit.main(["--model", "step", "--run-dir", str(tmp_path / "step_aug_run"), "--data", "embedded:40", "--epochs", "1",
                     "--batch-size", "8", "--channels", "8", "--strides", "1", "--temporal-kernel-size", "3",
                     "--generated", str(tmp_path / "stepgen"), "--generated-per-class", "2", "--generated-sampler", "aggregate",
                     "--verbose", "0"]) == 0


def test_generated_gaits_appear_as_images_in_tensorboard(generator_run, tmp_path):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator
    from tensorboard.util import tensor_util

    from step_tf.training.callbacks import GeneratedGaitImages

    _, model = generator_run
    callback = GeneratedGaitImages(LABELS, str(tmp_path), every=2)
    callback.set_model(model)
    callback.set_params({"epochs": 3})
    for epoch in range(3):
        callback.on_epoch_end(epoch)
    callback.on_train_end()
    accumulator = EventAccumulator(str(tmp_path), size_guidance={"tensors": 0})
    accumulator.Reload()
    images = accumulator.Tensors("generated_gaits")
    assert [event.step for event in images] == [1, 2]  # every second epoch, and the last
    width, height, png = tensor_util.make_ndarray(images[-1].tensor_proto)[:3]
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and int(width) >= 4 * 200 and int(height) > 100


def test_step_aug_refuses_a_generator_trained_on_held_out_gaits(tmp_path):
    run = tmp_path / "generator"
    run.mkdir()
    (run / "split.json").write_text(json.dumps({"train": ["s1_a", "s1_b"], "validation": ["s2_a"], "test": ["s3_a"]}))
    # The same split for both (the documented workflow): a shared validation part, test gaits never seen.
    check_no_leak(run, validation_keys=["s2_a"], test_keys=["s3_a", "s4_a"])
    with pytest.raises(ValueError, match=r"has seen 1 gait\(s\) .*keys s1_b\)"):  # trained on the classifier's validation gaits
        check_no_leak(run, validation_keys=["s1_b"], test_keys=["s3_a"])
    with pytest.raises(ValueError, match=r"has seen 2 gait\(s\) .*keys s1_a, s2_a\)"):  # trained on / chose its epoch on its test gaits
        check_no_leak(run, validation_keys=["s9_z"], test_keys=["s1_a", "s2_a"])
