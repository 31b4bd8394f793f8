"""The pose-presence flag read as the probability it is, tracks ending when nobody is left, the plausibility check."""

import cv2
import numpy as np
import pytest

from step_tf.pose.blazepose import Landmarks, Roi
from step_tf.pose.tracking import MAX_ROI_SCALE, PRESENCE_THRESHOLD, implausibility
from step_tf.pose.video_io import VideoReader


@pytest.fixture(scope="module")
def walker_rois(walker_frames, pose):
    """(frame, ROI) of every 10th half-size walker frame in which the detector finds her."""
    pairs = []
    for frame in walker_frames[::10]:
        detections = pose.models.detect(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        if detections:
            pixels = np.array(frame.shape[1::-1], dtype=np.float64)
            pairs.append((frame, Roi.from_points(detections[0].keypoints[0] * pixels, detections[0].keypoints[1] * pixels)))
    return pairs


def nobody_frames(background):
    rng = np.random.default_rng(0)
    return {
        "grey": np.full_like(background, 128), "black": np.zeros_like(background),
        "noise": rng.integers(0, 256, background.shape, dtype=np.uint8), "empty room": background,
    }


def test_presence_is_a_probability_high_on_the_walker_and_low_where_nobody_is(walker_rois, background, pose):
    rgb = lambda frame: cv2.cvtColor(frame, cv2.COLOR_BGR2RGB)  # noqa: E731
    on_walker = [pose.models.landmarks(rgb(frame), roi).presence for frame, roi in walker_rois]
    assert len(on_walker) >= 10 and min(on_walker) >= 0.9
    # The same regions on frames with nobody: the model says "no pose" (below 0.5; a sigmoid on top never would).
    for name, frame in nobody_frames(background).items():
        presences = [pose.models.landmarks(rgb(frame), roi).presence for _, roi in walker_rois]
        assert max(presences) < PRESENCE_THRESHOLD, (name, presences)


def test_nobody_is_tracked_in_frames_with_nobody_and_the_detector_runs_on_each(background, pose):
    pose.restart()
    calls = pose.models.detector_calls
    for index, frame in enumerate(list(nobody_frames(background).values()) * 3):
        assert pose.process(frame, index / 30) == []
    assert pose.models.detector_calls - calls == 12


def test_a_track_ends_when_its_person_is_gone_and_the_detector_runs_again(walker_frames, background, pose):
    pose.restart()
    found = [pose.process(frame, i / 30) for i, frame in enumerate(walker_frames[:30])]
    assert all(len(poses) == 1 and poses[0].track_id == 0 for poses in found)
    calls = pose.models.detector_calls
    after = [pose.process(background, (30 + i) / 30) for i in range(10)]
    assert after == [[]] * 10
    assert pose.models.detector_calls - calls == 10  # nobody followed: the detector looks on every frame
    assert pose.end_reasons[0].startswith("pose presence 0.")


@pytest.fixture(scope="module")
def real_pose(walker_rois, pose):
    frame, roi = walker_rois[3]
    return pose.models.landmarks(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB), roi), roi, frame.shape[1], frame.shape[0]


def test_a_real_pose_is_plausible(real_pose):
    assert implausibility(*real_pose) is None


def moved(landmarks, image=None, world=None):
    return Landmarks(landmarks.image if image is None else image, landmarks.world if world is None else world,
                     landmarks.visibility, landmarks.presence)


def test_implausible_poses_are_named(real_pose):
    landmarks, roi, width, height = real_pose
    outside = landmarks.image.copy()
    outside[:, 0] -= outside[[23, 24], 0].mean() + 5  # the mid-hip 5 px left of the image
    assert "outside the 530x159 image" in implausibility(moved(landmarks, image=outside), roi, width, height)
    drifted = Roi(roi.centre_x, roi.centre_y, 2e9, roi.rotation)  # the region that grew to 2e9 px
    assert "tracked region of 2e+09 px" in implausibility(landmarks, drifted, width, height)
    huge = Roi(roi.centre_x, roi.centre_y, MAX_ROI_SCALE * width * 1.01, roi.rotation)
    assert "tracked region" in implausibility(landmarks, huge, width, height)
    assert "tracked region" in implausibility(landmarks, Roi(roi.centre_x, roi.centre_y, 20.0, 0.0), width, height)
    stretched = landmarks.world.copy()
    stretched[27] = stretched[25] + np.array([0.0, 1.5, 0.0])  # a 1.5 m shin
    assert implausibility(moved(landmarks, world=stretched), roi, width, height).startswith("shin of 1.50 m")
    collapsed = np.repeat(landmarks.world[:1], 33, axis=0)  # every landmark on one point
    assert implausibility(moved(landmarks, world=collapsed), roi, width, height).startswith("thigh of 0.00 m")


@pytest.mark.parametrize("away, same_id", [(5, True), (40, False)])
def test_a_person_found_again_soon_near_where_they_were_keeps_their_id(walker_frames, background, pose, away, same_id):
    # 5 frames (0.17 s) of the empty room between two stretches of the walk: the same person; 40 frames (1.3 s, over
    # REID_SECONDS): someone new.
    pose.restart()
    frames = walker_frames[:30] + [background] * away + walker_frames[30 + away:30 + away + 20]
    ids = [[p.track_id for p in pose.process(frame, i / 30)] for i, frame in enumerate(frames)]
    assert ids[:30] == [[0]] * 30 and ids[30:30 + away] == [[]] * away
    back = ids[30 + away:]
    assert sum(1 for found in back if found) >= 18  # the detector may miss her for a frame or two
    assert {i for found in back for i in found} == ({0} if same_id else {1})
