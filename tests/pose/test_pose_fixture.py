"""Our BlazePose pipeline against what mediapipe 0.10.21 itself returned for the fixture video, and the classifier on both."""

import numpy as np
import pytest

from step_tf.data.preprocess import root_centre
from step_tf.graph import get_layout
from step_tf.pose.emotion import EmotionStream
from step_tf.pose.gait import skeleton_from_world
from step_tf.pose.video_io import VideoReader

STEP = get_layout("step16")


@pytest.fixture(scope="module")
def reference(video_dir):
    """mediapipe's 16-joint skeleton of the fixture, z negated into our (rotation, not mirror) axes."""
    return np.load(video_dir / "walk_side_sports2d_mp0.10.21_skeleton16.npz")["joints"] * np.array([1, 1, -1], np.float32)


def our_skeleton(extraction):
    track, = extraction.tracks
    world = np.full((extraction.num_frames, 33, 3), np.nan, np.float32)
    world[track.frames] = np.stack(track.sequence.world)
    return skeleton_from_world(world)


def test_pose_is_found_in_at_least_99_percent_of_frames(extraction):
    assert extraction.num_frames == 130
    assert extraction.detected_fraction >= 0.99
    # One person, followed throughout, and the detector not run on every frame (every 10th while she is tracked).
    track, = extraction.tracks
    assert track.frames[0] == 0 and track.frames[-1] == 129 and track.end_reason == "the video ended"
    assert [w.walk.state for w in extraction.windows] == ["walking", "walking"]


def test_joint_error_against_mediapipe(extraction, reference):
    ours = our_skeleton(extraction)
    found = np.isfinite(ours).all(axis=(1, 2))
    errors = np.linalg.norm(root_centre(ours[found]) - root_centre(reference[found]), axis=-1)
    assert errors.mean() <= 0.04
    assert np.percentile(errors, 95) <= 0.08


def bone_variation(joints):
    """Coefficient of variation (sd / mean) of each bone's length over the frames (the fixture README's measure)."""
    lengths = np.stack([np.linalg.norm(joints[:, i] - joints[:, j], axis=-1) for i, j in STEP.edges], axis=-1)
    return lengths.std(axis=0) / lengths.mean(axis=0)


def test_bone_lengths_are_steady(extraction, reference):
    ours, theirs = bone_variation(our_skeleton(extraction)), bone_variation(reference)
    far_forearm = STEP.edges.index((8, 9))  # elbow_right - hand_right, hidden behind the body half the time
    for index, (i, j) in enumerate(STEP.edges):
        if index == far_forearm:
            # mediapipe's own output varies by more than 8 % here; ask for no worse than it (+2 points).
            assert ours[index] <= theirs[index] + 0.02, (STEP.joint_names[i], STEP.joint_names[j], ours[index], theirs[index])
        else:
            assert ours[index] <= 0.08, (STEP.joint_names[i], STEP.joint_names[j], ours[index])


def test_classifier_agrees_on_our_skeleton_and_mediapipes(extraction, reference, classifier):
    # The same windows cut from both skeletons (both 30 fps, every frame found).
    ours = np.stack([w.joints for w in extraction.windows])
    theirs = np.stack([reference[s:s + 75] for s in (round(w.start_time * 30) for w in extraction.windows)])
    ours_p, theirs_p = classifier.predict(ours), classifier.predict(theirs)
    assert np.array_equal(ours_p.argmax(axis=-1), theirs_p.argmax(axis=-1))
    assert np.abs(ours_p - theirs_p).max() <= 0.05
    # The tolerance is not vacuous: the same walk at half speed moves the answer by more (measured 0.50; 5 mm of
    # random jitter moves it by less than 0.001 since the affective features smooth before they differentiate).
    half_speed = np.repeat(theirs[:, :38], 2, axis=1)[:, :75]
    assert np.abs(classifier.predict(half_speed) - theirs_p).max() > 0.05


def test_stream_gives_the_file_modes_answer_every_k_frames(fixture_video, extraction, classifier, pose):
    stream = EmotionStream(classifier, every=15, pose=pose)
    pose.restart()
    updates = [u for frame, t in VideoReader(fixture_video) for u in stream.push(frame, t)]
    # Updates at frames 30, 45, ..., 120 (a walk must last 1 s first): at least once a second, all of track 0 walking
    # (the stream's rule on 1 s of walking asks for one change of leading foot).
    assert [round(u.timestamp * 30) for u in updates] == list(range(29, 130, 15))
    assert {(u.track_id, u.state) for u in updates} == {(0, "walking")}
    assert [u.frames_used for u in updates] == [min(f + 1, 75) for f in range(29, 130, 15)]
    # The last update (frame 119) classifies frames 45..119, exactly what the file mode extracts there.
    last_window = extraction.segments[0].joints[45:120]
    expected = classifier.predict(last_window[None])[0]
    np.testing.assert_allclose(updates[-1].probabilities, expected, atol=1e-5)
