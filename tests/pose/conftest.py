"""Shared, session-wide pieces of the video tests: the fixture video's poses and a small trained classifier."""

import pytest


@pytest.fixture(scope="session")
def video_dir(fixtures_dir):
    return fixtures_dir / "video"


@pytest.fixture(scope="session")
def fixture_video(video_dir):
    return video_dir / "walk_side_sports2d.mp4"


@pytest.fixture(scope="session")
def pose():
    from step_tf.pose.blazepose import BlazePose

    return BlazePose()


@pytest.fixture(scope="session")
def extraction(fixture_video, pose):
    """Our poses and gaits of the whole fixture video (about 3 s)."""
    from step_tf.pose.emotion import extract_gaits

    return extract_gaits(fixture_video, pose)


@pytest.fixture(scope="session")
def run_dir(tmp_path_factory):
    """A tiny STEP classifier trained for one epoch on the embedded synthetic gaits (about 15 s)."""
    from step_tf.config import resolve
    from step_tf.training.loop import train

    directory = tmp_path_factory.mktemp("video_classifier") / "run"
    train(resolve(data="embedded:160", epochs=1, batch_size=16, channels=(8, 8), strides=(1, 2), temporal_kernel_size=3),
          directory, verbose=0)
    return directory


@pytest.fixture(scope="session")
def classifier(run_dir):
    from step_tf.pose.classifier import load_classifier

    return load_classifier(run_dir)
