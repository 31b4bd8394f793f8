"""The Bandai-Namco walks as the real-data benchmark reads them (counts from the data's own README)."""

import shutil

import numpy as np
import pytest

from step_tf.data.bandai import OTHER_STYLES, clip_folds, read_bandai_other_styles, read_bandai_walks
from step_tf.data.sources import load_gaits


@pytest.fixture(scope="module")
def walks(bandai_dir):
    return read_bandai_walks(bandai_dir)


def test_forward_walks_of_the_four_emotions(walks):
    # 4 clips a class; 75-frame windows every 15 frames: angry 29, neutral 20 (one short clip tiled), happy 26, sad 75.
    assert walks.joints.shape == (150, 75, 16, 3)
    assert dict(zip(walks.label_names, np.bincount(walks.labels).tolist())) == {"angry": 29, "neutral": 20, "happy": 26, "sad": 75}
    assert len(set(walks.groups.tolist())) == 16
    assert not any("walk-back" in group for group in walks.groups)
    # Clips are grouped: every window of a clip has the clip's label.
    for clip in set(walks.groups.tolist()):
        assert len(set(walks.labels[walks.groups == clip].tolist())) == 1


def test_fold_k_is_the_kth_clip_of_every_class(walks):
    folds = clip_folds(walks)
    contents = ("walk-left_", "walk-right_", "walk_", "walk_")  # sorted names: walk-left, walk-right, walk 001, walk 002
    for fold in range(4):
        clips = sorted(set(walks.groups[folds == fold].tolist()))
        assert len(clips) == 4 and len(set(walks.labels[folds == fold].tolist())) == 4
        assert all(contents[fold] in clip for clip in clips)
    assert set(walks.groups[folds == 2].tolist()).isdisjoint(walks.groups[folds == 3].tolist())


def test_data_spec_and_stride(bandai_dir, walks):
    assert np.array_equal(load_gaits(f"bandai:{bandai_dir}").joints, walks.joints)
    assert len(load_gaits(f"bandai:{bandai_dir},5")) > 2.5 * len(walks)
    with pytest.raises(ValueError, match="bandai:DIR,STRIDE"):
        load_gaits(f"bandai:{bandai_dir},0")


def test_other_styles_for_the_open_set_probe(bandai_dir):
    styles, clips, joints = read_bandai_other_styles(bandai_dir)
    assert set(styles.tolist()) == set(OTHER_STYLES) and joints.shape[1:] == (75, 16, 3) and len(clips) == len(joints)


def test_a_folder_without_the_walks_is_a_clear_error(tmp_path, bandai_dir):
    with pytest.raises(FileNotFoundError, match="folder not found"):
        read_bandai_walks(tmp_path / "missing")
    for path in bandai_dir.glob("dataset-1_walk*_angry_*.bvh"):
        shutil.copy(path, tmp_path)
    with pytest.raises(ValueError, match="no walk/walk-left/walk-right clip of style.*happy"):
        read_bandai_walks(tmp_path)
