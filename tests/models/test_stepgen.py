"""STEP-Gen: the shared model checks, distribution shapes, every loss term against NumPy, seeded generation."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from step_tf.models.stepgen import STEPGen
from tests.helpers import run_model_test

SMALL = dict(latent_dim=4, encoder_channels=(8, 8), encoder_strides=(1, 2), decoder_channels=(8,), temporal_kernel_size=3, num_frames=12)


def _batch(num_gaits=4, seed=0):
    rng = np.random.default_rng(seed)
    joints = rng.standard_normal((num_gaits, 12, 16, 3)).astype(np.float32) * 0.3
    labels = (np.arange(num_gaits) % 4).astype(np.int32)
    return joints, labels


def _model(**overrides):
    model = STEPGen(**{**SMALL, **overrides})
    joints, _ = _batch(8, seed=5)
    model.adapt(joints)
    model.compile(optimizer=keras.optimizers.Adam(1e-2))
    return model


def test_shared_model_checks():
    joints, labels = _batch()
    run_model_test(_model(), [joints, labels], (4, 12, 16, 3), targets=None, compile_kwargs=None, run_tflite=False)


def test_distributions_have_the_documented_shapes():
    model = _model()
    joints, labels = _batch()
    posterior = model.encode(joints, labels)
    assert posterior.batch_shape == (4,) and posterior.event_shape == (4,)
    assert model.prior.batch_shape == () and model.prior.event_shape == (4,)
    np.testing.assert_array_equal(model.prior.mean(), np.zeros(4))
    np.testing.assert_array_equal(model.prior.stddev(), np.ones(4))


def _numpy_terms(real, synthetic, mean, standard_deviation):
    """Equations 3, 6, 7 by direct loops and the closed-form KL of N(mu, diag s^2) from N(0, I)."""
    num_gaits, num_frames = real.shape[:2]
    anchors = (0, (num_frames - 1) // 2, num_frames - 1)
    reconstruction, push, pull = np.zeros(num_gaits), np.zeros(num_gaits), np.zeros(num_gaits)
    for n in range(num_gaits):
        r, s = real[n].astype(np.float64), synthetic[n].astype(np.float64)
        for t in range(num_frames):
            reconstruction[n] += np.sum((r[t] - s[t]) ** 2)
            if t >= 1:
                push[n] += np.sum(((r[t] - r[t - 1]) - (s[t] - s[t - 1])) ** 2)
            if t >= 2:
                push[n] += np.sum(((r[t] - 2 * r[t - 1] + r[t - 2]) - (s[t] - 2 * s[t - 1] + s[t - 2])) ** 2)
            for w in anchors:
                pull[n] += np.sum(((r[t] - r[w]) - (s[t] - s[w])) ** 2)
    variance = standard_deviation.astype(np.float64) ** 2
    kl = 0.5 * np.sum(variance + mean.astype(np.float64) ** 2 - 1.0 - np.log(variance), axis=-1)
    return reconstruction.mean(), push.mean(), pull.mean(), kl.mean()


@pytest.mark.parametrize("lambda_c, lambda_d, kl_weight", [(0.5, 2.0, 0.1), (0.0, 0.0, 1.0)])
def test_loss_terms_match_numpy(lambda_c, lambda_d, kl_weight):
    model = _model(lambda_c=lambda_c, lambda_d=lambda_d, kl_weight=kl_weight)
    # A posterior far from the prior, so the KL term is not vanishingly small.
    model.latent_mean.bias.assign([0.5, -1.0, 0.2, 0.3])
    model.latent_log_variance.bias.assign([0.4, -0.6, 0.1, 1.0])
    joints, labels = _batch()
    terms = {name: float(value) for name, value in model.loss_terms(joints, labels, training=False).items()}
    posterior = model.encode(joints, labels, training=False)
    synthetic = np.asarray(model((joints, labels), training=False))  # decodes the posterior mean
    reconstruction, push, pull, kl = _numpy_terms(joints, synthetic, np.asarray(posterior.mean()), np.asarray(posterior.stddev()))
    assert terms["reconstruction_loss"] == pytest.approx(reconstruction, rel=1e-4)
    assert terms["push_loss"] == pytest.approx(push, rel=1e-4)
    assert terms["pull_loss"] == pytest.approx(pull, rel=1e-4)
    assert terms["kl_loss"] == pytest.approx(kl, rel=1e-4)
    # The Baseline CVAE (0, 0) still reports push and pull, but leaves them out of the total.
    assert push > 0 and pull > 0
    assert terms["loss"] == pytest.approx(reconstruction + lambda_c * push + lambda_d * pull + kl_weight * kl, rel=1e-4)


def test_training_reports_every_named_loss_and_lowers_the_total():
    model = _model()
    joints, labels = _batch(16, seed=1)
    history = model.fit(joints, labels, batch_size=8, epochs=6, verbose=0, validation_data=(joints, labels)).history
    for name in ("loss", "reconstruction_loss", "push_loss", "pull_loss", "kl_loss"):
        assert name in history and f"val_{name}" in history
    assert history["loss"][-1] < history["loss"][0]


def test_generation_is_seeded_and_survives_save_and_load(tmp_path):
    model = _model()
    labels = np.array([0, 1, 2, 3, 3], np.int32)
    first = model.generate(labels, seed=7)
    assert first.shape == (5, 12, 16, 3) and np.isfinite(first).all()
    np.testing.assert_array_equal(model.generate(labels, seed=7), first)
    assert not np.array_equal(model.generate(labels, seed=8), first)
    model.save(tmp_path / "stepgen.keras")
    loaded = keras.saving.load_model(tmp_path / "stepgen.keras")
    assert isinstance(loaded, STEPGen) and loaded.get_config() == model.get_config()
    np.testing.assert_array_equal(loaded.generate(labels, seed=7), first)


def test_latent_density_is_each_class_aggregate_posterior_moment_matched():
    model = _model()
    joints, labels = _batch(24, seed=3)
    unfitted = model.class_latent_density(labels[:2])
    np.testing.assert_array_equal(np.asarray(unfitted.mean()), np.zeros((2, 4)))
    np.testing.assert_array_equal(np.asarray(unfitted.covariance()), np.broadcast_to(np.eye(4), (2, 4, 4)))
    model.fit_latent_density(joints, labels, batch_size=5)  # batches that split classes
    posterior = model.encode(joints, labels)
    means, variances = np.asarray(posterior.mean(), np.float64), np.asarray(posterior.variance(), np.float64)
    density = model.class_latent_density(np.arange(4))
    for label in range(4):
        rows = labels == label
        # The mixture's covariance: that of the component means plus the mean component covariance.
        expected = np.cov(means[rows].T, bias=True) + np.diag(variances[rows].mean(axis=0))
        np.testing.assert_allclose(np.asarray(density.mean())[label], means[rows].mean(axis=0), rtol=1e-5, atol=1e-6)
        np.testing.assert_allclose(np.asarray(density.covariance())[label], expected, rtol=1e-4, atol=1e-7)
    with pytest.raises(ValueError, match="no gait of class 3"):
        model.fit_latent_density(joints[:3], labels[:3])


def test_aggregate_sampling_is_seeded_survives_save_and_load_and_follows_the_density(tmp_path):
    model = _model()
    joints, labels = _batch(16, seed=3)
    model.fit_latent_density(joints, labels)
    first = model.generate(labels, seed=2, sampler="aggregate")
    np.testing.assert_array_equal(model.generate(labels, seed=2, sampler="aggregate"), first)
    assert not np.array_equal(model.generate(labels, seed=2), first)  # the prior is another density
    model.save(tmp_path / "stepgen.keras")
    np.testing.assert_array_equal(keras.saving.load_model(tmp_path / "stepgen.keras").generate(labels, seed=2, sampler="aggregate"), first)
    # Draws of one class: their sample moments approach the fitted Gaussian's.
    draws = np.asarray(model.class_latent_density(np.full(20000, 2)).sample(seed=tf.constant([1, 0])), np.float64)
    density = model.class_latent_density(np.array([2]))
    np.testing.assert_allclose(draws.mean(axis=0), np.asarray(density.mean())[0], atol=0.05)
    np.testing.assert_allclose(np.cov(draws.T), np.asarray(density.covariance())[0], atol=0.05)
    with pytest.raises(ValueError, match="unknown sampler 'posterior'"):
        model.generate(labels, sampler="posterior")


def test_generation_depends_on_the_label():
    model = _model()
    np.testing.assert_raises(AssertionError, np.testing.assert_array_equal,
                             model.generate(np.zeros(2, np.int32), seed=0), model.generate(np.ones(2, np.int32), seed=0))


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="lambda_c must be non-negative"):
        STEPGen(lambda_c=-1.0, **{k: v for k, v in SMALL.items()})
    model = _model()
    with pytest.raises(ValueError, match=r"outside 0\.\.3"):
        model.generate(np.array([0, 4]))
    with pytest.raises(ValueError, match=r"expects gaits of shape \(N, 12, 16, 3\)"):
        model.adapt(np.zeros((2, 10, 16, 3)))


def test_adapted_statistics_are_root_and_offsets_and_a_flat_decoder_gives_their_mean():
    joints, _ = _batch(8, seed=5)
    model = _model()
    root = joints[:, :, 0]  # STEP16's joint 0 is the root
    offsets = joints - joints[:, :, :1]
    expected_mean = offsets.mean(axis=0)
    expected_mean[:, 0] = root.mean(axis=0)
    np.testing.assert_allclose(np.asarray(model.output_mean), expected_mean, rtol=1e-5, atol=1e-6)
    deviations = np.concatenate([(root - root.mean(axis=0))[:, :, None], (offsets - offsets.mean(axis=0))[:, :, 1:]], axis=2)
    np.testing.assert_allclose(np.asarray(model.output_scale), np.sqrt((deviations**2).mean(axis=(0, 1))), rtol=1e-5)
    # A decoder output of zeros is the mean root path with the mean offsets added back on.
    absolute = np.asarray(model._absolute(model.output_mean[None] + model.output_scale * np.zeros((1, 12, 16, 3), np.float32)))[0]
    np.testing.assert_allclose(absolute[:, 0], root.mean(axis=0), rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(absolute[:, 5], root.mean(axis=0) + offsets[:, :, 5].mean(axis=0), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("frame_aware", [True, False])
def test_encoder_pooling_follows_frame_awareness(frame_aware):
    model = _model(frame_aware=frame_aware)
    # Encoder strides 1, 2 leave 6 of 12 frames; the paper's network averages them away.
    assert model.latent_mean.kernel.shape == ((6 if frame_aware else 1) * 8, 4)
    # The decoder's first map: one vector to repeat (paper) or one per frame and joint.
    assert model.latent_projection.kernel.shape == (4 + 4, (12 * 16 if frame_aware else 1) * model.decoder_channels[0])
