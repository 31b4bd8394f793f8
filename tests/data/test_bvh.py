"""Tests of the BVH reader: hand-computed kinematics, real Bandai-Namco clips, errors."""

import shutil

import h5py
import numpy as np
import pytest

from step_tf.data import bvh
from step_tf.data.gaits import EMOTIONS
from step_tf.graph import STEP16

ANGRY = "dataset-1_walk_angry_001.bvh"
SAD = "dataset-1_walk_sad_001.bvh"


def rotation(axis: str, degrees: float) -> np.ndarray:
    """The right-handed rotation matrix about one axis, written out by hand."""
    c, s = np.cos(np.radians(degrees)), np.sin(np.radians(degrees))
    return {
        "X": np.array([[1, 0, 0], [0, c, -s], [0, s, c]]),
        "Y": np.array([[c, 0, s], [0, 1, 0], [-s, 0, c]]),
        "Z": np.array([[c, -s, 0], [s, c, 0], [0, 0, 1]]),
    }[axis]


def chain_bvh(rows, root_channels="Xposition Yposition Zposition Zrotation Xrotation Yrotation",
              mid_channels="Zrotation Xrotation Yrotation", frame_time="0.0333333", frames=None,
              root_offset="0 0 0") -> str:
    """A BVH text: Base (root) > Mid (offset 0 10 0) > Tip (offset 0 5 0) > End Site."""
    lines = [
        "HIERARCHY",
        "ROOT Base",
        "{",
        f"  OFFSET {root_offset}",
        f"  CHANNELS {len(root_channels.split())} {root_channels}",
        "  JOINT Mid",
        "  {",
        "    OFFSET 0 10 0",
        f"    CHANNELS {len(mid_channels.split())} {mid_channels}",
        "    JOINT Tip",
        "    {",
        "      OFFSET 0 5 0",
        "      CHANNELS 3 Yrotation Zrotation Xrotation",
        "      End Site",
        "      {",
        "        OFFSET 0 2 0",
        "      }",
        "    }",
        "  }",
        "}",
        "MOTION",
        f"Frames: {len(rows) if frames is None else frames}",
        f"Frame Time: {frame_time}",
    ]
    lines += [" ".join(str(value) for value in row) for row in rows]
    return "\n".join(lines) + "\n"


def write(tmp_path, text, name="clip.bvh"):
    path = tmp_path / name
    path.write_text(text)
    return path


# --- forward kinematics against hand calculation -------------------------------------------

def test_rotation_order_follows_channel_order(tmp_path):
    # Root rotated by 90 degrees about z and about x, the child at (0, 10, 0) from it.
    # Rz(90) @ Rx(90): x-rotation first takes y to z, z-rotation keeps z  -> child at +10 z.
    # Rx(90) @ Rz(90): z-rotation first takes y to -x, x-rotation keeps x -> child at -10 x.
    zx = bvh.read_bvh(write(tmp_path, chain_bvh([[1, 2, 3, 90, 90, 0, 0, 0, 0, 0, 0, 0]]), "zx.bvh"), scale=1.0)
    swapped = "Xposition Yposition Zposition Xrotation Zrotation Yrotation"
    xz_text = chain_bvh([[1, 2, 3, 90, 90, 0, 0, 0, 0, 0, 0, 0]], root_channels=swapped)
    xz = bvh.read_bvh(write(tmp_path, xz_text, "xz.bvh"), scale=1.0)
    assert zx.joint_names == ("Base", "Mid", "Tip")  # End Sites are not joints
    np.testing.assert_allclose(zx.positions[0, 1], [1, 2, 13], atol=1e-12)
    np.testing.assert_allclose(xz.positions[0, 1], [-9, 2, 3], atol=1e-12)
    # The tip rides on the same root rotation with the mid joint unrotated: 15 along the same direction.
    np.testing.assert_allclose(zx.positions[0, 2], [1, 2, 18], atol=1e-12)
    np.testing.assert_allclose(xz.positions[0, 2], [-14, 2, 3], atol=1e-12)


def test_forward_kinematics_matches_matrix_chain(tmp_path):
    # Arbitrary angles, different channel orders per joint; expected positions from hand-written matrices.
    generator = np.random.default_rng(0)
    rows = np.column_stack([generator.uniform(-50, 50, (4, 3)), generator.uniform(-180, 180, (4, 9))])
    path = write(tmp_path, chain_bvh(rows.tolist(), mid_channels="Xrotation Yrotation Zrotation"))
    motion = bvh.read_bvh(path)  # default scale: centimetres to metres
    for frame, row in enumerate(rows):
        root_rotation = rotation("Z", row[3]) @ rotation("X", row[4]) @ rotation("Y", row[5])
        mid_rotation = rotation("X", row[6]) @ rotation("Y", row[7]) @ rotation("Z", row[8])
        root = row[:3]
        mid = root + root_rotation @ [0, 10, 0]
        tip = mid + root_rotation @ mid_rotation @ [0, 5, 0]
        np.testing.assert_allclose(motion.positions[frame], 0.01 * np.stack([root, mid, tip]), atol=1e-12)
    np.testing.assert_array_equal(motion.channels, rows)


def test_position_channels_replace_the_offset(tmp_path):
    # Root with position channels: its offset (100 100 100) is ignored. Mid has none: its offset is used.
    motion = bvh.read_bvh(write(tmp_path, chain_bvh([[1, 2, 3] + [0] * 9], root_offset="100 100 100")), scale=1.0)
    np.testing.assert_allclose(motion.positions[0], [[1, 2, 3], [1, 12, 3], [1, 17, 3]], atol=1e-12)
    # A root without position channels sits at its offset.
    text = chain_bvh([[0] * 9], root_channels="Zrotation Xrotation Yrotation", root_offset="4 5 6")
    motion = bvh.read_bvh(write(tmp_path, text, "b.bvh"), scale=1.0)
    np.testing.assert_allclose(motion.positions[0], [[4, 5, 6], [4, 15, 6], [4, 20, 6]], atol=1e-12)


# --- resampling and windowing ---------------------------------------------------------------

def identity_map(names):
    """A joint map sending every STEP16 joint to one of ``names`` (enough for shape and timing tests)."""
    return {joint: names[i % len(names)] for i, joint in enumerate(STEP16.joint_names)}


def test_resampling_60_to_30_fps(tmp_path):
    # 9 frames at 60 fps (0.1333 s) -> 5 frames at 30 fps: the even source frames.
    rows = [[2 * i, 0, 0, 10 * i, 0, 0, 0, 0, 0, 0, 0, 0] for i in range(9)]
    path = write(tmp_path, chain_bvh(rows, frame_time="0.0166667"))
    positions = bvh.bvh_positions(path, joint_map=identity_map(["Base", "Mid"]), scale=1.0)
    assert positions.shape == (5, 16, 3)
    for k in range(5):
        angle = 10 * 2 * k
        root = np.array([4 * k, 0, 0])
        mid = root + 10 * np.array([-np.sin(np.radians(angle)), np.cos(np.radians(angle)), 0])
        np.testing.assert_allclose(positions[k, 0], root, atol=1e-3)
        np.testing.assert_allclose(positions[k, 1], mid, atol=1e-3)
    unresampled = bvh.bvh_positions(path, joint_map=identity_map(["Base", "Mid"]), frame_rate=None)
    assert unresampled.shape == (9, 16, 3)


def test_resampling_interpolates_between_frames(tmp_path):
    # 7 frames at 45 fps -> 30 fps samples at source frames 0, 1.5, 3, 4.5, 6.
    rows = [[2 * i, 0, 0, 90 * i, 0, 0, 0, 0, 0, 0, 0, 0] for i in range(7)]
    path = write(tmp_path, chain_bvh(rows, frame_time="0.0222222"))
    positions = bvh.bvh_positions(path, joint_map=identity_map(["Base", "Mid"]), scale=1.0)
    assert positions.shape == (5, 16, 3)
    np.testing.assert_allclose(positions[:, 0, 0], [0, 3, 6, 9, 12], atol=1e-3)
    # Mid at frame i: root + 10 (-sin(90 i), cos(90 i), 0); frame 1: (-8, 0, 0), frame 2: (4, -10, 0).
    np.testing.assert_allclose(positions[1, 1], [(-8 + 4) / 2, (0 - 10) / 2, 0], atol=1e-3)


def test_window_starts():
    assert bvh.window_starts(347, 75, 30) == [0, 30, 60, 90, 120, 150, 180, 210, 240, 270]
    assert bvh.window_starts(75, 75, 30) == [0]
    assert bvh.window_starts(20, 75, 30) == [0]
    with pytest.raises(ValueError, match="stride"):
        bvh.window_starts(100, 75, 0)


def test_short_clip_is_tiled(tmp_path):
    rows = [[i, 0, 0] + [0] * 9 for i in range(20)]
    path = write(tmp_path, chain_bvh(rows), "walk_happy_short.bvh")
    gaits = bvh.read_bvh_gaits(path, "happy", joint_map=identity_map(["Base"]))
    assert gaits.joints.shape == (1, 75, 16, 3)
    np.testing.assert_allclose(gaits.joints[0, :, 0, 0], 0.01 * (np.arange(75) % 20), atol=1e-7)
    assert gaits.keys.tolist() == ["walk_happy_short_00000"]
    assert gaits.labels.tolist() == [EMOTIONS.index("happy")]


# --- real data ------------------------------------------------------------------------------

@pytest.mark.parametrize("clip, key", [(ANGRY, "walk_angry_001"), (SAD, "walk_sad_001")])
def test_window_reproduces_reference_fixtures(fixtures_dir, clip, key):
    positions = bvh.bvh_positions(fixtures_dir / clip).astype(np.float64)
    window = positions[30:105]
    with h5py.File(fixtures_dir / "bandai_walk_features.h5", "r") as features:
        matching = [k for k in features if key.split("_")[1] in k]
        assert matching == [key]
        reference = features[key][()].reshape(75, 16, 3)  # joint-major x0 y0 z0 x1 ...
    np.testing.assert_allclose(window - window[:, :1], reference, atol=1e-4)
    archive = np.load(fixtures_dir / "bandai_walk_step16_4x75.npz")
    world = archive["positions"][archive["names"].tolist().index(key)]
    np.testing.assert_allclose(window, world, atol=1e-4)


@pytest.mark.parametrize("clip, slowest, fastest", [(ANGRY, 1.0, 1.9), (SAD, 0.4, 0.6)])
def test_real_clip_bones_and_speed(fixtures_dir, clip, slowest, fastest):
    motion = bvh.read_bvh(fixtures_dir / clip)
    bvh_names = [bvh.BANDAI_NAMCO_JOINT_MAP[name] for name in STEP16.joint_names]
    positions = motion.joint_positions(bvh_names)
    parents = {joint.name: motion.joints[joint.parent].name for joint in motion.joints if joint.parent >= 0}
    for first, second in STEP16.edges:
        lengths = np.linalg.norm(positions[:, first] - positions[:, second], axis=-1)
        assert 0.05 < lengths.mean() < 0.5  # metres: a neck of 6.5 cm up to a shin of 41 cm
        if parents[bvh_names[second]] == bvh_names[first]:
            # One rigid BVH bone: constant to the file's 6 printed digits.
            assert np.ptp(lengths) < 1e-5, (bvh_names[first], bvh_names[second])
        else:
            # The STEP edge spans a BVH joint that rotates (Chest, Shoulder_*): a few millimetres.
            assert np.ptp(lengths) < 0.01, (bvh_names[first], bvh_names[second])
    # Net horizontal (x, z) displacement of the root over the clip, per second.
    root = positions[:, 0]
    speed = np.linalg.norm((root[-1] - root[0])[[0, 2]]) / ((motion.num_frames - 1) * motion.frame_time)
    assert slowest <= speed <= fastest


def test_real_clip_windows(fixtures_dir):
    gaits = bvh.read_bvh_gaits(fixtures_dir / SAD, "sad")
    # 347 frames, 75-frame windows every 30 frames: floor((347 - 75) / 30) + 1 = 10.
    assert gaits.joints.shape == (10, 75, 16, 3)
    assert gaits.keys.tolist() == [f"dataset-1_walk_sad_001_{start:05d}" for start in range(0, 271, 30)]
    assert set(gaits.groups.tolist()) == {"dataset-1_walk_sad_001"}
    assert gaits.labels.tolist() == [EMOTIONS.index("sad")] * 10
    archive = np.load(fixtures_dir / "bandai_walk_step16_4x75.npz")
    reference = archive["positions"][archive["names"].tolist().index("walk_sad_001")]
    np.testing.assert_allclose(gaits.joints[1], reference, atol=1e-4)  # the window starting at frame 30


def test_read_folder(fixtures_dir, tmp_path):
    for clip in (ANGRY, SAD):
        shutil.copy(fixtures_dir / clip, tmp_path / clip)
    gaits = bvh.read_bvh_folder(tmp_path, stride=75)
    # 143 frames -> 1 window, 347 frames -> 4 windows of 75 at stride 75.
    assert gaits.keys.tolist() == ["dataset-1_walk_angry_001_00000"] + [
        f"dataset-1_walk_sad_001_{start:05d}" for start in (0, 75, 150, 225)
    ]
    assert gaits.labels.tolist() == [0, 3, 3, 3, 3]
    assert gaits.groups.tolist() == ["dataset-1_walk_angry_001"] + ["dataset-1_walk_sad_001"] * 4
    explicit = bvh.read_bvh_folder(tmp_path, labels={ANGRY: "happy", "dataset-1_walk_sad_001": "neutral"}, stride=75)
    assert explicit.labels.tolist() == [2, 1, 1, 1, 1]


def test_infer_label():
    assert bvh.infer_label("dataset-1_walk_normal_001.bvh") == "neutral"
    assert bvh.infer_label("Happy-Walk.bvh") == "happy"
    with pytest.raises(ValueError, match="walk_proud_001.bvh.*names no label"):
        bvh.infer_label("walk_proud_001.bvh")
    with pytest.raises(ValueError, match="several labels"):
        bvh.infer_label("sad_to_happy.bvh")


# --- errors ---------------------------------------------------------------------------------

def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError, match="nowhere.bvh"):
        bvh.read_bvh(tmp_path / "nowhere.bvh")


def test_empty_file(tmp_path):
    with pytest.raises(ValueError, match="clip.bvh: the file is empty"):
        bvh.read_bvh(write(tmp_path, "\n  \n"))


def test_not_a_bvh(tmp_path):
    with pytest.raises(ValueError, match="not a BVH file: expected 'HIERARCHY'"):
        bvh.read_bvh(write(tmp_path, "frame,x,y,z\n0,1,2,3\n"))


def test_truncated_motion(tmp_path):
    path = write(tmp_path, chain_bvh([[0] * 12] * 3, frames=5))
    with pytest.raises(ValueError, match="clip.bvh: motion section truncated: 'Frames: 5' but 3 frame rows"):
        bvh.read_bvh(path)


def test_wrong_channel_count_names_the_line(tmp_path):
    text = chain_bvh([[0] * 12, [0] * 11, [0] * 12])
    line_number = text.splitlines().index("Frame Time: 0.0333333") + 3  # second frame row, 1-based
    with pytest.raises(ValueError, match=f"line {line_number}: frame 1 has 11 values; the hierarchy declares 12"):
        bvh.read_bvh(write(tmp_path, text))


def test_non_numeric_value(tmp_path):
    text = chain_bvh([[0] * 12, [0] * 5 + ["abc"] + [0] * 6])
    line_number = text.splitlines().index("Frame Time: 0.0333333") + 3
    with pytest.raises(ValueError, match=f"line {line_number}: frame 1 has a non-numeric value 'abc'"):
        bvh.read_bvh(write(tmp_path, text))


def test_bad_hierarchy_names_the_line(tmp_path):
    text = chain_bvh([[0] * 12]).replace("CHANNELS 3 Yrotation", "CHANNELS 3 Wrotation")
    line_number = [i for i, line in enumerate(text.splitlines(), 1) if "Wrotation" in line][0]
    with pytest.raises(ValueError, match=f"line {line_number}: joint 'Tip' has channels Wrotation"):
        bvh.read_bvh(write(tmp_path, text))


def test_joint_map_naming_a_missing_joint(fixtures_dir):
    joint_map = dict(bvh.BANDAI_NAMCO_JOINT_MAP, root="Pelvis")
    with pytest.raises(ValueError, match=f"{ANGRY}: no joint 'Pelvis'"):
        bvh.bvh_positions(fixtures_dir / ANGRY, joint_map=joint_map)
    incomplete = {k: v for k, v in bvh.BANDAI_NAMCO_JOINT_MAP.items() if k != "head"}
    with pytest.raises(ValueError, match="missing 'head'"):
        bvh.bvh_positions(fixtures_dir / ANGRY, joint_map=incomplete)


def test_unknown_label(tmp_path):
    path = write(tmp_path, chain_bvh([[0] * 12]), "walk_proud_001.bvh")
    with pytest.raises(ValueError, match="walk_proud_001.bvh: unknown label 'proud'"):
        bvh.read_bvh_gaits(path, "proud", joint_map=identity_map(["Base"]))
    with pytest.raises(ValueError, match="walk_proud_001.bvh: cannot infer the label"):
        bvh.read_bvh_folder(tmp_path, joint_map=identity_map(["Base"]))


def test_empty_folder(tmp_path):
    with pytest.raises(ValueError, match="holds no .bvh files"):
        bvh.read_bvh_folder(tmp_path)
