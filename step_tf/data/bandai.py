"""The Bandai-Namco Research Motion dataset-1 walks, read from the folder a user downloaded.

The data set (Kobayashi et al. 2023, arXiv:2306.08861; CC BY-NC 4.0, so nothing
of it ships with this package) holds clips named
``dataset-1_{content}_{style}_{take}.bvh``: 30 fps, centimetres, y up. Four of
its 15 styles are STEP emotions (``normal`` is neutral); the other 11
(``tired``, ``proud``, ...) carry none and are read only for the open-set probe.

The real-data protocol of this project (``bench/real_walks.py``):

* forward walks only: contents ``walk`` (takes 001 and 002), ``walk-left`` and
  ``walk-right``; ``walk-back`` (walking backwards) is kept out;
* 75-frame windows every ``stride`` = 15 frames; a clip's windows share its
  group (the clip stem), so a split never cuts a clip;
* four folds: fold k tests on the k-th clip (in sorted name order) of every
  class and trains on the others (``clip_folds``).

Actors are not identified in the release, so no split by subject is possible.
"""

from __future__ import annotations

import os
import pathlib
import re

import numpy as np

from step_tf.data.bvh import LABEL_ALIASES, read_bvh_gaits
from step_tf.data.gaits import EMOTIONS, GaitSet, concatenate

FORWARD_CONTENTS = ("walk", "walk-left", "walk-right")
EMOTION_STYLES = ("angry", "normal", "happy", "sad")
OTHER_STYLES = (
    "proud", "not-confident", "masculinity", "feminine", "childish", "old",
    "tired", "active", "musical", "giant", "chimpira",
)
DEFAULT_STRIDE = 15
_CLIP_NAME = re.compile(r"^dataset-1_(?P<content>[a-z-]+)_(?P<style>[a-z-]+)_(?P<take>\d{3})$")


def clip_paths(directory: str | os.PathLike, styles, contents=FORWARD_CONTENTS) -> list[pathlib.Path]:
    """The BVH clips of ``directory`` whose content and style are among the given ones, sorted by name."""
    directory = pathlib.Path(directory)
    if not directory.is_dir():
        raise FileNotFoundError(
            f"{directory}: folder not found; point bandai:DIR at the dataset's "
            "Bandai-Namco-Research-Motiondataset-1/data folder (the unzipped BVH files)"
        )
    paths = []
    for path in sorted(directory.glob("*.bvh")):
        match = _CLIP_NAME.match(path.stem)
        if match and match["content"] in contents and match["style"] in styles:
            paths.append(path)
    missing = sorted(set(styles) - {_CLIP_NAME.match(p.stem)["style"] for p in paths})
    if missing:
        raise ValueError(
            f"{directory}: no {'/'.join(contents)} clip of style(s) {', '.join(missing)} "
            "(expected files named dataset-1_{content}_{style}_{take}.bvh)"
        )
    return paths


def read_bandai_walks(
    directory: str | os.PathLike, stride: int = DEFAULT_STRIDE, label_names: tuple[str, ...] = EMOTIONS,
    plausibility_check: bool = True,
) -> GaitSet:
    """The forward walks of the four emotion styles as labelled 75-frame windows, grouped by clip.

    World coordinates, metres, y up, 30 fps; ``label_names`` must contain
    angry, neutral, happy and sad (``normal`` is read as neutral). ``plausibility_check``: see
    ``step_tf.data.bvh.bvh_windows``.
    """
    wanted = {LABEL_ALIASES.get(style, style) for style in EMOTION_STYLES}
    if not wanted <= set(label_names):
        raise ValueError(f"bandai data needs the label names {', '.join(sorted(wanted))}, got {', '.join(label_names)}")
    gait_sets = []
    for path in clip_paths(directory, EMOTION_STYLES):
        style = _CLIP_NAME.match(path.stem)["style"]
        gait_sets.append(read_bvh_gaits(path, LABEL_ALIASES.get(style, style), label_names=label_names, stride=stride,
                                         plausibility_check=plausibility_check))
    return concatenate(gait_sets, source=f"bandai:{directory}")


def read_bandai_other_styles(directory: str | os.PathLike, stride: int = DEFAULT_STRIDE) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The 11 non-emotion styles' forward-walk windows: ``(styles (N,), clips (N,), joints (N, 75, 16, 3))``."""
    styles, clips, joints = [], [], []
    for path in clip_paths(directory, OTHER_STYLES):
        # Any label will do for reading; the style is what the probe reports.
        windows = read_bvh_gaits(path, EMOTIONS[0], stride=stride)
        styles += [_CLIP_NAME.match(path.stem)["style"]] * len(windows)
        clips += [path.stem] * len(windows)
        joints.append(windows.joints)
    return np.array(styles), np.array(clips), np.concatenate(joints)


def clip_folds(gait_set: GaitSet) -> np.ndarray:
    """The protocol fold of every gait ``(N,)`` int: the rank of its clip among its class's clips (sorted by name)."""
    fold = np.empty(len(gait_set), dtype=np.int64)
    for label in np.unique(gait_set.labels):
        in_class = gait_set.labels == label
        clips = sorted(set(gait_set.groups[in_class].tolist()))
        rank = {clip: index for index, clip in enumerate(clips)}
        fold[in_class] = [rank[clip] for clip in gait_set.groups[in_class]]
    return fold
