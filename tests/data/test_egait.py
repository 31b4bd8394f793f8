"""E-Gait HDF5: the real fixture, round trips and every kind of bad file."""

import h5py
import numpy as np
import pytest

from step_tf.data.egait import read_egait, write_egait
from step_tf.data.gaits import GaitSet


def test_reads_the_real_fixture(fixtures_dir):
    gaits = read_egait(fixtures_dir / "bandai_walk_features.h5", fixtures_dir / "bandai_walk_labels.h5")
    assert gaits.joints.shape == (4, 75, 16, 3) and gaits.joints.dtype == np.float32
    names = dict(zip(gaits.keys, (gaits.label_names[i] for i in gaits.labels)))
    assert names == {"walk_angry_001": "angry", "walk_happy_001": "happy", "walk_normal_001": "neutral", "walk_sad_001": "sad"}
    with h5py.File(fixtures_dir / "bandai_walk_features.h5") as raw:
        np.testing.assert_allclose(gaits.joints[0].reshape(75, 48), raw["walk_angry_001"][()], atol=1e-6)
    # The same windows in world coordinates (npz), root-centred, match.
    world = np.load(fixtures_dir / "bandai_walk_step16_4x75.npz")
    order = np.argsort([str(n) for n in world["names"]])
    centred = world["positions"] - world["positions"][:, :, :1]
    np.testing.assert_allclose(gaits.joints, centred[order], atol=1e-5)


def _gait_set(num_gaits=5, num_frames=75, seed=0):
    rng = np.random.default_rng(seed)
    return GaitSet(
        joints=rng.normal(size=(num_gaits, num_frames, 16, 3)).astype(np.float32),
        labels=rng.integers(0, 4, size=num_gaits),
        keys=np.array([f"{i + 1:05d}_gait" for i in range(num_gaits)]),
    )


def test_round_trip(tmp_path):
    original = _gait_set()
    write_egait(original, tmp_path / "features.h5", tmp_path / "labels.h5")
    again = read_egait(tmp_path / "features.h5", tmp_path / "labels.h5")
    np.testing.assert_array_equal(again.joints, original.joints)
    np.testing.assert_array_equal(again.labels, original.labels)
    np.testing.assert_array_equal(again.keys, original.keys)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["features.h5", "labels.h5"]  # no temporary left


def test_matches_by_key_not_position(tmp_path):
    with h5py.File(tmp_path / "f.h5", "w") as features, h5py.File(tmp_path / "l.h5", "w") as labels:
        features["b"] = np.full((75, 48), 2.0)
        features["a"] = np.full((75, 48), 1.0)
        labels.create_dataset("b", data=np.int32(3))  # written in another order
        labels.create_dataset("a", data=np.int32(1))
    gaits = read_egait(tmp_path / "f.h5", tmp_path / "l.h5")
    assert list(gaits.keys) == ["a", "b"]
    assert list(gaits.labels) == [1, 3]
    assert gaits.joints[1, 0, 0, 0] == 2.0


def test_short_gaits_are_tiled_and_long_ones_cut(tmp_path):
    with h5py.File(tmp_path / "f.h5", "w") as features, h5py.File(tmp_path / "l.h5", "w") as labels:
        features["short"] = np.arange(30)[:, None] * np.ones((30, 48))
        features["long"] = np.arange(240)[:, None] * np.ones((240, 48))
        for key in ("short", "long"):
            labels.create_dataset(key, data=np.int32(0))
    gaits = read_egait(tmp_path / "f.h5", tmp_path / "l.h5")
    long_gait, short_gait = gaits.joints[0, :, 0, 0], gaits.joints[1, :, 0, 0]
    np.testing.assert_array_equal(short_gait, np.concatenate([np.arange(30)] * 3)[:75])
    np.testing.assert_array_equal(long_gait, np.arange(75))


def test_label_names_are_a_parameter(tmp_path):
    write_egait(_gait_set(), tmp_path / "f.h5", tmp_path / "l.h5")
    names = ("happy", "angry", "sad", "neutral")
    assert read_egait(tmp_path / "f.h5", tmp_path / "l.h5", label_names=names).label_names == names


def _write_pair(tmp_path, features=None, labels=None):
    features = {"g1": np.zeros((75, 48))} if features is None else features
    labels = {key: np.int32(0) for key in features} if labels is None else labels
    with h5py.File(tmp_path / "f.h5", "w") as f_file, h5py.File(tmp_path / "l.h5", "w") as l_file:
        for key, value in features.items():
            f_file[key] = value
        for key, value in labels.items():
            l_file.create_dataset(key, data=value)
    return tmp_path / "f.h5", tmp_path / "l.h5"


@pytest.mark.parametrize(
    "features, labels, message",
    [
        ({"g1": np.zeros((75, 45))}, None, r"f\.h5: gait 'g1' has shape \(75, 45\); expected \(T, 48\)"),
        ({"g1": np.zeros((0, 48))}, None, r"f\.h5: gait 'g1' is empty"),
        ({"g1": np.full((75, 48), np.nan)}, None, r"f\.h5: gait 'g1' has NaN or infinite"),
        ({"g1": np.full((75, 48), np.inf)}, None, r"f\.h5: gait 'g1' has NaN or infinite"),
        (None, {"g1": np.int32(7)}, r"l\.h5: gait 'g1' has unknown label id 7"),
        (None, {"g1": np.int32(-1)}, r"l\.h5: gait 'g1' has unknown label id -1"),
        (None, {"g1": np.float64(0.5)}, r"l\.h5: label of 'g1' must be one integer"),
        (None, {"g2": np.int32(0)}, r"l\.h5: no entry for key 'g1' found in .*f\.h5"),
        ({"g1": np.zeros((75, 48)), "g3": np.zeros((75, 48))}, {"g1": np.int32(0)}, r"l\.h5: no entry for key 'g3'"),
        ({}, {}, r"f\.h5: the features file holds no gaits"),
    ],
)
def test_bad_files_name_the_file_key_and_problem(tmp_path, features, labels, message):
    features_path, labels_path = _write_pair(tmp_path, features, labels)
    with pytest.raises(ValueError, match=message):
        read_egait(features_path, labels_path)


def test_missing_and_non_hdf5_files(tmp_path):
    features_path, labels_path = _write_pair(tmp_path)
    with pytest.raises(FileNotFoundError, match=r"nowhere\.h5: E-Gait features file not found"):
        read_egait(tmp_path / "nowhere.h5", labels_path)
    (tmp_path / "text.h5").write_text("angry,neutral\n")
    with pytest.raises(ValueError, match=r"text\.h5: not a readable HDF5 file"):
        read_egait(features_path, tmp_path / "text.h5")


def test_writer_refuses_keys_hdf5_cannot_hold(tmp_path):
    bad = GaitSet(joints=np.zeros((1, 75, 16, 3), np.float32), labels=[0], keys=["a/b"])
    with pytest.raises(ValueError, match="'a/b' is not a valid HDF5 dataset name"):
        write_egait(bad, tmp_path / "f.h5", tmp_path / "l.h5")
    assert list(tmp_path.iterdir()) == []


def test_gait_set_validation():
    with pytest.raises(ValueError, match=r"joints must have shape \(N, T, V, 3\)"):
        GaitSet(joints=np.zeros((2, 75, 16)), labels=[0, 1])
    with pytest.raises(ValueError, match="gait '00001' has label id 4"):
        GaitSet(joints=np.zeros((2, 75, 16, 3)), labels=[0, 4])
    with pytest.raises(ValueError, match="gait '00000' has NaN"):
        GaitSet(joints=np.full((1, 75, 16, 3), np.nan), labels=[0])
    with pytest.raises(ValueError, match="keys must be unique"):
        GaitSet(joints=np.zeros((2, 75, 16, 3)), labels=[0, 1], keys=["a", "a"])
