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
    from step_tf.pose.tracking import PoseTracker

    return PoseTracker()


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


# The scenes' test videos: built from the fixture walker at half size (530 x 159) to keep the tests fast.
SCALE = 0.5
FPS = 30.0


def _write(path, frames):
    import cv2

    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), FPS, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


@pytest.fixture(scope="session")
def walker_frames(fixture_video):
    """The fixture's 130 frames at half size, BGR."""
    import cv2

    from step_tf.pose.video_io import VideoReader

    return [cv2.resize(frame, None, fx=SCALE, fy=SCALE, interpolation=cv2.INTER_AREA) for frame, _ in VideoReader(fixture_video)]


@pytest.fixture(scope="session")
def background(walker_frames):
    """The fixture's empty background: the per-pixel temporal median of its frames (the walker never stays put)."""
    import numpy as np

    return np.median(np.stack(walker_frames), axis=0).astype(np.uint8)


@pytest.fixture(scope="session")
def scenes(walker_frames, background, tmp_path_factory):
    """Test videos (30 fps, mp4) made from the fixture walker; see each entry's comment for what it holds."""
    import numpy as np

    folder = tmp_path_factory.mktemp("scenes")
    empty = [background] * 90
    left = 200  # of 530 columns: the walker's hip crosses it at frame 81 in mediapipe's own landmarks (x = 400 at full size)
    return {
        # 3 s of the empty room, the walker (frames 90-219), 3 s of the empty room again.
        "padded": _write(folder / "padded.mp4", empty + walker_frames + empty),
        # One frame of the walker (mid-stride, frame 60) held for 3 s: a person standing still.
        "standing": _write(folder / "standing.mp4", [walker_frames[60]] * 90),
        # The walker above her mirror image: two people walking at once, in opposite directions.
        "two": _write(folder / "two.mp4", [np.concatenate([f, f[:, ::-1]]) for f in walker_frames]),
        # The right part of the frame only: the walker leaves on the left, then 2.5 s of the empty room.
        "leaving": _write(folder / "leaving.mp4", [f[:, left:].copy() for f in walker_frames + [background] * 75]),
    }


@pytest.fixture(scope="session")
def scene_extractions(scenes, pose):
    """``extract_gaits`` of every scene, once."""
    from step_tf.pose.emotion import extract_gaits

    return {name: extract_gaits(path, pose) for name, path in scenes.items()}
