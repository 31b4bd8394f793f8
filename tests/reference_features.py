"""A plain NumPy (float64, loop-by-loop) reference for the 29 affective features.

Written from the definitions in the ``step_tf.features`` docstring, independently of its
TensorFlow code: straightforward centring first, explicit stencils, explicit loops for the
bounding box and the foot strikes, and scipy's ``savgol_filter`` (not the coefficient
table the package sums) for the smoothing. Slow and simple on purpose; used only by the tests.
"""

import numpy as np
from scipy.signal import savgol_filter

WINDOW, POLYNOMIAL, HALF = 15, 3, 7


def smoothed(x, order, frame_rate):
    """Savitzky-Golay derivative along axis 0, interior frames only (whole windows)."""
    return savgol_filter(x, WINDOW, POLYNOMIAL, deriv=order, delta=1.0 / frame_rate, axis=0)[HALF:-HALF]

ROOT, SPINE, NECK, HEAD = 0, 1, 2, 3
SHOULDER_LEFT, HAND_LEFT = 4, 6
SHOULDER_RIGHT, HAND_RIGHT = 7, 9
FOOT_LEFT, FOOT_RIGHT = 12, 15
MOVING = (HAND_LEFT, HAND_RIGHT, HEAD, FOOT_LEFT, FOOT_RIGHT)


def angle_between(a, b):
    return float(np.arctan2(np.linalg.norm(np.cross(a, b)), np.dot(a, b)))


def triangle_area(a, b, c):
    return 0.5 * float(np.linalg.norm(np.cross(b - a, c - a)))


def box_volume(frame):
    """Volume of the axis-aligned box around the joints ``(V, 3)`` of one frame."""
    low = [np.inf, np.inf, np.inf]
    high = [-np.inf, -np.inf, -np.inf]
    for point in frame:
        for axis in range(3):
            low[axis] = min(low[axis], point[axis])
            high[axis] = max(high[axis], point[axis])
    return (high[0] - low[0]) * (high[1] - low[1]) * (high[2] - low[2])


def strike_frames(gait, window=5, fraction=0.1, frame_rate=30.0):
    """Strike frames of (left, right) for one centred gait ``(T, V, 3)``, by explicit loops.

    Frames are the gait's; only ``HALF + 1 .. T - 1 - HALF`` have smoothed heights and a frame before.
    """
    heights = smoothed(gait[:, [FOOT_LEFT, FOOT_RIGHT], 1], 0, frame_rate)
    num_frames = heights.shape[0]
    result = []
    for foot, other in ((0, 1), (1, 0)):
        clearance = [heights[t, foot] - min(heights[t, foot], heights[t, other]) for t in range(num_frames)]
        threshold = min(clearance) + fraction * (max(clearance) - min(clearance))
        frames = []
        for t in range(1, num_frames):
            swing = clearance[max(0, t - window) : t]
            if clearance[t] <= threshold and all(value > threshold for value in swing):
                frames.append(t + HALF)
        result.append(frames)
    return result


def gait_features(gait, frame_rate=30.0, window=5, fraction=0.1):
    """The 29 features of one gait ``(T, V, 3)`` as a float64 vector."""
    gait = np.asarray(gait, dtype=np.float64)
    gait = gait - gait[:, ROOT : ROOT + 1, :]
    num_frames = gait.shape[0]
    up = np.array([0.0, 1.0, 0.0])

    posed = smoothed(gait, 0, frame_rate)  # frames HALF .. T - 1 - HALF
    posture = np.zeros((len(posed), 12))
    for t, p in enumerate(posed):
        posture[t] = [
            box_volume(p),
            angle_between(p[SHOULDER_LEFT] - p[NECK], p[SHOULDER_RIGHT] - p[NECK]),
            angle_between(p[NECK] - p[SHOULDER_LEFT], p[SHOULDER_RIGHT] - p[SHOULDER_LEFT]),
            angle_between(p[NECK] - p[SHOULDER_RIGHT], p[SHOULDER_LEFT] - p[SHOULDER_RIGHT]),
            angle_between(p[HEAD] - p[ROOT], up),
            angle_between(p[HEAD] - p[NECK], p[SPINE] - p[NECK]),
            np.linalg.norm(p[HAND_LEFT] - p[ROOT]),
            np.linalg.norm(p[HAND_RIGHT] - p[ROOT]),
            np.linalg.norm(p[FOOT_LEFT] - p[ROOT]),
            np.linalg.norm(p[FOOT_RIGHT] - p[ROOT]),
            triangle_area(p[HAND_RIGHT], p[NECK], p[HAND_LEFT]),
            triangle_area(p[FOOT_RIGHT], p[ROOT], p[FOOT_LEFT]),
        ]

    def horizontal_separation(t):
        d = posed[t - HALF, FOOT_LEFT] - posed[t - HALF, FOOT_RIGHT]
        return float(np.hypot(d[0], d[2]))

    strikes = strike_frames(gait, window, fraction, frame_rate)
    pooled = strikes[0] + strikes[1]
    if pooled:
        step_length = np.mean([horizontal_separation(t) for t in pooled])
    else:
        step_length = max(horizontal_separation(t) for t in range(HALF, num_frames - HALF))

    speeds, accelerations, jerks = [], [], []
    for j in MOVING:
        for order, values in ((1, speeds), (2, accelerations), (3, jerks)):
            values.append(np.mean(np.linalg.norm(smoothed(gait[:, j], order, frame_rate), axis=-1)))

    intervals = []
    for frames in strikes:
        intervals += [b - a for a, b in zip(frames[:-1], frames[1:])]
    if intervals:
        cycle_time = np.mean(intervals) / frame_rate
    elif len(strikes[0]) == len(strikes[1]) == 1:  # one step: half a cycle
        cycle_time = 2 * abs(strikes[0][0] - strikes[1][0]) / frame_rate
    else:
        cycle_time = num_frames / frame_rate

    return np.array([*posture.mean(axis=0), step_length, *speeds, *accelerations, *jerks, cycle_time])


def reference_features(joints, frame_rate=30.0, window=5, fraction=0.1):
    """The 29 features ``(N, 29)`` float64 of gaits ``(N, T, V, 3)``."""
    return np.stack([gait_features(gait, frame_rate, window, fraction) for gait in np.asarray(joints)])
