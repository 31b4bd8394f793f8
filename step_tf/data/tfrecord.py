"""Gaits as TFRecord files of ``tf.train.Example``: encoding one gait, reading a glob of shards into a ``GaitSet``.

One record per gait, with the features:

* ``joints``: float_list, the ``T * V * 3`` coordinates of a ``(T, V, 3)`` gait in
  row-major order (float32, exactly the ``GaitSet`` values);
* ``shape``: int64_list ``[T, V, 3]``;
* ``label``: int64_list ``[label id]``; ``label_name``: bytes_list ``[name]``;
* ``group``: bytes_list ``[recording]``; ``key``: bytes_list ``[unique gait name]``.

Shards are read with ``tf.data`` (``list_files`` then a parallel, deterministic
``interleave`` of ``TFRecordDataset``); each record is decoded and checked in
Python, so that a bad record fails with its file, record number and key.
TensorFlow's reader checks every record's checksums but takes a record cut
short at the end of a file for the end of the file, so a truncated shard would
lose its tail silently: the bytes of the records read (each is framed by 16
bytes) must add up to every file's size, else the file is reported. Gaits
come back sorted by key, so the order does not depend on how the records were
spread over shards. Each gait is brought to ``num_frames`` frames (75) as E-Gait
gaits are, by ``step_tf.data.plausibility.fit_real_frames``: tiled when shorter
(at least 15 real frames, unless ``plausibility_check=False``), cut when longer,
so records of mixed lengths make one set. Writing shards is the Beam pipeline's
job (``pipelines.example_gen``); its sink writes under temporary names and renames.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf
from google.protobuf.message import DecodeError

from step_tf.data.gaits import EMOTIONS, NUM_COORDINATES, NUM_FRAMES, GaitSet
from step_tf.data.plausibility import fit_real_frames

# Feature name -> the kind of list it holds.
FEATURES = {
    "joints": "float_list",
    "shape": "int64_list",
    "label": "int64_list",
    "label_name": "bytes_list",
    "group": "bytes_list",
    "key": "bytes_list",
}


def encode_gait(joints: np.ndarray, label: int, label_name: str, group: str, key: str) -> bytes:
    """One gait ``(T, V, 3)`` with its label id and name, group and key, as a serialized ``tf.train.Example``."""
    joints = np.asarray(joints, dtype=np.float32)
    if joints.ndim != 3 or joints.shape[-1] != NUM_COORDINATES:
        raise ValueError(f"gait {key!r}: joints must have shape (T, V, 3), got {joints.shape}")
    feature = {
        "joints": tf.train.Feature(float_list=tf.train.FloatList(value=joints.reshape(-1))),
        "shape": tf.train.Feature(int64_list=tf.train.Int64List(value=joints.shape)),
        "label": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(label)])),
        "label_name": tf.train.Feature(bytes_list=tf.train.BytesList(value=[label_name.encode()])),
        "group": tf.train.Feature(bytes_list=tf.train.BytesList(value=[group.encode()])),
        "key": tf.train.Feature(bytes_list=tf.train.BytesList(value=[key.encode()])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


def encode_gait_set(gait_set: GaitSet, index: int) -> bytes:
    """Gait ``index`` of ``gait_set`` as a serialized ``tf.train.Example``."""
    label = int(gait_set.labels[index])
    return encode_gait(gait_set.joints[index], label, gait_set.label_names[label],
                       str(gait_set.groups[index]), str(gait_set.keys[index]))


def _single(values, name: str, where: str):
    if len(values) != 1:
        raise ValueError(f"{where}: feature {name!r} must hold one value, got {len(values)}")
    return values[0]


def _text(values, name: str, where: str) -> str:
    value = _single(values, name, where)
    try:
        text = value.decode()
    except UnicodeDecodeError:
        raise ValueError(f"{where}: feature {name!r} is not UTF-8 text") from None
    if not text:
        raise ValueError(f"{where}: feature {name!r} is empty")
    return text


def decode_gait(serialized: bytes, label_names: tuple[str, ...], where: str) -> dict:
    """A serialized gait as ``joints (T, V, 3)``, ``label``, ``group`` and ``key``; ``where`` names it in errors.

    Raises ``ValueError`` for a record that is no ``tf.train.Example``, lacks a
    feature or holds one of the wrong kind or length, has a label id outside
    ``label_names`` or a label name that disagrees with it, or NaN/infinite joints.
    """
    try:
        example = tf.train.Example.FromString(serialized)
    except DecodeError as error:
        raise ValueError(f"{where}: not a tf.train.Example ({error})") from None
    features = example.features.feature
    values = {}
    for name, kind in FEATURES.items():
        if name not in features:
            raise ValueError(f"{where}: missing feature {name!r}")
        present = features[name].WhichOneof("kind")
        if present != kind:
            raise ValueError(f"{where}: feature {name!r} is a {present or 'empty feature'}, expected a {kind}")
        values[name] = getattr(features[name], kind).value
    key = _text(values["key"], "key", where)
    where = f"{where} (key {key!r})"
    shape = tuple(values["shape"])
    if len(shape) != 3 or shape[-1] != NUM_COORDINATES or min(shape) < 1:
        raise ValueError(f"{where}: feature 'shape' must be [frames, joints, 3] with positive sizes, got {list(shape)}")
    joints = np.asarray(values["joints"], dtype=np.float32)
    if joints.size != np.prod(shape):
        raise ValueError(f"{where}: feature 'joints' holds {joints.size} values; shape {list(shape)} needs {int(np.prod(shape))}")
    if not np.isfinite(joints).all():
        raise ValueError(f"{where}: feature 'joints' has NaN or infinite values")
    label = int(_single(values["label"], "label", where))
    if not 0 <= label < len(label_names):
        raise ValueError(f"{where}: unknown label id {label}; known ids 0..{len(label_names) - 1} ({', '.join(label_names)})")
    label_name = _text(values["label_name"], "label_name", where)
    if label_name != label_names[label]:
        raise ValueError(
            f"{where}: label id {label} is named {label_name!r} in the record but {label_names[label]!r} here; "
            f"give the data's label names (--label-names)"
        )
    return {"joints": joints.reshape(shape), "label": label, "group": _text(values["group"], "group", where), "key": key}


def _records(files: tf.data.Dataset, num_files: int) -> tf.data.Dataset:
    """``(file, record number, serialized record)`` of every record of the ``files`` dataset, shards read in parallel."""

    def numbered(path):
        return tf.data.TFRecordDataset(path).enumerate().map(lambda number, record: (path, number, record))

    return files.interleave(numbered, cycle_length=min(num_files, 8), num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


def _corrupt_file(files: list[str]) -> tuple[str, int]:
    """The first file that cannot be read to its end, and how many records came before the damage."""
    for path in files:
        count = 0
        try:
            for _ in tf.data.TFRecordDataset(path):
                count += 1
        except tf.errors.OpError:
            return path, count
    return "one of the files", 0


RECORD_FRAMING_BYTES = 16  # length (8), its CRC (4), the record, its CRC (4)


def _check_whole_files(files: list[str], record_bytes: dict[str, int], record_counts: dict[str, int]) -> None:
    """Raises ``ValueError`` for a file whose records do not fill it: its end was cut off (or garbage appended)."""
    for path in files:
        size = tf.io.gfile.stat(path).length
        read = record_bytes.get(path, 0)
        if read != size:
            raise ValueError(
                f"{path}: truncated or corrupt TFRecord file: its {record_counts.get(path, 0)} whole records end at byte {read} "
                f"of {size}; the rest is not a whole record (was the file cut short?)"
            )


def read_tfrecord_gaits(
    pattern: str, label_names: tuple[str, ...] = EMOTIONS, num_frames: int = NUM_FRAMES, plausibility_check: bool = True
) -> GaitSet:
    """The gaits of every TFRecord file matching ``pattern``, sorted by key, as ``(N, num_frames, V, 3)`` joints."""
    label_names = tuple(label_names)
    try:
        file_dataset = tf.data.Dataset.list_files(pattern, shuffle=False)  # any TensorFlow file system: local, gs://, ...
    except tf.errors.InvalidArgumentError:
        raise FileNotFoundError(f"{pattern}: no TFRecord files match") from None
    files = [path.decode() for path in file_dataset.as_numpy_iterator()]
    gaits, first = [], None
    record_bytes, record_counts = {}, {}
    records = _records(file_dataset, len(files)).as_numpy_iterator()
    while True:
        try:
            path, number, serialized = next(records)
        except StopIteration:
            break
        except tf.errors.OpError as error:
            path, count = _corrupt_file(files)
            raise ValueError(f"{path}: corrupt TFRecord file, unreadable after record {count} ({error.message.splitlines()[0]})") from None
        record_bytes[path.decode()] = record_bytes.get(path.decode(), 0) + len(serialized) + RECORD_FRAMING_BYTES
        record_counts[path.decode()] = record_counts.get(path.decode(), 0) + 1
        gait = decode_gait(serialized, label_names, f"{path.decode()}: record {number}")
        where = f"{path.decode()}: record {number} (key {gait['key']!r})"
        gait["joints"] = fit_real_frames(gait["joints"], num_frames, where, plausibility_check)
        if first is None:
            first = (gait["joints"].shape, where)
        elif gait["joints"].shape != first[0]:
            raise ValueError(f"{where}: gait shape {gait['joints'].shape} differs from {first[0]} of {first[1]}")
        gaits.append((gait, where))
    _check_whole_files(files, record_bytes, record_counts)
    if not gaits:
        raise ValueError(f"{pattern}: the TFRecord files hold no gaits")
    gaits.sort(key=lambda item: item[0]["key"])
    for (previous, previous_where), (gait, where) in zip(gaits, gaits[1:]):
        if gait["key"] == previous["key"]:
            raise ValueError(f"{where}: gait key {gait['key']!r} appears twice (also {previous_where})")
    return GaitSet(
        joints=np.stack([gait["joints"] for gait, _ in gaits]),
        labels=np.array([gait["label"] for gait, _ in gaits], dtype=np.int32),
        label_names=label_names,
        groups=np.array([gait["group"] for gait, _ in gaits]),
        keys=np.array([gait["key"] for gait, _ in gaits]),
        source=f"tfrecord:{pattern}",
    )
