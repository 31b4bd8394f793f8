"""Stick-figure animations and strips: real images of the expected size, drawn from the skeleton's edges."""

import io

import numpy as np
import pytest
from PIL import Image

from step_tf.data.synthetic import generate_gaits
from step_tf.evaluation.animation import animate_gaits, gait_strip_png, side_view


def test_side_view_looks_along_the_walking_direction():
    # A gait walking along z (x fixed): the drawing's horizontal axis follows z.
    frames = np.linspace(0, 1, 10)
    joints = np.zeros((10, 16, 3))
    joints[:, :, 2] = frames[:, None] * 2.0
    joints[:, :, 1] = np.arange(16) / 16
    view = side_view(joints)
    assert np.allclose(np.abs(np.diff(view[:, 0, 0])), 2.0 / 9)
    np.testing.assert_allclose(view[..., 1], joints[..., 1])


def test_gif_side_by_side_has_one_frame_per_gait_frame(tmp_path):
    gaits = generate_gaits(num_gaits=4, seed=0)
    real, other = gaits.joints[0][:20], gaits.joints[1][:12]
    path = animate_gaits([real, other], tmp_path / "gaits.gif", titles=["real", "generated"])
    image = Image.open(path)
    assert image.format == "GIF"
    assert image.size == (2 * 240, 288)  # two 3 x 3.6 inch panels at 80 dpi
    assert image.n_frames == 20  # the longer gait; the shorter holds its last pose
    first, last = np.asarray(image.convert("L")), None
    image.seek(19)
    last = np.asarray(image.convert("L"))
    assert not np.array_equal(first, last)  # the figures move


def test_strip_png_and_bad_requests(tmp_path):
    gaits = generate_gaits(num_gaits=2, seed=0).joints
    png = gait_strip_png(list(gaits), titles=["a", "b"])
    assert Image.open(io.BytesIO(png)).size == (480, 288)
    with pytest.raises(ValueError, match=r"\.gif or \.mp4"):
        animate_gaits([gaits[0]], tmp_path / "gait.avi")
    with pytest.raises(ValueError, match="gait 0 must be"):
        animate_gaits([gaits[0][:, :5]], tmp_path / "gait.gif")
    with pytest.raises(ValueError, match="1 titles for 2 gaits"):
        gait_strip_png(list(gaits), titles=["a"])
