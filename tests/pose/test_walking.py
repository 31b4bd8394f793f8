"""The walking rule on made-up motions whose answer is known: a walk, a treadmill, jumping jacks, standing still."""

import numpy as np
import pytest

from step_tf.pose.walking import FOOT_LEFT, FOOT_RIGHT, NECK, ROOT, check_walking, foot_alternations

RATE = 30.0


def motion(seconds=2.5, speed=1.0, stride=0.6, cadence=1.8, sideways=False, jitter=0.0):
    """World joints (T, 16, 3) y up and image joints (T, 16, 2) in pixels of a made-up person.

    ``speed`` m/s of the root over the ground (seen side-on, 200 px per metre), ``cadence`` changes of leading foot
    per second, ``stride`` the feet's front-back swing (m); ``sideways`` swings them apart and together instead.
    """
    t = np.arange(round(seconds * RATE)) / RATE
    rng = np.random.default_rng(0)
    world = np.zeros((t.size, 16, 3))
    world[:, NECK] = (0.0, 0.5, 0.0)
    swing = stride / 2 * np.sin(np.pi * cadence * t)  # leading foot changes twice per period
    if sideways:
        world[:, FOOT_LEFT] = np.stack([0.1 + 0.2 * (1 + np.sin(np.pi * cadence * t)), -0.9 + 0 * t, 0 * t], axis=-1)
        world[:, FOOT_RIGHT] = world[:, FOOT_LEFT] * np.array([-1, 1, 1])
    else:
        world[:, FOOT_LEFT] = np.stack([0.1 + 0 * t, -0.9 + 0 * t, swing], axis=-1)
        world[:, FOOT_RIGHT] = np.stack([-0.1 + 0 * t, -0.9 + 0 * t, -swing], axis=-1)
    world += rng.normal(0.0, jitter, world.shape)
    image = np.zeros((t.size, 16, 2))
    image[:, ROOT] = np.stack([300 + 200 * speed * t, 200 + 0 * t], axis=-1)
    image[:, NECK] = image[:, ROOT] - (0, 100)
    image[:, FOOT_LEFT] = image[:, FOOT_RIGHT] = image[:, ROOT] + (0, 180)
    return world, image


def test_a_walk_is_walking():
    check = check_walking(*motion(), RATE)
    # 1 m/s at 200 px/m over a body of 280 px: 0.71 sizes per second; 1.8 changes per second over 2.5 s.
    assert check.state == "walking"
    assert check.travel_per_second == pytest.approx(200 / 280 * 74 / 75, rel=1e-6)
    assert check.alternations == 4 and check.min_alternations == 2


def test_a_slow_walk_is_still_walking():
    assert check_walking(*motion(speed=0.35, cadence=1.0, stride=0.4, jitter=0.01), RATE).state == "walking"


@pytest.mark.parametrize("name, options, reason", [
    ("treadmill", dict(speed=0.0), "travel"),
    ("jumping jacks", dict(speed=0.0, sideways=True), "both"),
    ("jumping jacks moving across", dict(sideways=True), "feet"),
    ("sliding with the feet still", dict(stride=0.0, jitter=0.01), "feet"),
    ("standing", dict(speed=0.0, stride=0.0, jitter=0.01), "both"),
])
def test_not_walking(name, options, reason):
    check = check_walking(*motion(**options), RATE)
    assert check.state == "not walking", name
    assert (check.travel_per_second < 0.2) == (reason in ("travel", "both"))
    assert (check.alternations < check.min_alternations) == (reason in ("feet", "both"))


def test_jitter_around_feet_together_does_not_count_as_steps():
    world, _ = motion(stride=0.0, jitter=0.02)
    assert foot_alternations(world) == 0


def test_too_short_a_stretch_is_refused():
    world, image = motion(seconds=1 / 30)
    with pytest.raises(ValueError, match="at least 2 frames"):
        check_walking(world, image, RATE)
