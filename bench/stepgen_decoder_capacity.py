"""Can STEP-Gen's decoder turn a latent into limb motion? A decoder-only fit with a perfect latent.

    python bench/stepgen_decoder_capacity.py [--gaits 800] [--epochs 15]

The latent of every gait is given, not encoded: its first ``latent_dim``
principal components (of the decoder's own standardised root-and-offset
coordinates, scaled to unit variance), which a linear map turns back into the
gait almost exactly. The decoder alone is trained on them with the
reconstruction loss L_o, and the script prints the held-out squared error per
gait split into the root's part (counted once per joint, as L_o counts it) and
the root-relative limb motion, next to two references: outputting the mean
gait, and the principal components' own linear reconstruction. A decoder that
cannot learn limb motion stays at the mean's limb error.
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def error_parts(reconstructed: np.ndarray, real: np.ndarray) -> tuple[float, float, float]:
    """Mean per gait of the squared error, its root part (x joints) and its root-relative part."""
    error = reconstructed - real
    root = error[:, :, :1]
    joints = real.shape[2]
    return (float(np.sum(error**2, axis=(1, 2, 3)).mean()), float(joints * np.sum(root**2, axis=(1, 2, 3)).mean()),
            float(np.sum((error - root) ** 2, axis=(1, 2, 3)).mean()))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--gaits", type=int, default=800, help="embedded gaits (default 800; 70 %% train, 30 %% held out)")
    parser.add_argument("--epochs", type=int, default=15)
    parser.add_argument("--latent-dim", type=int, default=32)
    args = parser.parse_args(argv)

    import keras
    import tensorflow as tf
    from keras import ops

    from step_tf import losses
    from step_tf.data.datasets import grouped_stratified_split
    from step_tf.data.preprocess import canonical_view
    from step_tf.data.sources import load_gaits
    from step_tf.models.stepgen import STEPGen

    gaits = load_gaits(f"embedded:{args.gaits}")
    parts = grouped_stratified_split(gaits.labels, gaits.groups, (0.7, 0.3, 0.0), seed=0).apply(gaits)
    train, held_out = parts["train"], parts["validation"]
    train_joints, held_out_joints = canonical_view(train.joints), canonical_view(held_out.joints)
    keras.utils.set_random_seed(0)
    model = STEPGen(num_classes=gaits.num_classes, latent_dim=args.latent_dim, num_frames=gaits.num_frames)
    model.adapt(train_joints)
    mean, scale = np.asarray(model.output_mean), np.asarray(model.output_scale)

    def standardised(joints):
        return ((model._relative_to_root(joints.copy()) - mean) / scale).reshape(len(joints), -1)

    def to_metres(flat):
        return np.asarray(model._absolute(mean + scale * flat.reshape(-1, *mean.shape)))

    train_flat, held_out_flat = standardised(train_joints), standardised(held_out_joints)
    centre = train_flat.mean(axis=0)
    components = np.linalg.svd(train_flat - centre, full_matrices=False)[2][: args.latent_dim]
    train_latent = (train_flat - centre) @ components.T
    spread = train_latent.std(axis=0)
    train_latent, held_out_latent = train_latent / spread, ((held_out_flat - centre) @ components.T) / spread

    rows = {
        "the mean gait": to_metres(np.zeros_like(held_out_flat)),
        f"{args.latent_dim} principal components, linear": to_metres((held_out_latent * spread) @ components + centre),
    }
    encoder = {id(weight) for layer in (model.encoder_backbone, model.latent_mean, model.latent_log_variance) for weight in layer.trainable_weights}
    weights = [weight for weight in model.trainable_weights if id(weight) not in encoder]
    optimizer = keras.optimizers.Adam(2e-3)

    @tf.function
    def step(latent, joints, labels):
        with tf.GradientTape() as tape:
            loss = ops.mean(losses.reconstruction_loss(joints, model.decode(latent, labels, training=True)))
        optimizer.apply(tape.gradient(loss, weights), weights)
        return loss

    rng = np.random.default_rng(0)
    start = time.perf_counter()
    for _ in range(args.epochs):
        order = rng.permutation(len(train_joints))
        for first in range(0, len(order), 16):
            batch = order[first : first + 16]
            step(tf.constant(train_latent[batch], tf.float32), tf.constant(train_joints[batch]), tf.constant(train.labels[batch]))
    seconds = time.perf_counter() - start
    rows[f"the decoder, {args.epochs} epochs"] = np.asarray(
        model.decode(tf.constant(held_out_latent, tf.float32), held_out.labels, training=False)
    )
    print(f"{len(held_out_joints)} held-out gaits; decoder trained on {len(train_joints)} in {seconds:.0f} s")
    print(f"{'reconstruction':40s} {'squared error':>14s} {'root part':>10s} {'limb motion':>12s}")
    for name, reconstructed in rows.items():
        total, root, limb = error_parts(reconstructed, held_out_joints)
        print(f"{name:40s} {total:14.2f} {root:10.2f} {limb:12.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
