"""Batch prediction from gait files with an exported model version.

Inputs, each read the way training reads that format, so a gait reaches the
model in the form it was trained on:

* ``.npz``: ``positions`` or ``joints``, ``(N, T, 16, 3)`` or one gait
  ``(T, 16, 3)``, metres, y up, 30 fps; gait names from ``names`` or ``keys``
  when present. Any ``T >= 15`` goes through the ``serve_any_frames``
  signature unchanged.
* ``.h5``: an E-Gait features file, one ``(T_i, 48)`` dataset per key (no
  labels file needed), read by ``step_tf.data.egait.read_egait_features``.
* ``.bvh``: a clip resampled to 30 fps and cut into 75-frame windows by
  ``step_tf.data.bvh.bvh_windows``; keys ``STEM_START``.

Every file's gaits must be in metres (``step_tf.data.plausibility.check_units``)
and E-Gait and BVH gaits shorter than 75 frames need 15 real frames to be tiled,
unless ``plausibility_check=False`` (``--no-plausibility-check``).

Results are one row per gait: key, class id, class name and the probability
of each class, written as JSON or CSV.
"""

from __future__ import annotations

import csv
import io
import json
import os
import pathlib

import numpy as np

from step_tf.data.bvh import bvh_windows
from step_tf.data.egait import read_egait_features
from step_tf.data.gaits import NUM_COORDINATES, NUM_FRAMES
from step_tf.data.plausibility import check_units
from step_tf.serving.servable import RequestError, Servable
from step_tf.serving.signatures import ANY_FRAMES_SIGNATURE, DEFAULT_SIGNATURE, INPUT_NAME
from step_tf.serving.versions import list_versions

FORMATS = ("json", "csv")
BATCH_SIZE = 256


def load_servable(path: str | os.PathLike) -> Servable:
    """A version folder, or a model base path (its newest version)."""
    path = pathlib.Path(path)
    if not path.is_dir():
        raise FileNotFoundError(f"{path}: model not found (expected a SavedModel version folder or a folder of versions)")
    if (path / "saved_model.pb").is_file():
        return Servable.load(path, int(path.name) if path.name.isdecimal() else 0)
    versions = list_versions(path)
    if not versions:
        raise FileNotFoundError(f"{path}: neither a SavedModel (no saved_model.pb) nor a folder of numbered versions")
    return Servable.load(path / str(versions[-1]), versions[-1])


def _read_npz(path: pathlib.Path, num_joints: int) -> tuple[list[str], np.ndarray]:
    with np.load(path, allow_pickle=False) as archive:
        key = next((name for name in ("positions", "joints") if name in archive.files), None)
        if key is None:
            raise ValueError(f"{path}: no 'positions' or 'joints' array (found: {', '.join(archive.files) or 'nothing'})")
        joints = archive[key]
        names = next((archive[name] for name in ("names", "keys") if name in archive.files), None)
    if joints.ndim == 3:
        joints = joints[None]
    if joints.ndim != 4 or joints.shape[2:] != (num_joints, NUM_COORDINATES):
        raise ValueError(f"{path}: {key!r} has shape {joints.shape}; expected (N, T, {num_joints}, 3) or (T, {num_joints}, 3)")
    if names is None or names.shape != (len(joints),):
        names = np.array([f"{index:05d}" for index in range(len(joints))])
    return [str(name) for name in names], joints


def read_gait_file(
    path: str | os.PathLike, num_joints: int = 16, plausibility_check: bool = True
) -> tuple[list[str], np.ndarray]:
    """Gait names and joints ``(N, T, V, 3)`` float32 of an ``.npz``, E-Gait ``.h5`` or ``.bvh`` file, checked for plausibility."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: input file not found")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        keys, joints = _read_npz(path, num_joints)
    elif suffix in (".h5", ".hdf5"):
        keys, joints = read_egait_features(path, plausibility_check=plausibility_check)
    elif suffix == ".bvh":
        keys, joints = bvh_windows(path, plausibility_check=plausibility_check)
    else:
        raise ValueError(f"{path}: unknown input format {suffix!r}; expected .npz, .h5 (E-Gait features) or .bvh")
    if plausibility_check:
        check_units(joints, keys, str(path))
    return keys, np.asarray(joints, dtype=np.float32)


def predict_gaits(servable: Servable, keys: list[str], joints: np.ndarray, label_names: tuple[str, ...]) -> list[dict]:
    """One row per gait: ``key``, ``class_id``, ``class_name``, ``probabilities`` ``{label name: p}``."""
    signature = DEFAULT_SIGNATURE if joints.shape[1] == NUM_FRAMES else ANY_FRAMES_SIGNATURE
    rows = []
    for start in range(0, len(joints), BATCH_SIZE):
        try:
            outputs = servable.predict(signature, {INPUT_NAME: joints[start : start + BATCH_SIZE]})
        except RequestError as error:
            raise ValueError(f"gaits {keys[start]!r}..: {error}") from None
        for offset, probabilities in enumerate(outputs["probabilities"]):
            rows.append({
                "key": keys[start + offset],
                "class_id": int(outputs["class_ids"][offset]),
                "class_name": outputs["class_names"][offset].decode("utf-8"),
                "probabilities": {name: float(p) for name, p in zip(label_names, probabilities)},
            })
    return rows


def label_names_of(servable: Servable) -> tuple[str, ...]:
    """The class names, from the version's ``metadata.json``."""
    path = servable.path / "metadata.json"
    try:
        return tuple(json.loads(path.read_text())["label_names"])
    except (OSError, json.JSONDecodeError, KeyError) as error:
        raise ValueError(f"{path}: cannot read the label names ({error!r})") from None


def format_rows(rows: list[dict], label_names: tuple[str, ...], output_format: str) -> str:
    """The rows as a JSON document or a CSV table (``key,class_id,class_name,p_<label>...``)."""
    if output_format == "json":
        return json.dumps({"label_names": list(label_names), "predictions": rows}, indent=2) + "\n"
    if output_format != "csv":
        raise ValueError(f"unknown output format {output_format!r}; choose one of {', '.join(FORMATS)}")
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(["key", "class_id", "class_name", *(f"p_{name}" for name in label_names)])
    for row in rows:
        writer.writerow([row["key"], row["class_id"], row["class_name"], *(repr(row["probabilities"][name]) for name in label_names)])
    return text.getvalue()
