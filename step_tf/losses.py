"""The loss terms of STEP-Gen (paper section 4.2, equations 3-8), per gait.

Every function takes a real gait batch ``real`` and a synthetic one
``synthetic``, both ``(N, T, V, C)`` (batch, frames, joints, coordinates), and
returns ``(N,)``: one value per gait, summed over frames, joints and
coordinates (``||.||^2`` is the squared Euclidean norm over all joints of a
frame). ``v^t`` is the ``(V, C)`` pose at frame ``t``; R real, S synthetic.

Reconstruction (eq. 3), the CVAE's Gaussian negative log-likelihood up to constants:

    L_o = sum_{t=1..T} || v_R^t - v_S^t ||^2

Push, against gait collapse (eq. 4-6), with velocities ``vel^t = v^t - v^{t-1}``
and accelerations ``acc^t = v^t - 2 v^{t-1} + v^{t-2}``:

    L_c = sum_{t=2..T} || vel_R^t - vel_S^t ||^2 + sum_{t=3..T} || acc_R^t - acc_S^t ||^2

Pull, against drift (eq. 7), with anchor frames Omega = {first, middle, last}
(middle = frame ``(T - 1) // 2`` counted from 0, the exact middle for odd T):

    L_d = sum_{t=1..T} sum_{w in Omega} || (v_R^t - v_R^w) - (v_S^t - v_S^w) ||^2

The regularised reconstruction loss (eq. 8) is ``L_r = L_o + lambda_c L_c +
lambda_d L_d``; STEP-Gen adds the KL term of the VAE (``step_tf.models.stepgen``).
"""

from __future__ import annotations

from keras import ops


def _squared_norm_per_gait(difference):
    """``(N, ...)`` -> ``(N,)``: the sum of squares over every axis but the batch."""
    return ops.sum(ops.reshape(ops.square(difference), (ops.shape(difference)[0], -1)), axis=-1)


def velocities(joints):
    """``(N, T, V, C) -> (N, T - 1, V, C)``: ``v^t - v^{t-1}`` (eq. 4)."""
    return joints[:, 1:] - joints[:, :-1]


def accelerations(joints):
    """``(N, T, V, C) -> (N, T - 2, V, C)``: ``v^t - 2 v^{t-1} + v^{t-2}`` (eq. 5)."""
    return joints[:, 2:] - 2.0 * joints[:, 1:-1] + joints[:, :-2]


def anchor_frames(num_frames: int) -> tuple[int, int, int]:
    """The pull loss's anchors: the first, middle and last frame indices."""
    if num_frames < 1:
        raise ValueError(f"anchor frames need at least one frame, got {num_frames}")
    return (0, (num_frames - 1) // 2, num_frames - 1)


def reconstruction_loss(real, synthetic):
    """L_o (eq. 3): squared position error summed over frames, joints and coordinates. ``(N,)``."""
    return _squared_norm_per_gait(real - synthetic)


def push_loss(real, synthetic):
    """L_c (eq. 6): squared error of velocities plus that of accelerations. ``(N,)``."""
    return _squared_norm_per_gait(velocities(real) - velocities(synthetic)) + _squared_norm_per_gait(
        accelerations(real) - accelerations(synthetic)
    )


def pull_loss(real, synthetic):
    """L_d (eq. 7): squared error of every frame's displacement from each anchor frame. ``(N,)``."""
    num_frames = real.shape[1]
    if num_frames is None:
        raise ValueError("the pull loss needs a known frame count to place its anchor frames")
    difference = real - synthetic
    # (v_R^t - v_R^w) - (v_S^t - v_S^w) = d^t - d^w with d = real - synthetic.
    return sum(
        _squared_norm_per_gait(difference - difference[:, anchor : anchor + 1]) for anchor in anchor_frames(num_frames)
    )
