"""A folder of labelled walking videos -> an E-Gait training set (features and labels HDF5 files).

``labels.csv`` names one video of the folder and its label per row:
``file,label`` (an optional first row ``file,label`` is a header). The label is
an emotion name (``"normal"`` counts as neutral) or its integer id.

Every video becomes 75-frame gaits: the walking windows of every person in it
(``step_tf.pose.emotion.extract_gaits``; windows in which nobody walks are not
gaits), keyed ``STEM_SEGMENT_START`` (start in 30 fps frames of the segment),
grouped by video so that splits keep a video's windows together. Resumable: each
finished video is saved at once (atomically) under ``OUT.parts/``; a new run
skips the videos already there. The two output files are written atomically
at the end, then the parts are removed. A video in which nobody walks is
reported and left out, not fatal.
"""

from __future__ import annotations

import csv
import os
import pathlib
import shutil
from typing import Callable

import numpy as np

from step_tf.data.bvh import LABEL_ALIASES
from step_tf.data.egait import labels_path_for, write_egait
from step_tf.data.gaits import EMOTIONS, NUM_FRAMES, GaitSet
from step_tf.files import atomic_output
from step_tf.graph import get_layout
from step_tf.pose.emotion import extract_gaits
from step_tf.pose.tracking import PoseTracker
from step_tf.pose.walking import WALKING

NUM_JOINTS = get_layout("step16").num_joints


def read_labels(path: str | os.PathLike, directory: str | os.PathLike, label_names: tuple[str, ...] = EMOTIONS) -> dict[str, int]:
    """``{file name: label id}`` from ``labels.csv``; every row checked (see the module docstring)."""
    path, directory = pathlib.Path(path), pathlib.Path(directory)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: labels file not found")
    names = {name.lower(): index for index, name in enumerate(label_names)}
    labels: dict[str, int] = {}
    try:
        with path.open(newline="", encoding="utf-8") as handle:
            rows = list(enumerate(csv.reader(handle), start=1))
    except (UnicodeDecodeError, csv.Error) as error:
        raise ValueError(f"{path}: not a readable CSV file ({error})") from None
    for line, row in rows:
        if not row or all(not cell.strip() for cell in row):
            continue
        if len(row) != 2:
            raise ValueError(f"{path}, line {line}: expected two columns 'file,label', got {len(row)}: {row!r}")
        file_name, label = row[0].strip(), row[1].strip()
        if line == 1 and (file_name.lower(), label.lower()) == ("file", "label"):
            continue
        word = LABEL_ALIASES.get(label.lower(), label.lower())
        if word in names:
            label_id = names[word]
        elif label.isdecimal() and int(label) < len(label_names):
            label_id = int(label)
        else:
            raise ValueError(
                f"{path}, line {line}: unknown label {label!r} for {file_name!r}; expected one of "
                f"{', '.join(label_names)} or an id 0..{len(label_names) - 1}"
            )
        if not file_name or pathlib.Path(file_name).name != file_name:
            raise ValueError(f"{path}, line {line}: {file_name!r} must be the name of a file directly in {directory}")
        if not (directory / file_name).is_file():
            raise ValueError(f"{path}, line {line}: video {file_name!r} not found in {directory}")
        if file_name in labels:
            raise ValueError(f"{path}, line {line}: {file_name!r} is labelled twice")
        labels[file_name] = label_id
    if not labels:
        raise ValueError(f"{path}: no labelled video (expected rows 'file,label')")
    stems = [pathlib.Path(name).stem for name in labels]
    duplicate = next((stem for stem in stems if stems.count(stem) > 1), None)
    if duplicate is not None:
        raise ValueError(f"{path}: two videos share the name {duplicate!r} (the gait keys are file stems)")
    return labels


def extract_folder(
    directory: str | os.PathLike,
    labels_csv: str | os.PathLike,
    output: str | os.PathLike,
    label_names: tuple[str, ...] = EMOTIONS,
    on_video: Callable[[str, str], None] | None = None,
) -> tuple[GaitSet, list[str]]:
    """Extracts every labelled video of ``directory``; writes ``output`` and ``labels_path_for(output)``.

    ``on_video(file name, status)`` reports progress. Returns the gait set
    written and the notes (videos left out, truncated files).
    """
    directory, output = pathlib.Path(directory), pathlib.Path(output)
    if not directory.is_dir():
        raise FileNotFoundError(f"{directory}: video folder not found")
    labels = read_labels(labels_csv, directory, label_names)
    parts = output.with_name(output.name + ".parts")
    parts.mkdir(parents=True, exist_ok=True)
    pose = None
    for file_name in sorted(labels):
        part = parts / f"{file_name}.npz"
        if part.is_file():
            if on_video:
                on_video(file_name, "already extracted")
            continue
        pose = pose or PoseTracker()
        notes: list[str] = []
        try:
            extraction = extract_gaits(directory / file_name, pose)
        except ValueError as error:  # unreadable: reported, not fatal
            walking = []
            notes.append(f"left out: {error}")
        else:
            walking = [window for window in extraction.windows if window.walk.state == WALKING]
            notes.extend(extraction.notes)
            if not walking:
                notes.append(f"left out: {directory / file_name}: nobody walks in it (no walking window)")
        if walking:
            joints = np.stack([window.joints for window in walking])
            keys = np.array([extraction.gait_key(window, pathlib.Path(file_name).stem) for window in walking])
        else:
            joints, keys = np.zeros((0, NUM_FRAMES, NUM_JOINTS, 3), np.float32), np.zeros(0, dtype=str)
        with atomic_output(part, suffix=".npz") as temporary:
            with open(temporary, "wb") as handle:
                np.savez(handle, joints=joints, keys=keys, notes=np.asarray(notes, dtype=str))
        if on_video:
            on_video(file_name, f"{len(keys)} gait(s)")

    all_joints, all_keys, all_labels, all_groups, all_notes = [], [], [], [], []
    for file_name in sorted(labels):
        with np.load(parts / f"{file_name}.npz") as saved:
            all_joints.append(saved["joints"])
            all_keys.extend(saved["keys"].tolist())
            all_notes.extend(saved["notes"].tolist())
        count = all_joints[-1].shape[0]
        all_labels.extend([labels[file_name]] * count)
        all_groups.extend([pathlib.Path(file_name).stem] * count)
    if not all_keys:
        raise ValueError(f"{directory}: no gait was found in any of the {len(labels)} labelled videos: " + "; ".join(all_notes))
    gait_set = GaitSet(
        joints=np.concatenate(all_joints), labels=np.asarray(all_labels, dtype=np.int32), label_names=tuple(label_names),
        groups=np.asarray(all_groups), keys=np.asarray(all_keys), source=str(directory),
    )
    write_egait(gait_set, output, labels_path_for(output))
    shutil.rmtree(parts)
    return gait_set, all_notes
