"""The reliability catalogue outside serving and killed runs: no NaN model, no half-made run directory, no traceback.

Each test is one reported case that must not come back (docs/reliability.md).
"""

import json
import os
import re
import shutil
import subprocess
import sys
import zipfile

import keras
import numpy as np
import pytest

from step_tf import fit
from step_tf.files import atomic_output, write_json

TINY = ["--epochs", "1", "--batch-size", "16", "--channels", "4,4", "--strides", "1,2", "--temporal-kernel-size", "3",
        "--verbose", "0"]


# 4. A NaN model neither trains, nor exports, nor answers.

def test_a_non_finite_learning_rate_is_refused_before_anything_is_written(tmp_path, capsys):
    assert fit.main(["--data", "embedded:64", "--learning-rate", "inf", "--run-dir", str(tmp_path / "run"), *TINY]) == 2
    assert "learning rate must be positive and finite, got inf" in capsys.readouterr().err
    assert not (tmp_path / "run").exists()


def test_a_diverging_loss_stops_training_with_a_clear_error():
    from step_tf.training.callbacks import StopOnNonFiniteLoss, TrainingDiverged

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
    model.compile(optimizer=keras.optimizers.SGD(1e30), loss="mse")
    x = np.ones((32, 3), np.float32) * 1e10
    with pytest.raises(TrainingDiverged, match=r"training diverged: the loss is (nan|inf) at epoch 1, batch \d+ .*lower --learning-rate"):
        model.fit(x, x[:, :1], epochs=3, batch_size=4, verbose=0, callbacks=[StopOnNonFiniteLoss()])


def test_nan_values_are_never_written_as_json(tmp_path):
    with pytest.raises(ValueError, match="metrics.json: refusing to write NaN"):
        write_json(tmp_path / "metrics.json", {"accuracy": float("nan")})
    assert not list(tmp_path.iterdir())


# 9. A run directory is made only once the run can start, and a failed run can be given again.

@pytest.mark.parametrize("arguments, message", [
    (["--data", "embedded:0"], "embedded"),
    (["--channels", "0,4"], "channels and strides must be at least 1"),
])
def test_a_run_that_cannot_start_writes_nothing(tmp_path, capsys, arguments, message):
    run_dir = tmp_path / "run"
    assert fit.main(["--run-dir", str(run_dir), *TINY, *arguments]) == 2
    assert message in capsys.readouterr().err
    assert not run_dir.exists()


def test_a_run_dir_that_is_a_file_is_one_clear_error(tmp_path, capsys):
    (tmp_path / "taken").write_text("x")
    assert fit.main(["--data", "embedded:64", "--run-dir", str(tmp_path / "taken"), *TINY]) == 2
    assert "taken: is a file, not a run directory" in capsys.readouterr().err


def test_a_run_failing_in_its_first_epoch_removes_what_it_wrote(tmp_path, monkeypatch):
    from step_tf.config import resolve
    from step_tf.training import loop

    def failing_fit(*args, **kwargs):
        raise ValueError("the disk is full")

    monkeypatch.setattr(loop, "fit_and_save", failing_fit)
    config = resolve(data="embedded:64", epochs=1, batch_size=16, channels=(4, 4), strides=(1, 2), temporal_kernel_size=3)
    (tmp_path / "empty").mkdir()
    for run_dir in (tmp_path / "new", tmp_path / "empty"):
        with pytest.raises(ValueError, match="the disk is full"):
            loop.train(config, run_dir, verbose=0)
        assert not run_dir.exists() or not any(run_dir.iterdir())


def test_resume_of_a_run_killed_before_its_first_backup_starts_it_again(tmp_path):
    from step_tf.training.backup import trim_history

    history = tmp_path / "history.csv"
    history.write_text("epoch,accuracy\n0,0.5\n1,0.6\n2,0.")
    trim_history(history, 1)
    assert history.read_text() == "epoch,accuracy\n0,0.5\n"  # the redone epoch and the cut-short line are gone


# 5 and 10. Pairs and partial files.

def test_generate_checks_both_outputs_before_writing_either(tmp_path):
    from step_tf.data.egait import write_egait
    from step_tf.data.sources import load_gaits

    gaits = load_gaits("embedded:8")
    features, labels = tmp_path / "features.h5", tmp_path / "labels.h5"
    write_egait(gaits, features, labels)
    before = labels.read_bytes()
    (tmp_path / "folder").mkdir()
    with pytest.raises(IsADirectoryError, match="folder: is a folder; give a file name"):
        write_egait(gaits.subset(np.arange(4)), tmp_path / "folder", labels)
    assert labels.read_bytes() == before
    assert sorted(path.name for path in tmp_path.iterdir()) == ["features.h5", "folder", "labels.h5"]


def test_a_killed_writers_partial_files_are_removed_by_the_next_writer(tmp_path):
    target = tmp_path / "gaits.h5"
    code = (
        "import os, pathlib, signal; from step_tf.files import atomic_output\n"
        f"with atomic_output(pathlib.Path({str(target)!r})) as temporary:\n"
        "    temporary.write_bytes(b'x' * 1000000); os.kill(os.getpid(), signal.SIGKILL)\n"
    )
    assert subprocess.run([sys.executable, "-c", code], env=os.environ).returncode != 0
    assert [path.name for path in tmp_path.iterdir() if ".partial-" in path.name]  # what kill -9 leaves
    with atomic_output(target) as temporary:
        temporary.write_text("whole")
    assert [path.name for path in tmp_path.iterdir()] == ["gaits.h5"]


# 7. A broken .keras file is one error naming it.

def test_a_truncated_or_foreign_keras_file_is_named(tmp_path):
    from step_tf.runs import load_keras_model

    good = tmp_path / "good.keras"
    keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]).save(good)
    truncated = tmp_path / "truncated.keras"
    truncated.write_bytes(good.read_bytes()[: good.stat().st_size // 2])
    with pytest.raises(ValueError, match="truncated.keras: not a .keras archive, or one cut short"):
        load_keras_model(truncated)
    foreign = tmp_path / "foreign.keras"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(foreign, "w") as target:
        for item in source.infolist():
            data = source.read(item)
            if item.filename == "config.json":
                config = json.loads(data)
                config.update(module="builtins", class_name="print", registered_name=None)
                data = json.dumps(config).encode()
            target.writestr(item, data)
    with pytest.raises(ValueError, match="foreign.keras: cannot load this Keras model"):
        load_keras_model(foreign)


# 7. Tracebacks become one error naming the file.

def _bvh(frame_time="0.0333333", depth=1) -> str:
    opening = "".join(f"JOINT J{level}\n{{\nOFFSET 0 1 0\nCHANNELS 3 Zrotation Xrotation Yrotation\n" for level in range(depth))
    closing = "End Site\n{\nOFFSET 0 1 0\n}\n" + "}\n" * depth
    channels = 6 + 3 * depth
    return ("HIERARCHY\nROOT Hips\n{\nOFFSET 0 0 0\nCHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation\n"
            f"{opening}{closing}}}\nMOTION\nFrames: 2\nFrame Time: {frame_time}\n" + ("0 " * channels + "\n") * 2)


@pytest.mark.parametrize("text, message", [
    (_bvh(frame_time="1e16"), r"clip.bvh: line \d+: Frame Time: 1e\+16 must be in \(0, 1\] seconds"),
    (_bvh(depth=3000), "clip.bvh: the joint hierarchy is nested too deeply"),
])
def test_absurd_bvh_files_are_one_error_naming_them(tmp_path, text, message):
    from step_tf.data.bvh import read_bvh

    (tmp_path / "clip.bvh").write_text(text)
    with pytest.raises(ValueError, match=message):
        read_bvh(tmp_path / "clip.bvh")


def test_outputs_that_are_folders_are_refused_before_any_work(tmp_path, capsys):
    from step_tf import generate, predict, video

    for main, arguments in [
        (predict.main, ["--model", str(tmp_path), "--input", "x.npz", "--output", str(tmp_path)]),
        (generate.main, [str(tmp_path), "--per-class", "1", "--out", str(tmp_path)]),
        (video.main, ["clip.mp4", "--model", str(tmp_path), "--output", str(tmp_path)]),
        (video.main, ["clip.mp4", "--model", str(tmp_path), "--render", str(tmp_path)]),
    ]:
        with pytest.raises(SystemExit) as exit_status:
            main(arguments)
        assert exit_status.value.code == 2
        assert f"{tmp_path}: is a folder; give a file name to write" in capsys.readouterr().err


def test_video_refuses_a_render_format_before_analysing(tmp_path, capsys):
    from step_tf import video

    assert video.main([str(tmp_path / "missing.mp4"), "--model", str(tmp_path / "missing"), "--render", str(tmp_path / "out.txt")]) == 2
    assert "out.txt: cannot render to .txt" in capsys.readouterr().err


def test_an_unwritable_output_is_one_line(tmp_path, capsys):
    (tmp_path / "file").write_text("x")
    assert fit.main(["--data", "embedded:64", "--run-dir", str(tmp_path / "file" / "run"), *TINY]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1 and str(tmp_path / "file") in errors[0]


# 8. Silent nonsense: gaits no model should classify are refused, naming the file and gait, unless overridden.

def _egait(tmp_path, gaits: dict, name="f") -> str:
    """An E-Gait features/labels pair of ``{key: (T, 16, 3) joints}``, all labelled 0, as a data spec."""
    import h5py

    with h5py.File(tmp_path / f"{name}.h5", "w") as features, h5py.File(tmp_path / f"{name}_labels.h5", "w") as labels:
        for key, joints in gaits.items():
            features.create_dataset(key, data=np.asarray(joints, np.float32).reshape(len(joints), -1))
            labels.create_dataset(key, data=np.int32(0))
    return f"egait:{tmp_path / f'{name}.h5'},{tmp_path / f'{name}_labels.h5'}"


def _walk(num_frames=75, scale=1.0):
    """One embedded walk (metres), its first ``num_frames`` frames, times ``scale``."""
    from step_tf.data.sources import load_gaits

    return load_gaits("embedded:1").joints[0, :num_frames] * np.float32(scale)


def test_a_gait_of_fewer_than_15_real_frames_is_refused_not_tiled_into_a_static_pose(tmp_path):
    from step_tf.data.sources import load_gaits

    walk = _walk()
    spec = _egait(tmp_path, {"long": walk, "pose": walk[:1]})
    with pytest.raises(ValueError, match=re.escape(f"f.h5: gait 'pose': only 1 real frame(s); a gait needs at least 15")):
        load_gaits(spec)
    # Overridden, it is what the models used to get: one pose, 75 times.
    tiled = load_gaits(spec, plausibility_check=False)
    assert tiled.keys.tolist() == ["long", "pose"] and np.array_equal(tiled.joints[1], np.repeat(walk[:1], 75, axis=0))
    # The rule's edge: 14 real frames are refused, 15 tiled (cyclically: frame 15 is frame 0 again).
    with pytest.raises(ValueError, match="gait 'edge': only 14 real frame"):
        load_gaits(_egait(tmp_path, {"edge": walk[:14]}, name="g"))
    fifteen = load_gaits(_egait(tmp_path, {"edge": walk[:15]}, name="h")).joints[0]
    assert np.array_equal(fifteen[15], walk[0]) and np.array_equal(fifteen[:15], walk[:15])


def test_a_bvh_whose_frames_collapse_to_one_is_refused_and_short_real_clips_are_kept(tmp_path, fixtures_dir, bandai_dir):
    from step_tf.data.bvh import bvh_positions, read_bvh_gaits
    from step_tf.data.sources import load_gaits

    # A frame time of 1 microsecond: the whole clip lasts under one 30 fps frame, so resampling leaves one.
    text = (fixtures_dir / "dataset-1_walk_angry_001.bvh").read_text()
    (tmp_path / "walk_angry_001.bvh").write_text(re.sub(r"Frame Time:.*", "Frame Time: 0.000001", text))
    with pytest.raises(ValueError, match=re.escape(f"{tmp_path / 'walk_angry_001.bvh'} (resampled to 30 fps): only 1 real frame(s)")):
        load_gaits(f"bvh:{tmp_path}")
    assert load_gaits(f"bvh:{tmp_path}", plausibility_check=False).joints.shape == (1, 75, 16, 3)
    # A real clip shorter than 75 frames but over 15 is tiled as before.
    clip = bandai_dir / "dataset-1_walk_normal_002.bvh"
    assert 15 <= bvh_positions(clip).shape[0] < 75
    assert read_bvh_gaits(clip, "neutral").joints.shape == (1, 75, 16, 3)


@pytest.mark.parametrize("scale, advice", [
    (1000.0, "looks like millimetres: divide by 1000"),
    (100.0, "looks like centimetres: divide by 100"),
    (1e6, "coordinates must be metres"),
])
def test_gaits_not_in_metres_are_refused_with_the_likely_unit(tmp_path, scale, advice):
    from step_tf.data.sources import load_gaits

    walk = _walk()
    spec = _egait(tmp_path, {"metres": walk, "scaled": walk * np.float32(scale)})
    expected = f"gait 'scaled' has a root-to-neck distance of {np.median(np.linalg.norm(walk[:, 2] - walk[:, 0], axis=-1)) * scale:.4g}"
    with pytest.raises(ValueError, match=re.escape(expected) + r" \(median over frames\), outside the human 0.2-1.0 m; " + re.escape(advice)):
        load_gaits(spec)
    assert len(load_gaits(spec, plausibility_check=False)) == 2


def test_real_and_embedded_gaits_pass_the_units_check(bandai_dir):
    from step_tf.data.plausibility import HUMAN_ROOT_TO_NECK_M, root_to_neck_m
    from step_tf.data.sources import load_gaits

    bandai = root_to_neck_m(load_gaits(f"bandai:{bandai_dir}").joints)  # checked on loading
    assert np.allclose(bandai, 0.41, atol=0.05)  # the actor's hips-to-neck, README "bones"
    from step_tf.data.synthetic import ANATOMICAL_SEGMENTS, MOCAP_SEGMENTS, REFERENCE_HEIGHT

    embedded = root_to_neck_m(load_gaits("embedded:2000").joints)
    # Each subject's trunk lies between the anatomical and the motion-capture rig's, uniformly: on average midway.
    midway = REFERENCE_HEIGHT * (ANATOMICAL_SEGMENTS["trunk"] + MOCAP_SEGMENTS["trunk"]) / 2.0
    assert abs(embedded.mean() - midway) < 0.01 and HUMAN_ROOT_TO_NECK_M[0] < embedded.min() and embedded.max() < HUMAN_ROOT_TO_NECK_M[1]


def test_predict_refuses_millimetres_before_loading_a_model(tmp_path, capsys):
    from step_tf import predict

    np.savez(tmp_path / "mm.npz", positions=_walk(scale=1000.0)[None])
    arguments = ["--model", str(tmp_path / "no-model"), "--input", str(tmp_path / "mm.npz")]
    assert predict.main(arguments) == 2
    error = capsys.readouterr().err
    assert f"{tmp_path / 'mm.npz'}: gait '00000' has a root-to-neck distance" in error and "looks like millimetres: divide by 1000" in error
    # Overridden, the gaits are read and the next problem is the missing model.
    assert predict.main([*arguments, "--no-plausibility-check"]) == 2
    assert "no-model: model not found" in capsys.readouterr().err


def test_tfrecord_gaits_are_fitted_to_75_frames_as_egait_gaits_are(tmp_path):
    import tensorflow as tf

    from step_tf.data.sources import load_gaits
    from step_tf.data.tfrecord import encode_gait

    walk = _walk()
    gaits = {"a_full": walk, "b_short": walk[:40], "c_pose": walk[:10]}
    spec = _egait(tmp_path, gaits)
    with tf.io.TFRecordWriter(str(tmp_path / "gaits.tfrecord")) as writer:
        for key, joints in gaits.items():
            writer.write(encode_gait(joints, 0, "angry", key, key))
    for data in (spec, f"tfrecord:{tmp_path / 'gaits.tfrecord'}"):
        with pytest.raises(ValueError, match=r"(gait|key) 'c_pose'\)?: only 10 real frame"):
            load_gaits(data)
    egait = load_gaits(spec, plausibility_check=False)
    tfrecord = load_gaits(f"tfrecord:{tmp_path / 'gaits.tfrecord'}", plausibility_check=False)
    assert tfrecord.joints.shape == (3, 75, 16, 3) and np.array_equal(tfrecord.joints, egait.joints)
    assert np.array_equal(tfrecord.joints[1, 40:], walk[:35])  # tiled cyclically, not padded or stretched


def test_label_names_for_the_embedded_set_are_refused_at_fit_time(tmp_path, capsys):
    from step_tf.data.sources import load_gaits

    run_dir = tmp_path / "run"
    assert fit.main(["--data", "embedded:64", "--label-names", "a,b", "--run-dir", str(run_dir), *TINY]) == 2
    assert "data spec 'embedded:64': label names a, b do not apply: the embedded set's classes are angry, neutral, happy, sad" in capsys.readouterr().err
    assert not run_dir.exists()
    assert load_gaits("embedded:8", ("angry", "neutral", "happy", "sad")).label_names == ("angry", "neutral", "happy", "sad")


def test_fit_and_evaluate_take_the_override_and_keep_it_in_the_run(tmp_path, capsys):
    from step_tf import evaluate

    from step_tf.data.egait import write_egait
    from step_tf.data.sources import load_gaits

    gaits = load_gaits("embedded:64")
    millimetres = type(gaits)(gaits.joints * np.float32(1000), gaits.labels, gaits.label_names, gaits.groups, gaits.keys)
    write_egait(millimetres, tmp_path / "f.h5", tmp_path / "l.h5")
    data = ["--data", f"egait:{tmp_path / 'f.h5'},{tmp_path / 'l.h5'}"]
    assert fit.main([*data, "--run-dir", str(tmp_path / "refused"), *TINY]) == 2
    assert "looks like millimetres: divide by 1000, or pass --no-plausibility-check" in capsys.readouterr().err
    assert not (tmp_path / "refused").exists()
    run_dir = tmp_path / "run"
    assert fit.main([*data, "--no-plausibility-check", "--run-dir", str(run_dir), *TINY]) == 0
    assert json.loads((run_dir / "config.json").read_text())["plausibility_check"] is False
    assert evaluate.main([str(run_dir), "--resamples", "10"]) == 0  # the run's own data, read as it was trained


@pytest.mark.parametrize("model", ["step", "stepgen"])
def test_data_that_fails_to_load_leaves_no_run_directory(tmp_path, capsys, monkeypatch, model):
    monkeypatch.chdir(tmp_path)  # the default run directory is runs/MODEL-TIME here
    data = f"egait:{tmp_path / 'missing_f.h5'},{tmp_path / 'missing_l.h5'}"
    assert fit.main(["--model", model, "--data", data, *TINY]) == 2
    assert "missing_f.h5: E-Gait features file not found" in capsys.readouterr().err
    assert not (tmp_path / "runs").exists() or not list((tmp_path / "runs").iterdir())
    assert fit.main(["--model", model, "--data", data, "--run-dir", str(tmp_path / "named"), *TINY]) == 2
    assert not (tmp_path / "named").exists()


@pytest.mark.parametrize("epochs, rates", [
    (1, [1.0]),
    (2, [1.0, 0.1]),
    (3, [1.0, 1.0, 0.1]),
    (4, [1.0, 1.0, 0.1, 0.01]),
    (8, [1.0, 1.0, 1.0, 1.0, 0.1, 0.1, 0.01, 0.001]),  # boundaries 4, 6, 7
    (30, [1.0] * 15 + [0.1] * 7 + [0.01] * 4 + [0.001] * 4),  # boundaries 15, 22 (22.5 rounded to even), 26
])
def test_the_step_schedule_of_short_and_long_runs(epochs, rates):
    from step_tf.training.loop import step_decay

    schedule = step_decay(1.0, epochs)
    assert [schedule(epoch) for epoch in range(epochs)] == pytest.approx(rates, rel=1e-12)


def test_the_step_schedule_of_the_published_lengths_is_unchanged():
    from step_tf.training.loop import step_decay

    for epochs, boundaries in ((150, (75, 112, 131)), (500, (250, 375, 438)), (60, (30, 45, 52))):
        schedule = step_decay(1.0, epochs)
        drops = [epoch for epoch in range(1, epochs) if schedule(epoch) < schedule(epoch - 1)]
        assert tuple(drops) == boundaries
