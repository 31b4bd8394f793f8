"""Reading and writing gaits in the E-Gait HDF5 layout (the STEP authors' data files).

A data set is two HDF5 files with the same keys at the file root:

* features: one dataset per gait, shape ``(T_i, V * 3)`` (``(T_i, 48)`` for 16
  joints), joint-major ``x0 y0 z0 x1 y1 z1 ...``; ``T_i`` varies per gait.
* labels: one scalar integer per gait, an index into the label names.

Features and labels are matched by key (the public loaders match them by
position in sorted key order, which silently mislabels a data set whose two
files differ by one key). Gaits are brought to a common frame count with
``step_tf.data.plausibility.fit_real_frames`` (cyclic tiling when shorter, the
first frames when longer; fewer than 15 real frames is an error unless
``plausibility_check=False``). E-Gait carries no subject or clip ids, so each gait is its
own split group.
"""

from __future__ import annotations

import os
import pathlib

import h5py
import numpy as np

from step_tf.data.gaits import EMOTIONS, NUM_COORDINATES, NUM_FRAMES, GaitSet
from step_tf.data.plausibility import fit_real_frames
from step_tf.files import atomic_output
from step_tf.graph import get_layout


def _open(path: pathlib.Path, role: str) -> h5py.File:
    if not path.is_file():
        raise FileNotFoundError(f"{path}: E-Gait {role} file not found")
    try:
        return h5py.File(path, "r")
    except OSError as error:
        raise ValueError(f"{path}: not a readable HDF5 file ({error})") from None


def read_egait_features(
    features_path: str | os.PathLike, num_frames: int = NUM_FRAMES, layout: str = "step16", plausibility_check: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Keys ``(N,)`` (sorted) and gaits ``(N, num_frames, V, 3)`` float32 of an E-Gait features file alone.

    ``plausibility_check=False`` tiles gaits of fewer than ``MIN_FRAMES`` real frames too
    (``step_tf.data.plausibility``).
    """
    features_path = pathlib.Path(features_path)
    num_joints = get_layout(layout).num_joints
    width = num_joints * NUM_COORDINATES
    with _open(features_path, "features") as features_file:
        keys = sorted(features_file.keys())
        if not keys:
            raise ValueError(f"{features_path}: the features file holds no gaits")
        gaits = []
        for key in keys:
            dataset = features_file[key]
            if not isinstance(dataset, h5py.Dataset):
                raise ValueError(f"{features_path}: key {key!r} is a group, expected a (T, {width}) dataset")
            values = np.asarray(dataset[()], dtype=np.float64)
            if values.ndim != 2 or values.shape[1] != width:
                raise ValueError(
                    f"{features_path}: gait {key!r} has shape {values.shape}; expected (T, {width}) "
                    f"for {num_joints} joints x 3 coordinates"
                )
            if values.shape[0] == 0:
                raise ValueError(f"{features_path}: gait {key!r} is empty (0 frames)")
            if not np.isfinite(values).all():
                raise ValueError(f"{features_path}: gait {key!r} has NaN or infinite values")
            gaits.append(fit_real_frames(values.reshape(-1, num_joints, NUM_COORDINATES), num_frames,
                                         f"{features_path}: gait {key!r}", plausibility_check))
    return np.asarray(keys), np.stack(gaits).astype(np.float32)


def read_egait(
    features_path: str | os.PathLike,
    labels_path: str | os.PathLike,
    label_names: tuple[str, ...] = EMOTIONS,
    num_frames: int = NUM_FRAMES,
    layout: str = "step16",
    plausibility_check: bool = True,
) -> GaitSet:
    """Reads an E-Gait features/labels pair into a ``GaitSet`` of ``(N, num_frames, V, 3)`` gaits.

    ``label_names[i]`` names label id ``i`` (default: the public code's Angry,
    Neutral, Happy, Sad). Gaits come in sorted key order.
    """
    features_path, labels_path = pathlib.Path(features_path), pathlib.Path(labels_path)
    with _open(features_path, "features") as features_file, _open(labels_path, "labels") as labels_file:
        feature_keys, label_keys = set(features_file.keys()), set(labels_file.keys())
        for missing, present_in, absent_from in (
            (sorted(feature_keys - label_keys), features_path, labels_path),
            (sorted(label_keys - feature_keys), labels_path, features_path),
        ):
            if missing:
                raise ValueError(
                    f"{absent_from}: no entry for key {missing[0]!r} found in {present_in} "
                    f"({len(missing)} key(s) of one file missing from the other)"
                )
        labels = []
        for key in sorted(label_keys):
            label = np.asarray(labels_file[key][()])
            if label.size != 1 or not np.issubdtype(label.dtype, np.integer):
                raise ValueError(f"{labels_path}: label of {key!r} must be one integer, got {label!r}")
            label = int(label.reshape(()))
            if not 0 <= label < len(label_names):
                raise ValueError(
                    f"{labels_path}: gait {key!r} has unknown label id {label}; "
                    f"known ids 0..{len(label_names) - 1} ({', '.join(label_names)})"
                )
            labels.append(label)
    keys, gaits = read_egait_features(features_path, num_frames, layout, plausibility_check)
    return GaitSet(
        joints=gaits,
        labels=np.asarray(labels, dtype=np.int32),
        label_names=tuple(label_names),
        keys=keys,
        source=f"{features_path},{labels_path}",
    )


def labels_path_for(features_path: str | os.PathLike) -> pathlib.Path:
    """The labels file of an E-Gait pair, beside its features file.

    ``features`` in the name becomes ``labels`` (the E-Gait naming:
    ``features_gen.h5`` -> ``labels_gen.h5``), else ``_labels`` is appended to
    the stem (``gaits.h5`` -> ``gaits_labels.h5``); a name without a suffix gets ``.h5``.
    """
    path = pathlib.Path(features_path)
    if "features" in path.name:
        return path.with_name(path.name.replace("features", "labels"))
    return path.with_name(f"{path.stem}_labels{path.suffix or '.h5'}")


def write_egait(gait_set: GaitSet, features_path: str | os.PathLike, labels_path: str | os.PathLike) -> None:
    """Writes ``gait_set`` as an E-Gait features/labels pair under its keys, atomically.

    Both files are written under temporary names in their target folders and
    renamed into place only when both are complete, so a reader never sees half a file.
    """
    paths = [pathlib.Path(features_path), pathlib.Path(labels_path)]
    for key in gait_set.keys:
        if "/" in key or key in ("", ".", ".."):
            raise ValueError(f"{paths[0]}: gait key {str(key)!r} is not a valid HDF5 dataset name")
    flat = gait_set.joints.reshape(len(gait_set), gait_set.num_frames, -1)
    with atomic_output(paths[0]) as features_temporary, atomic_output(paths[1]) as labels_temporary:
        with h5py.File(features_temporary, "w") as features_file, h5py.File(labels_temporary, "w") as labels_file:
            for key, gait, label in zip(gait_set.keys, flat, gait_set.labels):
                features_file.create_dataset(key, data=gait)
                labels_file.create_dataset(key, data=np.int32(label))
