"""Poses to gaits: axes and handedness, 33 -> 16 mapping, gap filling and splitting, resampling, windows."""

import numpy as np
import pytest

from step_tf.graph import BLAZEPOSE33, get_layout, joint_mapping
from step_tf.pose.blazepose import Roi
from step_tf.pose.gait import PoseSequence, resample, segments, skeleton_from_world, windows
from step_tf.pose.tracking import PoseFrame

STEP = get_layout("step16")


def landmarks(**points):
    world = np.zeros((33, 3), dtype=np.float32)
    for name, value in points.items():
        world[BLAZEPOSE33.joint_index(name)] = value
    return world


def test_mapping_reproduces_the_fixture_skeleton(video_dir):
    # The fixture's 16 joints were made from mediapipe's 33 by someone else (y flipped only).
    world = np.load(video_dir / "walk_side_sports2d_mp0.10.21_landmarks33.npz")["world"]
    expected = np.load(video_dir / "walk_side_sports2d_mp0.10.21_skeleton16.npz")["joints"]
    mapped = np.einsum("vj,tjc->tvc", joint_mapping("blazepose33", "step16"), world * np.array([1, -1, 1], np.float32))
    np.testing.assert_allclose(mapped, expected, atol=1e-6)
    # Ours also turns z (a rotation, not a mirror): the same skeleton with z negated.
    np.testing.assert_allclose(skeleton_from_world(world), expected * np.array([1, 1, -1], np.float32), atol=1e-6)


def test_axes_are_a_rotation_that_keeps_left_on_the_left():
    # Facing the camera in BlazePose's axes (y down, z away): nose nearer the camera (smaller z).
    world = landmarks(
        left_shoulder=(0.2, -0.5, 0.0), right_shoulder=(-0.2, -0.5, 0.0), nose=(0.0, -0.7, -0.1),
        left_ear=(0.07, -0.7, 0.0), right_ear=(-0.07, -0.7, 0.0), left_hip=(0.1, 0.0, 0.0), right_hip=(-0.1, 0.0, 0.0),
    )
    joints = skeleton_from_world(world)
    up = joints[STEP.joint_index("neck")] - joints[STEP.joint_index("root")]
    # Independent of the code's axes: the nose in front of the ears, turned into y up by hand.
    turned = world * np.array([1, -1, -1])
    forward = turned[BLAZEPOSE33.joint_index("nose")] - turned[[7, 8]].mean(axis=0)
    assert up[1] > 0  # y up
    left = joints[STEP.joint_index("shoulder_left")] - joints[STEP.joint_index("shoulder_right")]
    # In a right-handed frame a body's left is up x forward.
    assert np.dot(np.cross(up, forward), left) > 0


def test_unknown_mapping_is_refused():
    with pytest.raises(ValueError, match="no joint mapping from layout 'step16' to 'blazepose33'"):
        joint_mapping("step16", "blazepose33")


def test_resample_25_fps_linear_motion_exactly():
    times = np.arange(50) / 25.0
    values = (2.0 * times + 1.0)[:, None]
    sampled = resample(times, values, 30.0)
    assert sampled.shape == (59, 1)  # 0 .. 1.96 s at 30 fps: floor(1.96 * 30) + 1 frames
    np.testing.assert_allclose(sampled[:, 0], 2.0 * np.arange(59) / 30.0 + 1.0, atol=1e-9)


def test_resample_60_fps_sine_within_the_interpolation_bound():
    times = np.arange(120) / 60.0 + 0.5  # videos need not start at 0
    sampled = resample(times, np.sin(2 * np.pi * times)[:, None], 30.0)[:, 0]
    grid = 0.5 + np.arange(sampled.size) / 30.0
    # Linear interpolation error <= h^2 / 8 * max|f''| = (1/60)^2 / 8 * (2 pi)^2.
    assert np.max(np.abs(sampled - np.sin(2 * np.pi * grid))) <= (1 / 60) ** 2 / 8 * (2 * np.pi) ** 2 + 1e-12


def sequence_of(times, present, track_ids=None, value_of=lambda t: t):
    sequence = PoseSequence()
    for index, (t, here) in enumerate(zip(times, present)):
        frame = None
        if here:
            world = np.full((33, 3), value_of(t), dtype=np.float32)
            track = 0 if track_ids is None else track_ids[index]
            frame = PoseFrame(world, np.zeros((33, 3), np.float32), np.ones(33, np.float32), 1.0, Roi(0, 0, 1, 0), track,
                              np.zeros(4, np.float32))
        sequence.append(t, frame)
    return sequence


def test_short_gap_is_interpolated_long_gap_splits():
    times = np.arange(150) / 30.0
    present = np.ones(150, bool)
    present[40:49] = False  # 0.33 s apart: filled
    present[90:110] = False  # 0.70 s apart: split
    found = segments(sequence_of(times, present), (640, 480), max_gap=0.5, min_duration=1.0)
    assert [s.joints.shape[0] for s in found] == [90, 40]
    assert found[1].start_time == pytest.approx(110 / 30)
    # Filled frames lie on the line between the frames around the gap (x = t, y and z negated).
    np.testing.assert_allclose(found[0].joints[40:49, :, 0], np.repeat(times[40:49, None], 16, axis=1), atol=1e-6)


def test_a_change_of_person_splits_and_short_walks_are_dropped():
    times = np.arange(100) / 30.0
    tracks = np.where(np.arange(100) < 80, 0, 1)
    found = segments(sequence_of(times, np.ones(100, bool), tracks), (640, 480), min_duration=1.0)
    assert [(s.track_id, s.joints.shape[0]) for s in found] == [(0, 80)]  # the 20-frame walk of person 1 is too short


def test_windows_and_tiling():
    times = np.arange(140) / 30.0
    long_walk, = segments(sequence_of(times, np.ones(140, bool)), (640, 480))
    cut = windows([long_walk], num_frames=75, stride=30)
    assert [round(w.start_time * 30) for w in cut] == [0, 30, 60]  # (140 - 75) // 30 + 1 windows
    assert not any(w.tiled for w in cut)
    short_walk, = segments(sequence_of(times[:40], np.ones(40, bool)), (640, 480))
    tiled, = windows([short_walk])
    assert tiled.tiled and tiled.joints.shape == (75, 16, 3)
    np.testing.assert_array_equal(tiled.joints[40:75], short_walk.joints[:35])
