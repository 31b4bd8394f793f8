"""TFRecord gaits: exact round trips from the embedded and E-Gait sources, and clear errors for bad records."""

import re

import numpy as np
import pytest
import tensorflow as tf

from step_tf.data.egait import read_egait, write_egait
from step_tf.data.sources import load_gaits
from step_tf.data.tfrecord import encode_gait, encode_gait_set


def _write_shards(gait_set, folder, num_shards, seed=0):
    """The gaits in a shuffled order, dealt round-robin over ``num_shards`` files."""
    order = np.random.default_rng(seed).permutation(len(gait_set))
    paths = [folder / f"gaits-{shard:05d}-of-{num_shards:05d}.tfrecord" for shard in range(num_shards)]
    writers = [tf.io.TFRecordWriter(str(path)) for path in paths]
    for position, index in enumerate(order):
        writers[position % num_shards].write(encode_gait_set(gait_set, index))
    for writer in writers:
        writer.close()
    return paths


def _assert_same_gaits(read, source):
    by_key = source.subset(np.argsort(source.keys))
    assert read.keys.tolist() == by_key.keys.tolist()
    assert read.joints.dtype == np.float32 and read.joints.shape == by_key.joints.shape
    assert np.array_equal(read.joints.view(np.uint32), by_key.joints.view(np.uint32))  # bit for bit
    assert np.array_equal(read.labels, by_key.labels)
    assert read.groups.tolist() == by_key.groups.tolist()
    assert read.label_names == by_key.label_names


def test_the_embedded_set_round_trips_exactly_through_shards(tmp_path):
    source = load_gaits("embedded:60:3")
    _write_shards(source, tmp_path, num_shards=3)
    read = load_gaits(f"tfrecord:{tmp_path}/gaits-*.tfrecord")
    _assert_same_gaits(read, source)
    assert read.source.startswith("tfrecord:")


def test_an_egait_file_pair_round_trips_exactly(tmp_path):
    names = ("calm", "tense", "glad", "low")
    written = load_gaits("embedded:12:1")
    written = type(written)(written.joints + np.float32(1e-3), written.labels, names, keys=[f"{i:05d}_x" for i in range(12)])
    write_egait(written, tmp_path / "features.h5", tmp_path / "labels.h5")
    source = read_egait(tmp_path / "features.h5", tmp_path / "labels.h5", label_names=names)
    _write_shards(source, tmp_path, num_shards=2, seed=4)
    _assert_same_gaits(load_gaits(f"tfrecord:{tmp_path}/*.tfrecord", label_names=names), source)


def _good(key="g1", **changes):
    values = dict(joints=np.zeros((75, 16, 3), np.float32), label=1, label_name="neutral", group="s1", key=key)
    values.update(changes)
    return encode_gait(**values)


def _example_without(feature):
    example = tf.train.Example.FromString(_good())
    del example.features.feature[feature]
    return example.SerializeToString()


def _example_with(feature, value):
    example = tf.train.Example.FromString(_good())
    example.features.feature[feature].CopyFrom(value)
    return example.SerializeToString()


nan_joints = np.zeros((75, 16, 3), np.float32)
nan_joints[3, 2, 1] = np.nan
BAD_RECORDS = {
    "short joints": (_example_with("joints", tf.train.Feature(float_list=tf.train.FloatList(value=[0.0] * 3599))),
                     "feature 'joints' holds 3599 values; shape [75, 16, 3] needs 3600"),
    "missing key": (_example_without("key"), "missing feature 'key'"),
    "missing label": (_example_without("label"), "missing feature 'label'"),
    "label as text": (_example_with("label", tf.train.Feature(bytes_list=tf.train.BytesList(value=[b"1"]))),
                      "feature 'label' is a bytes_list, expected a int64_list"),
    "unknown label": (_good(label=7, label_name="bored"), "unknown label id 7; known ids 0..3"),
    "label name disagrees": (_good(label_name="happy"), "label id 1 is named 'happy' in the record but 'neutral' here"),
    "NaN": (_good(joints=nan_joints), "feature 'joints' has NaN or infinite values"),
    "not an Example": (b"\xff\x00 not a protocol buffer", "not a tf.train.Example"),
    "bad shape": (_example_with("shape", tf.train.Feature(int64_list=tf.train.Int64List(value=[75, 16]))),
                  "feature 'shape' must be [frames, joints, 3]"),
}


@pytest.mark.parametrize("case", sorted(BAD_RECORDS))
def test_a_bad_record_names_its_file_record_and_problem(tmp_path, case):
    record, problem = BAD_RECORDS[case]
    path = tmp_path / "gaits-00001-of-00002.tfrecord"
    with tf.io.TFRecordWriter(str(tmp_path / "gaits-00000-of-00002.tfrecord")) as writer:
        writer.write(_good("a0"))
    with tf.io.TFRecordWriter(str(path)) as writer:
        writer.write(_good("b0"))
        writer.write(record)
    with pytest.raises(ValueError, match=re.escape(problem)) as error:
        load_gaits(f"tfrecord:{tmp_path}/gaits-*.tfrecord")
    assert f"{path}: record 1" in str(error.value)


def test_a_corrupt_file_is_named(tmp_path):
    good, corrupt = tmp_path / "a.tfrecord", tmp_path / "b.tfrecord"
    for path in (good, corrupt):
        with tf.io.TFRecordWriter(str(path)) as writer:
            writer.write(_good(path.stem + "1"))
            writer.write(_good(path.stem + "2"))
    data = bytearray(corrupt.read_bytes())
    data[-20] ^= 0xFF  # inside the second record: its checksum no longer holds
    corrupt.write_bytes(bytes(data))
    with pytest.raises(ValueError, match=re.escape(f"{corrupt}: corrupt TFRecord file, unreadable after record 1")):
        load_gaits(f"tfrecord:{tmp_path}/*.tfrecord")


def test_duplicate_keys_and_mixed_shapes_are_errors(tmp_path):
    with tf.io.TFRecordWriter(str(tmp_path / "a.tfrecord")) as writer:
        writer.write(_good("same"))
        writer.write(_good("same"))
    with pytest.raises(ValueError, match="gait key 'same' appears twice"):
        load_gaits(f"tfrecord:{tmp_path}/a.tfrecord")
    with tf.io.TFRecordWriter(str(tmp_path / "b.tfrecord")) as writer:
        writer.write(_good("wide"))
        # Mixed frame counts are fitted to 75 frames as E-Gait's are (tests/test_reliability.py); joint counts cannot be.
        writer.write(_good("narrow", joints=np.zeros((75, 15, 3), np.float32)))
    with pytest.raises(ValueError, match=re.escape(f"{tmp_path / 'b.tfrecord'}: record 1 (key 'narrow'): gait shape (75, 15, 3) differs")):
        load_gaits(f"tfrecord:{tmp_path}/b.tfrecord")


def test_no_files_or_no_glob_are_clear_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no TFRecord files match"):
        load_gaits(f"tfrecord:{tmp_path}/nothing-*.tfrecord")
    with pytest.raises(ValueError, match="expected tfrecord:GLOB"):
        load_gaits("tfrecord:")
    (tmp_path / "empty.tfrecord").write_bytes(b"")
    with pytest.raises(ValueError, match="hold no gaits"):
        load_gaits(f"tfrecord:{tmp_path}/empty.tfrecord")


@pytest.mark.parametrize("keep", [0.5, 0.999])
def test_a_shard_cut_short_is_an_error_naming_it_not_lost_gaits(tmp_path, capsys, keep):
    from step_tf import fit

    paths = _write_shards(load_gaits("embedded:32"), tmp_path, num_shards=2)
    data = paths[1].read_bytes()
    paths[1].write_bytes(data[: int(len(data) * keep)])  # a copy cut short: TensorFlow's reader stops quietly there
    # Cut inside a record's data: the reader stops quietly; inside its last checksum: the reader's data-loss error.
    message = re.escape(str(paths[1])) + ": (truncated or )?corrupt TFRecord file"
    with pytest.raises(ValueError, match=message):
        load_gaits(f"tfrecord:{tmp_path}/gaits-*.tfrecord")
    assert fit.main(["--data", f"tfrecord:{tmp_path}/gaits-*.tfrecord", "--run-dir", str(tmp_path / "run")]) == 2
    assert re.search(message, capsys.readouterr().err)
    assert not (tmp_path / "run").exists()  # nothing written for a run that could not start
