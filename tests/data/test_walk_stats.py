"""Walk statistics on hand-made skeletons with known answers, and the realism report."""

import numpy as np
import pytest

from step_tf.data import walk_stats
from step_tf.data.preprocess import rotation_about_vertical
from step_tf.graph import STEP16

J = {name: index for index, name in enumerate(STEP16.joint_names)}
FRAME_RATE = 30.0

# A standing pose facing +z (x = left, y = up), metres; bones: thigh 0.4, shin 0.42,
# upper arm 0.3, forearm 0.25, root-spine 0.2 + spine-neck 0.3.
POSE = np.zeros((16, 3))
POSE[J["root"]] = (0.0, 0.9, 0.0)
POSE[J["spine"]] = (0.0, 1.1, 0.0)
POSE[J["neck"]] = (0.0, 1.4, 0.0)
POSE[J["head"]] = (0.0, 1.5, 0.0)
for side, sign in (("left", 1.0), ("right", -1.0)):
    POSE[J[f"shoulder_{side}"]] = (0.2 * sign, 1.4, 0.0)
    POSE[J[f"elbow_{side}"]] = (0.2 * sign, 1.1, 0.0)
    POSE[J[f"hand_{side}"]] = (0.2 * sign, 0.85, 0.0)
    POSE[J[f"hip_{side}"]] = (0.1 * sign, 0.9, 0.0)
    POSE[J[f"knee_{side}"]] = (0.1 * sign, 0.5, 0.0)
    POSE[J[f"foot_{side}"]] = (0.1 * sign, 0.08, 0.0)


def translated(velocity, num_frames=60):
    """The pose moved at a constant ``velocity`` (3,) m/s: ``(1, T, 16, 3)``."""
    time = np.arange(num_frames)[:, None, None] / FRAME_RATE
    return (POSE[None] + time * np.asarray(velocity)[None, None, :])[None]


def turned(gaits, angle):
    return gaits @ rotation_about_vertical(angle).T


def test_speed_of_a_skeleton_translated_at_a_known_velocity():
    gaits = np.concatenate([translated((0.3, 0.0, 1.2)), translated((-0.9, 0.0, 0.0))])
    np.testing.assert_allclose(walk_stats.walking_speed(gaits), [np.hypot(0.3, 1.2), 0.9], rtol=1e-9)
    # Vertical motion is not walking.
    np.testing.assert_allclose(walk_stats.walking_speed(translated((0.0, 0.5, 1.0))), [1.0], rtol=1e-9)


def walking_feet(stride=1.2, cycle_frames=30, stance_frames=18, num_frames=90):
    """Feet planted at multiples of ``stride`` (left) and shifted half a stride (right), 10 cm swing lift."""
    gaits = translated((0.0, 0.0, stride * FRAME_RATE / cycle_frames), num_frames)
    for foot, frame_shift, position_shift in ((J["foot_left"], 0, 0.0), (J["foot_right"], cycle_frames // 2, -stride / 2)):
        for frame in range(num_frames):
            cycle, within = divmod(frame + frame_shift, cycle_frames)
            if within < stance_frames:
                forward, lift = cycle * stride, 0.0
            else:
                swing = (within - stance_frames) / (cycle_frames - stance_frames)
                forward, lift = (cycle + swing) * stride, 0.1 * np.sin(np.pi * swing)
            gaits[0, frame, foot, 1] = 0.08 + lift
            gaits[0, frame, foot, 2] = forward + position_shift
    return gaits


def test_stride_length_of_feet_on_a_known_path_in_any_heading():
    gaits = walking_feet(stride=1.2)
    np.testing.assert_allclose(walk_stats.stride_length(gaits), [1.2], atol=1e-9)
    np.testing.assert_allclose(walk_stats.stride_length(turned(gaits, 2.0)), [1.2], atol=1e-9)
    np.testing.assert_allclose(walk_stats.stride_length(walking_feet(stride=0.8)), [0.8], atol=1e-9)


def test_strikes_are_contact_onsets_and_a_brief_lift_is_not_a_strike():
    heights = np.array([0.0, 0.0, 0.2, 0.1, 0.0, 0.005, 0.03, 0.0, 0.0, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.2, 0.0])
    # Contact starts at 4 (after 2 frames off); the 1-frame lift at 6 does not start a new one with 3 swing frames.
    np.testing.assert_array_equal(walk_stats.foot_strikes(heights, 0.0, 0.02, 2), [4, 16])
    np.testing.assert_array_equal(walk_stats.foot_strikes(heights, 0.0, 0.02, 3), [16])


def test_stride_is_nan_without_two_strikes():
    gaits = translated((0.0, 0.0, 1.0))  # feet never leave the floor
    assert np.isnan(walk_stats.stride_length(gaits)[0])


def test_arm_swing_is_the_fore_aft_range_of_the_hands():
    gaits = translated((0.0, 0.0, 1.0))
    phase = 2 * np.pi * np.arange(gaits.shape[1]) / 40.0  # frames 10 and 30 hit sin = +-1
    gaits[0, :, J["hand_left"], 2] += 0.2 * np.sin(phase)  # range 0.4 m along walking
    gaits[0, :, J["hand_right"], 2] -= 0.1 * np.sin(phase)  # range 0.2 m
    gaits[0, :, J["hand_right"], 0] += 0.3 * np.sin(phase)  # sideways: does not count
    np.testing.assert_allclose(walk_stats.arm_swing(gaits), [0.3], atol=1e-12)
    np.testing.assert_allclose(walk_stats.arm_swing(turned(gaits, -1.0)), [0.3], atol=1e-12)


@pytest.mark.parametrize("pitch_degrees", [20.0, -15.0, 0.0])
def test_head_pitch_is_the_forward_tilt_of_neck_to_head(pitch_degrees):
    gaits = translated((0.0, 0.0, 1.0))
    pitch = np.radians(pitch_degrees)
    gaits[0, :, J["head"]] = gaits[0, :, J["neck"]] + 0.1 * np.array([0.0, np.cos(pitch), np.sin(pitch)])
    np.testing.assert_allclose(walk_stats.head_pitch(turned(gaits, 0.7)), [pitch_degrees], atol=1e-9)


def test_bone_lengths_of_the_known_pose():
    lengths = walk_stats.bone_lengths(translated((0.0, 0.0, 1.0)))
    expected = {"thigh": 0.4, "shin": 0.42, "upper_arm": 0.3, "forearm": 0.25, "spine": 0.5}
    for name, value in expected.items():
        np.testing.assert_allclose(lengths[name], [value], atol=1e-12, err_msg=name)


def test_bad_input_raises_value_error():
    with pytest.raises(ValueError, match=r"\(N, T, 16, 3\)"):
        walk_stats.walking_speed(np.zeros((2, 10, 15, 3)))
    with pytest.raises(ValueError, match="does not walk"):
        walk_stats.arm_swing(translated((0.0, 0.0, 0.0)))


def test_class_summary_markdown_shows_mean_and_sd_per_class():
    statistics = {"speed": np.array([1.0, 2.0, 3.0, 0.5]), "stride_length": np.array([1.0, np.nan, 1.0, 0.7])}
    labels = np.array([0, 0, 0, 1])
    table = walk_stats.class_summary_markdown(statistics, labels, ("fast", "slow"), names=("speed", "stride_length"))
    lines = table.splitlines()
    assert lines[0] == "| class | n | speed (m/s) | stride_length (m) |"
    assert lines[2] == "| fast | 3 | 2.00 ± 1.00 | 1.00 ± 0.00 |"
    assert lines[3] == "| slow | 1 | 0.50 | 0.70 |"


def test_real_fixture_statistics_are_plausible(fixtures_dir):
    joints, labels, names = walk_stats.load_real_fixture(fixtures_dir)
    speed = dict(zip((names[label] for label in labels), walk_stats.walking_speed(joints)))
    # The fixture README: the sad walk is slow, the angry one fast.
    assert speed["sad"] < speed["neutral"] < speed["angry"]
    lengths = walk_stats.bone_lengths(joints)
    assert all(0.2 < value.mean() < 0.5 for value in lengths.values())


def test_realism_report_cli(fixtures_dir, capsys):
    assert walk_stats.main(["--num-gaits", "40", "--fixtures-dir", str(fixtures_dir)]) == 0
    output = capsys.readouterr().out
    for class_name in ("angry", "neutral", "happy", "sad"):
        assert f"| {class_name} | 10 / 1 |" in output
    assert "thigh (m)" in output


def test_realism_report_cli_reports_a_missing_fixture(tmp_path, capsys):
    assert walk_stats.main(["--num-gaits", "8", "--fixtures-dir", str(tmp_path)]) == 1
    assert "bandai_walk_step16_4x75.npz" in capsys.readouterr().err
