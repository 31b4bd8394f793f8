"""STEP-Gen: the conditional variational autoencoder of gaits (paper sections 3.2 and 4.2).

Shapes: gaits ``x`` ``(N, T, V, 3)`` (metres, y up, in the canonical view of
``step_tf.data.preprocess.canonical_view``), labels ``c`` ``(N,)`` integer
class ids, latent ``z`` ``(N, latent_dim)``.

Model (Kingma and Welling 2014; Sohn et al. 2015)::

    prior        p(z)     = N(0, I)
    encoder      q(z|x,c) = N(mu(x, c), diag(sigma^2(x, c)))
    decoder      x_hat    = f(z, c)
    sample       z        = mu + sigma * eps,  eps ~ N(0, I)    (reparameterisation)

Loss per gait (the negative ELBO with the paper's regularised reconstruction,
eq. 8; the terms are in ``step_tf.losses``), averaged over the batch::

    L = L_o(x, x_hat) + lambda_c L_c(x, x_hat) + lambda_d L_d(x, x_hat) + kl_weight KL(q(z|x,c) || p(z))

with the KL divergence from ``tfd.kl_divergence``. The paper's "Baseline CVAE"
is ``lambda_c = lambda_d = 0``: the push and pull terms are still computed and
logged (paper Figure 5), but not optimised.

Encoder (paper 4.2): the gait with the one-hot label appended as channels
``(N, T, V, 3 + K)``, the ST-GCN backbone (64, 32, 32 channels), average pool
over frames and joints, then two parallel dense layers (the paper's 1x1
convolutions on a 1x1 map) for the mean and log-variance.

Decoder (paper 4.2): ``z`` joined with the one-hot label, a dense layer (the
1x1 deconvolution) to ``decoder_channels[0]`` with BatchNorm, repeated over
all T frames and V joints, then ST-GDCN blocks (32, 64, then 3 with no
activation). The frame-aware decoder below replaces the first two steps.

Generation. ``generate`` decodes ``z`` drawn from the prior (the paper), or
from each class's *aggregate posterior* ``q(z|c) = (1/N_c) sum_i q(z|x_i, c)``
over the training gaits of class ``c``, moment-matched by a Gaussian
(``fit_latent_density``; the "ex-post density estimation" of Ghosh et al.,
"From variational to deterministic autoencoders", ICLR 2020)::

    m_c = mean_i mu_i        S_c = Cov_i(mu_i) + mean_i diag(sigma_i^2)        z ~ N(m_c, S_c)

A VAE's posteriors need not fill the prior; decoding prior samples from the
holes gives blurred, average gaits, while ``N(m_c, S_c)`` stays where the
decoder was trained and keeps the class's own spread. Before
``fit_latent_density`` every class's density is the prior.

Output coordinates. The decoder's 3 channels are standardised coordinates:
the root joint's absolute position and every other joint's offset from the
root, each mapped to metres by fixed statistics of the training gaits
(``adapt``: a per-frame mean and a per-joint scale), then turned into absolute
positions, on which every loss term is computed. Walking translation (metres
over a gait) and limb swing (centimetres) then live in separate outputs of
similar standardised size, instead of every joint having to reproduce the
translation to the centimetre.

**Deviation, on by default (``frame_aware=True``):** averaging the encoder's
features over frames makes them almost invariant to a shift in time, so the
latent cannot hold the phase of the walking cycle; and a repeated tensor is
the same at every frame and at mirror-image joints, so a graph network with
short temporal kernels can only output a static, left-right symmetric pose
except near the first and last frames (the public code escapes this only
through its 75-tap zero-padded kernels). Frame-aware STEP-Gen averages the
encoder's features over joints only and flattens the frames into the dense
layers, and replaces the decoder's "1x1 deconvolution, then repeat" by one
linear map from ``[z, c]`` to every frame and joint, ``(N, 36) -> (N, T, V, C)``
(a 1x1 deconvolution whose kernel differs per frame and joint). A walk's
limb swing is, to first order, a weighting of a few frame-and-joint patterns
(phase: a sine and a cosine), which this map holds directly. Measured on the
embedded set (``bench/stepgen_decoder_capacity.py``), the decoder alone given
a gait's 32 principal components as its latent: with the repeat (even with
learned per-frame-and-joint scales and offsets on it) it recovers none of the
root-relative limb motion in 15 epochs (held-out squared error 25.0 per gait;
outputting the mean: 24.9); with the linear map it reaches 3.7 (the principal
components' own linear reconstruction: 1.5).
``frame_aware=False`` with ``temporal_kernel_size=75`` is the paper's network.
"""

from __future__ import annotations

import keras
import numpy as np
import scipy.linalg
import tensorflow as tf
import tensorflow_probability as tfp
from keras import ops

from step_tf import losses
from step_tf.config import SAMPLERS
from step_tf.graph import get_layout
from step_tf.layers import BATCH_NORM_EPSILON, BATCH_NORM_MOMENTUM, STGDCNBlock
from step_tf.models.backbone import STGCNBackbone

tfd = tfp.distributions

LOSS_NAMES = ("loss", "reconstruction_loss", "push_loss", "pull_loss", "kl_loss")
_MIN_OUTPUT_SCALE = 1e-3  # metres; keeps a constant coordinate from dividing by zero


def _stacked_identity(shape, dtype=None):
    """``(..., D, D)`` identity matrices: an initializer for stacked Cholesky factors."""
    return ops.broadcast_to(ops.eye(shape[-1], dtype=dtype), shape)


@keras.saving.register_keras_serializable(package="step_tf")
class STEPGen(keras.Model):
    """The STEP-Gen CVAE. ``call((joints (N, T, V, 3), labels (N,)))`` -> reconstruction ``(N, T, V, 3)``.

    ``call`` decodes a posterior sample when ``training`` and the posterior
    mean otherwise. ``fit`` takes ``(joints, labels)`` batches and optimises
    the loss of the module docstring; ``generate`` samples the prior.

    Args:
        num_classes: number of emotion classes (the one-hot width).
        latent_dim: dimension of ``z`` (paper 32).
        encoder_channels, encoder_strides: the encoder's ST-GCN blocks.
        decoder_channels: the ST-GDCN blocks before the last (3-channel) one.
        temporal_kernel_size: odd frame span of every temporal (de)convolution.
        num_frames: frames of every gait (paper 75).
        layout, strategy, max_hop: the skeleton graph (``step_tf.graph``).
        frame_aware: keep the frame axis in the encoder and map the latent to
            every frame and joint in the decoder (see the module docstring);
            ``False`` is the paper's network.
        lambda_c, lambda_d: weights of the push and pull losses (0, 0: Baseline CVAE).
        kl_weight: weight of the KL term.
    """

    def __init__(
        self,
        num_classes=4,
        latent_dim=32,
        encoder_channels=(64, 32, 32),
        encoder_strides=(1, 2, 2),
        decoder_channels=(32, 64),
        temporal_kernel_size=9,
        num_frames=75,
        layout="step16",
        strategy="spatial",
        max_hop=1,
        frame_aware=True,
        lambda_c=1.0,
        lambda_d=1.0,
        kl_weight=1.0,
        **kwargs,
    ):
        super().__init__(**kwargs)
        for name, value in (("num_classes", num_classes), ("latent_dim", latent_dim), ("num_frames", num_frames)):
            if int(value) < 1:
                raise ValueError(f"STEPGen {name} must be positive, got {value}")
        for name, value in (("lambda_c", lambda_c), ("lambda_d", lambda_d), ("kl_weight", kl_weight)):
            if value < 0:
                raise ValueError(f"STEPGen {name} must be non-negative, got {value}")
        if not decoder_channels:
            raise ValueError("STEPGen needs at least one decoder block before the output block")
        self.num_classes = int(num_classes)
        self.latent_dim = int(latent_dim)
        self.encoder_channels = tuple(int(c) for c in encoder_channels)
        self.encoder_strides = tuple(int(s) for s in encoder_strides)
        self.decoder_channels = tuple(int(c) for c in decoder_channels)
        self.temporal_kernel_size = int(temporal_kernel_size)
        self.num_frames = int(num_frames)
        self.layout = layout
        self.strategy = strategy
        self.max_hop = max_hop
        self.num_joints = get_layout(layout).num_joints
        self.root_index = get_layout(layout).joint_index("root")
        self.frame_aware = bool(frame_aware)
        self.lambda_c = float(lambda_c)
        self.lambda_d = float(lambda_d)
        self.kl_weight = float(kl_weight)

        graph = dict(layout=layout, strategy=strategy, max_hop=max_hop)
        self.encoder_backbone = STGCNBackbone(
            channels=self.encoder_channels,
            strides=self.encoder_strides,
            temporal_kernel_size=self.temporal_kernel_size,
            edge_importance=False,
            name="encoder_backbone",
            **graph,
        )
        self.pool = keras.layers.GlobalAveragePooling2D(name="pool")
        self.latent_mean = keras.layers.Dense(self.latent_dim, name="latent_mean")
        self.latent_log_variance = keras.layers.Dense(self.latent_dim, name="latent_log_variance")
        # The paper's 1x1 deconvolution gives one vector to repeat; the frame-aware one gives every frame and joint its own.
        projected = self.decoder_channels[0] * (self.num_frames * self.num_joints if self.frame_aware else 1)
        self.latent_projection = keras.layers.Dense(projected, name="latent_projection")
        self.latent_batch_norm = (
            None
            if self.frame_aware
            else keras.layers.BatchNormalization(momentum=BATCH_NORM_MOMENTUM, epsilon=BATCH_NORM_EPSILON, name="latent_batch_norm")
        )
        self.decoder_blocks = [
            STGDCNBlock(
                filters,
                temporal_kernel_size=self.temporal_kernel_size,
                edge_importance=False,
                activation="relu" if index < len(self.decoder_channels) else None,
                name=f"decoder_block_{index + 1}",
                **graph,
            )
            for index, filters in enumerate((*self.decoder_channels, 3))
        ]
        self.seed_generator = keras.random.SeedGenerator(0, name="sampling_seed")
        self.trackers = {name: keras.metrics.Mean(name=name) for name in LOSS_NAMES}
        self.build()

    def build(self, input_shape=None):
        """Builds every weight from the constructor arguments (the input shape is fixed by them)."""
        if self.built:
            return
        frames, joints = self.num_frames, self.num_joints
        self.encoder_backbone.build((None, frames, joints, 3 + self.num_classes))
        encoded_frames = self.encoder_backbone.compute_output_shape((None, frames, joints, 3 + self.num_classes))[1]
        pooled = (None, (encoded_frames if self.frame_aware else 1) * self.encoder_channels[-1])
        self.latent_mean.build(pooled)
        self.latent_log_variance.build(pooled)
        self.latent_projection.build((None, self.latent_dim + self.num_classes))
        if self.latent_batch_norm is not None:
            self.latent_batch_norm.build((None, self.decoder_channels[0]))
        shape = (None, frames, joints, self.decoder_channels[0])
        for block in self.decoder_blocks:
            block.build(shape)
            shape = block.compute_output_shape(shape)
        # Standardised decoder output -> metres; set from training gaits by adapt().
        self.output_mean = self.add_weight(shape=(frames, joints, 3), initializer="zeros", trainable=False, name="output_mean")
        self.output_scale = self.add_weight(shape=(joints, 3), initializer="ones", trainable=False, name="output_scale")
        # Each class's latent density (set by fit_latent_density): N(0, I), the prior, until then.
        latent = (self.num_classes, self.latent_dim)
        self.latent_class_mean = self.add_weight(shape=latent, initializer="zeros", trainable=False, name="latent_class_mean")
        self.latent_class_scale_tril = self.add_weight(
            shape=(*latent, self.latent_dim), initializer=_stacked_identity, trainable=False, name="latent_class_scale_tril"
        )
        self.built = True

    def adapt(self, joints: np.ndarray) -> None:
        """Sets the output statistics from training gaits ``(N, T, V, 3)`` (see "Output coordinates").

        In root-and-offset coordinates: the mean over gaits of every frame,
        joint and coordinate, and per joint and coordinate the root mean square
        deviation from it over gaits and frames.
        """
        joints = self._relative_to_root(self._check_joints(joints))
        mean = joints.mean(axis=0)
        self.output_mean.assign(mean)
        self.output_scale.assign(np.maximum(np.sqrt(np.mean(np.square(joints - mean), axis=(0, 1))), _MIN_OUTPUT_SCALE))

    def _check_joints(self, joints) -> np.ndarray:
        joints = np.asarray(joints, dtype=np.float32)
        expected = (self.num_frames, self.num_joints, 3)
        if joints.ndim != 4 or joints.shape[1:] != expected:
            raise ValueError(f"STEPGen expects gaits of shape (N, {', '.join(map(str, expected))}), got {joints.shape}")
        return joints

    @property
    def prior(self) -> tfd.MultivariateNormalDiag:
        """``p(z) = N(0, I)``: batch shape ``()``, event shape ``(latent_dim,)``."""
        return tfd.MultivariateNormalDiag(loc=tf.zeros(self.latent_dim), scale_diag=tf.ones(self.latent_dim))

    def class_latent_density(self, labels) -> tfd.MultivariateNormalTriL:
        """``N(m_c, S_c)`` for each label ``c`` (see "Generation"): batch shape ``(N,)``, event shape ``(latent_dim,)``."""
        labels = ops.cast(ops.reshape(labels, (-1,)), "int32")
        return tfd.MultivariateNormalTriL(
            loc=ops.take(self.latent_class_mean, labels, axis=0),
            scale_tril=ops.take(self.latent_class_scale_tril, labels, axis=0),
        )

    def fit_latent_density(self, joints, labels, batch_size: int = 256) -> None:
        """Moment-matches each class's aggregate posterior over training gaits ``(N, T, V, 3)`` (see "Generation")."""
        joints = self._check_joints(joints)
        labels = self._check_labels(labels)
        if len(labels) != len(joints):
            raise ValueError(f"{len(joints)} gaits but {len(labels)} labels")
        means, variances = [], []
        for start in range(0, len(joints), batch_size):
            posterior = self.encode(joints[start : start + batch_size], labels[start : start + batch_size], training=False)
            means.append(ops.convert_to_numpy(posterior.mean()))
            variances.append(ops.convert_to_numpy(posterior.variance()))
        means, variances = np.concatenate(means).astype(np.float64), np.concatenate(variances).astype(np.float64)
        class_means, scale_trils = [], []
        for label in range(self.num_classes):
            rows = labels == label
            if not rows.any():
                raise ValueError(f"no gait of class {label} to fit its latent density to")
            class_means.append(means[rows].mean(axis=0))
            centred = means[rows] - class_means[-1]
            # Positive definite: the mean posterior variance is on the diagonal.
            covariance = centred.T @ centred / rows.sum() + np.diag(variances[rows].mean(axis=0))
            scale_trils.append(scipy.linalg.cholesky(covariance, lower=True))
        self.latent_class_mean.assign(np.asarray(class_means, np.float32))
        self.latent_class_scale_tril.assign(np.asarray(scale_trils, np.float32))

    def _check_labels(self, labels) -> np.ndarray:
        labels = np.asarray(labels)
        if labels.ndim != 1 or (labels.size and not np.issubdtype(labels.dtype, np.integer)):
            raise ValueError(f"labels must be a 1-D array of class ids, got shape {labels.shape} and dtype {labels.dtype}")
        bad = np.flatnonzero((labels < 0) | (labels >= self.num_classes))
        if bad.size:
            raise ValueError(f"label {labels[bad[0]]} at position {bad[0]} is outside 0..{self.num_classes - 1}")
        return labels

    def _one_hot(self, labels):
        return ops.one_hot(ops.cast(ops.reshape(labels, (-1,)), "int32"), self.num_classes)

    def encode(self, joints, labels, training=None) -> tfd.MultivariateNormalDiag:
        """``q(z | x, c)``: batch shape ``(N,)``, event shape ``(latent_dim,)``."""
        one_hot = self._one_hot(labels)
        shape = ops.shape(joints)
        # (N, K) -> (N, T, V, K): the label as extra channels of every joint in every frame.
        label_channels = ops.broadcast_to(one_hot[:, None, None, :], (shape[0], shape[1], shape[2], self.num_classes))
        features = self.encoder_backbone(ops.concatenate([joints, label_channels], axis=-1), training=training)
        if self.frame_aware:  # average over joints only: the frames keep the walking cycle's phase
            pooled = ops.reshape(ops.mean(features, axis=2), (ops.shape(features)[0], -1))
        else:
            pooled = self.pool(features)
        log_variance = self.latent_log_variance(pooled)
        return tfd.MultivariateNormalDiag(loc=self.latent_mean(pooled), scale_diag=ops.exp(0.5 * log_variance))

    def decode(self, latent, labels, training=None):
        """``f(z, c)``: latent ``(N, latent_dim)`` and labels ``(N,)`` -> gaits ``(N, T, V, 3)`` in metres."""
        hidden = self.latent_projection(ops.concatenate([latent, self._one_hot(labels)], axis=-1))
        shape = (ops.shape(hidden)[0], self.num_frames, self.num_joints, self.decoder_channels[0])
        if self.frame_aware:
            x = ops.reshape(hidden, shape)
        else:  # (N, C) -> (N, T, V, C): "un-pooled" over frames and joints.
            hidden = self.latent_batch_norm(hidden, training=training)
            x = ops.broadcast_to(hidden[:, None, None, :], shape)
        for block in self.decoder_blocks:
            x = block(x, training=training)
        return self._absolute(self.output_mean + self.output_scale * x)

    def _relative_to_root(self, joints: np.ndarray) -> np.ndarray:
        """Absolute gaits -> the root's position and every other joint's offset from it, ``(N, T, V, 3)``."""
        relative = joints - joints[:, :, self.root_index : self.root_index + 1]
        relative[:, :, self.root_index] = joints[:, :, self.root_index]
        return relative

    def _absolute(self, relative):
        """The inverse of ``_relative_to_root``."""
        root = relative[:, :, self.root_index : self.root_index + 1]
        is_root = (np.arange(self.num_joints) == self.root_index)[:, None]
        return relative + ops.where(is_root, 0.0, root)

    def call(self, inputs, training=None):
        joints, labels = inputs
        posterior = self.encode(joints, labels, training=training)
        return self.decode(self._sample(posterior) if training else posterior.mean(), labels, training=training)

    def _sample(self, posterior):
        """The reparameterised sample ``mu + sigma * eps``, differentiable in ``mu`` and ``sigma``."""
        noise = keras.random.normal(ops.shape(posterior.mean()), seed=self.seed_generator)
        return posterior.mean() + posterior.stddev() * noise

    def loss_terms(self, joints, labels, training=False) -> dict:
        """Every loss term (batch means) on ``(joints, labels)``; ``training`` samples ``z``, else uses the mean."""
        posterior = self.encode(joints, labels, training=training)
        latent = self._sample(posterior) if training else posterior.mean()
        reconstruction = self.decode(latent, labels, training=training)
        terms = {
            "reconstruction_loss": ops.mean(losses.reconstruction_loss(joints, reconstruction)),
            "push_loss": ops.mean(losses.push_loss(joints, reconstruction)),
            "pull_loss": ops.mean(losses.pull_loss(joints, reconstruction)),
            "kl_loss": ops.mean(tfd.kl_divergence(posterior, self.prior)),
        }
        # A zero weight leaves its term out of the optimised total (the Baseline CVAE), not multiplied in.
        terms["loss"] = terms["reconstruction_loss"] + sum(
            weight * terms[name]
            for name, weight in (("push_loss", self.lambda_c), ("pull_loss", self.lambda_d), ("kl_loss", self.kl_weight))
            if weight
        )
        return terms

    @staticmethod
    def _unpack(data):
        """``(joints, labels)`` from what ``fit`` passes: ``(joints, labels)`` or ``((joints, labels),)``."""
        if isinstance(data, (tuple, list)) and len(data) == 1:
            data = data[0]
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise ValueError("STEPGen trains on (joints, labels) batches")
        return data

    def _record(self, terms):
        for name, tracker in self.trackers.items():
            tracker.update_state(terms[name])
        return {name: tracker.result() for name, tracker in self.trackers.items()}

    def train_step(self, data):
        joints, labels = self._unpack(data)
        with tf.GradientTape() as tape:
            terms = self.loss_terms(joints, labels, training=True)
        gradients = tape.gradient(terms["loss"], self.trainable_weights)
        self.optimizer.apply(gradients, self.trainable_weights)
        return self._record(terms)

    def test_step(self, data):
        # The posterior mean: a deterministic validation loss to pick the best epoch by.
        joints, labels = self._unpack(data)
        return self._record(self.loss_terms(joints, labels, training=False))

    @property
    def metrics(self):
        return list(self.trackers.values())

    def generate(self, labels, seed: int = 0, sampler: str = "prior", batch_size: int = 256) -> np.ndarray:
        """Gaits ``(N, T, V, 3)`` for class ids ``labels`` ``(N,)``, decoding ``z`` drawn from ``sampler``.

        ``"prior"``: ``N(0, I)`` (the paper); ``"aggregate"``: each label's
        ``class_latent_density``. Deterministic for ``seed``: the latents come
        from a stateless sampler.
        """
        labels = self._check_labels(labels)
        seed = tf.constant([seed, 0], dtype=tf.int32)
        if sampler == "prior":
            latent = self.prior.sample(len(labels), seed=seed)
        elif sampler == "aggregate":
            latent = self.class_latent_density(labels).sample(seed=seed)
        else:
            raise ValueError(f"unknown sampler {sampler!r}; expected one of {', '.join(SAMPLERS)}")
        gaits = [
            ops.convert_to_numpy(self.decode(latent[i : i + batch_size], labels[i : i + batch_size], training=False))
            for i in range(0, len(labels), batch_size)
        ]
        shape = (0, self.num_frames, self.num_joints, 3)
        return np.concatenate(gaits) if gaits else np.zeros(shape, np.float32)

    def get_config(self):
        return {
            "name": self.name,
            "trainable": self.trainable,
            "num_classes": self.num_classes,
            "latent_dim": self.latent_dim,
            "encoder_channels": list(self.encoder_channels),
            "encoder_strides": list(self.encoder_strides),
            "decoder_channels": list(self.decoder_channels),
            "temporal_kernel_size": self.temporal_kernel_size,
            "num_frames": self.num_frames,
            "layout": self.layout,
            "strategy": self.strategy,
            "max_hop": self.max_hop,
            "frame_aware": self.frame_aware,
            "lambda_c": self.lambda_c,
            "lambda_d": self.lambda_d,
            "kl_weight": self.kl_weight,
        }

    @classmethod
    def from_config(cls, config):
        return cls(**config)
