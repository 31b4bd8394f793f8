"""Gait FID: the Frechet distance between Gaussians fitted to classifier features of two gait sets.

For feature sets with means ``mu_x, mu_g`` and covariances ``S_x, S_g`` (Heusel
et al. 2017; the paper's eq. 9 prints the last sign as +, which is a slip,
see the reference notes section 7):

    FID = ||mu_x - mu_g||^2 + Tr(S_x + S_g - 2 (S_x S_g)^(1/2))

``S_x S_g`` is not symmetric, and ``scipy.linalg.sqrtm`` of it goes complex
or infinite when the covariances are singular (fewer gaits than feature
dimensions, or a set of identical gaits). We use instead

    Tr (S_x S_g)^(1/2) = Tr (S_x^(1/2) S_g S_x^(1/2))^(1/2) = sum_i sqrt(lambda_i)

with ``lambda_i`` the eigenvalues of the symmetric positive semi-definite
``S_x^(1/2) S_g S_x^(1/2)`` (the two matrices are similar), both square roots
taken by ``scipy.linalg.eigh`` with round-off negatives clipped to zero. That is
exact for any positive semi-definite covariances, singular ones included.

Features: the penultimate layer of a classifier trained on real gaits, the
analogue of Inception's pool3 for images: STEP's ``dense_128`` (ReLU of the
hybrid deep + affective features), Baseline-STEP's ``conv_1x1``, in general the
input of the ``logits`` layer (``gait_feature_extractor``).

Like with like: both sets are smoothed by the same Savitzky-Golay filter as the
affective features (``scipy.signal.savgol_filter``, 15 frames, cubic) before the
features are taken, so that the distance measures walking more than observation
noise. Before the affective features were smoothed, the embedded set's gaits and
the same gaits without their 3 mm noise were 968 apart, two noisy draws 1.9; now
the features smooth their own derivatives and this smoothing of the positions
shrinks what noise remains by another 4x (``tests/evaluation/test_fid.py``), so a
generator is neither rewarded much for copying the noise nor punished for lacking it.
"""

from __future__ import annotations

import keras
import numpy as np
import scipy.linalg
from scipy.signal import savgol_filter

from step_tf.features import SMOOTHING_POLYNOMIAL, SMOOTHING_WINDOW


def _symmetric_sqrt(matrix: np.ndarray) -> np.ndarray:
    eigenvalues, eigenvectors = scipy.linalg.eigh(matrix)
    return (eigenvectors * np.sqrt(np.clip(eigenvalues, 0.0, None))) @ eigenvectors.T


def gaussian_frechet_distance(mean_a, covariance_a, mean_b, covariance_b) -> float:
    """Frechet distance between ``N(mean_a, covariance_a)`` and ``N(mean_b, covariance_b)`` (``(D,)``, ``(D, D)``)."""
    mean_a, mean_b = np.asarray(mean_a, np.float64), np.asarray(mean_b, np.float64)
    covariance_a, covariance_b = np.asarray(covariance_a, np.float64), np.asarray(covariance_b, np.float64)
    dimension = mean_a.shape[0] if mean_a.ndim == 1 else -1
    for name, value, shape in (("mean_b", mean_b, (dimension,)), ("covariance_a", covariance_a, (dimension, dimension)),
                               ("covariance_b", covariance_b, (dimension, dimension))):
        if dimension < 0 or value.shape != shape:
            raise ValueError(f"{name} must have shape {shape} to match mean_a {mean_a.shape}, got {value.shape}")
    root_a = _symmetric_sqrt((covariance_a + covariance_a.T) / 2)
    middle = root_a @ covariance_b @ root_a
    trace_root = np.sum(np.sqrt(np.clip(scipy.linalg.eigvalsh((middle + middle.T) / 2), 0.0, None)))
    distance = np.sum((mean_a - mean_b) ** 2) + np.trace(covariance_a) + np.trace(covariance_b) - 2.0 * trace_root
    return float(max(distance, 0.0))  # round-off can leave -1e-12 for identical sets


def frechet_distance(features_a, features_b) -> float:
    """FID between feature sets ``(N_a, D)`` and ``(N_b, D)`` (each needs at least 2 rows)."""
    features_a, features_b = np.asarray(features_a, np.float64), np.asarray(features_b, np.float64)
    for name, features in (("features_a", features_a), ("features_b", features_b)):
        if features.ndim != 2 or features.shape[0] < 2:
            raise ValueError(f"{name} must be (N, D) with N >= 2 to estimate a covariance, got {features.shape}")
    if features_a.shape[1] != features_b.shape[1]:
        raise ValueError(f"feature dimensions differ: {features_a.shape[1]} and {features_b.shape[1]}")
    return gaussian_frechet_distance(
        features_a.mean(axis=0), np.cov(features_a, rowvar=False).reshape(features_a.shape[1], -1),
        features_b.mean(axis=0), np.cov(features_b, rowvar=False).reshape(features_b.shape[1], -1),
    )


def gait_feature_extractor(classifier: keras.Model) -> keras.Model:
    """A model ``(N, T, V, 3) -> (N, D)``: the input of the classifier's ``logits`` layer (its penultimate features)."""
    try:
        logits = classifier.get_layer("logits")
    except ValueError:
        raise ValueError(f"{classifier.name}: no layer named 'logits', so no penultimate features for FID") from None
    return keras.Model(classifier.inputs, logits.input, name=f"{classifier.name}_features")


def gait_features(extractor: keras.Model, joints: np.ndarray, batch_size: int = 256, smooth: bool = True) -> np.ndarray:
    """Features ``(N, D)`` of gaits ``(N, T, V, 3)``, smoothed first unless ``smooth=False`` (see the module docstring)."""
    joints = np.asarray(joints, np.float32)
    if smooth:
        joints = savgol_filter(joints.astype(np.float64), SMOOTHING_WINDOW, SMOOTHING_POLYNOMIAL, axis=1).astype(np.float32)
    return np.concatenate([np.asarray(extractor(joints[i : i + batch_size], training=False)) for i in range(0, len(joints), batch_size)])
