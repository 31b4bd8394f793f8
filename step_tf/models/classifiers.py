"""Baseline-STEP and STEP: emotion classifiers over gaits (paper section 4.3).

Both take raw joints ``(N, T, V, 3)`` (metres, y up; any ``T``; world or
root-centred) and return class logits ``(N, num_classes)``. Everything a client
would otherwise have to repeat lives inside the graph, so an exported model
takes joints and nothing else:

* view normalisation (``HeadingNormalisation``): each gait is turned about the
  vertical so that the walker faces +z, whatever the camera or capture volume;
* per-frame root centring (the network sees joint positions relative to the root);
* joint velocities (``JointVelocity``) beside the positions, so the backbone sees
  how fast the walker moves over the ground, which root centring removes
  (speed is the strongest emotion cue in gait; Montepare et al. 1987);
* Baseline-STEP: the ST-GCN backbone, average pooling over frames and joints,
  a 1x1 convolution (a dense layer on the pooled vector) with ReLU, and a dense
  layer of ``num_classes`` logits;
* STEP: the pooled deep features joined with the 29 affective features
  (``step_tf.features``), which are standardised with statistics of the
  training split only (``adapt_feature_scaling``), then dense 128 with ReLU
  and dense ``num_classes``.

Both are functional models built in ``__init__`` from their constructor
arguments (KerasHub's habit), so ``get_config`` is the constructor's arguments
(``ArgumentsModel``, shared with the baselines).
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from step_tf.features import NUM_AFFECTIVE_FEATURES, SMOOTHING_WINDOW, AffectiveFeatures, smoothed_derivative
from step_tf.graph import get_layout
from step_tf.models.backbone import STGCNBackbone


@keras.saving.register_keras_serializable(package="step_tf")
class RootCentring(keras.layers.Layer):
    """Subtracts the root joint from every joint in every frame: ``(N, T, V, C) -> (N, T, V, C)``."""

    def __init__(self, root_index=0, **kwargs):
        super().__init__(**kwargs)
        self.root_index = root_index

    def call(self, joints):
        return joints - joints[:, :, self.root_index : self.root_index + 1, :]

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "root_index": self.root_index}


@keras.saving.register_keras_serializable(package="step_tf")
class HeadingNormalisation(keras.layers.Layer):
    """Turns each gait about the vertical (y) so that its body faces +z: ``(N, T, V, 3) -> (N, T, V, 3)``.

    The paper moves every gait into a common viewpoint with a similarity
    transform (Umeyama) to one reference pose, which also rescales the body
    and tilts it towards the reference, erasing body size, speed and trunk
    lean, which are emotion cues. Here only the heading is normalised. With
    ``l = <(p_left_hip - p_right_hip) + (p_left_shoulder - p_right_shoulder)>_t``
    (the mean left-pointing body axis; its horizontal part ``(l_x, l_z)``,
    ``|l|_h`` its length), the rotation

        R = [[c, 0, s], [0, 1, 0], [-s, 0, c]],   c = l_x / |l|_h,  s = l_z / |l|_h

    maps ``l`` to ``(|l|_h, l_y, 0)``: left is +x, so (y up) the walker faces +z.
    A gait with no horizontal body axis (``|l|_h`` below 1 mm) is left as it is.
    Rotation about the origin commutes with root centring. No trigonometry, so
    it converts to TFLite.
    """

    def __init__(self, layout="step16", **kwargs):
        super().__init__(**kwargs)
        self.layout = layout
        names = get_layout(layout).joint_names
        missing = [name for name in ("hip_left", "hip_right", "shoulder_left", "shoulder_right") if name not in names]
        if missing:
            raise ValueError(f"heading normalisation needs the hips and shoulders; layout {layout!r} lacks {', '.join(missing)}")
        self._left = [names.index("hip_left"), names.index("shoulder_left")]
        self._right = [names.index("hip_right"), names.index("shoulder_right")]

    def call(self, joints):
        left = ops.take(joints, self._left, axis=2) - ops.take(joints, self._right, axis=2)  # (N, T, 2, 3)
        axis = ops.mean(ops.sum(left, axis=2), axis=1)  # (N, 3)
        length = ops.sqrt(axis[:, 0] ** 2 + axis[:, 2] ** 2)
        turned = length > 1e-3
        safe = ops.where(turned, length, 1.0)
        c = ops.where(turned, axis[:, 0] / safe, 1.0)[:, None, None]  # (N, 1, 1)
        s = ops.where(turned, axis[:, 2] / safe, 0.0)[:, None, None]
        x, y, z = joints[..., 0], joints[..., 1], joints[..., 2]
        return ops.stack([c * x + s * z, y, c * z - s * x], axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "layout": self.layout}


@keras.saving.register_keras_serializable(package="step_tf")
class JointVelocity(keras.layers.Layer):
    """World-frame joint velocities in m/s, smoothed: ``(N, T, V, 3) -> (N, T, V, 3)``, T >= 15.

    ``v[t] = D_1 p[t]``, the Savitzky-Golay first derivative of the affective
    features (``step_tf.features.smoothed_derivative``: a cubic over 15 frames),
    with the first and last 7 frames, where no whole window fits, set to their
    nearest defined value. The root's velocity is the walking speed.
    """

    def __init__(self, frame_rate=30.0, **kwargs):
        super().__init__(**kwargs)
        self.frame_rate = float(frame_rate)

    def call(self, joints):
        if joints.shape[1] is not None and joints.shape[1] < SMOOTHING_WINDOW:
            raise ValueError(f"joint velocities need at least {SMOOTHING_WINDOW} frames (one smoothing window), got {joints.shape[1]}")
        velocity = smoothed_derivative(joints, 1, self.frame_rate)  # (N, T - 14, V, 3)
        half = SMOOTHING_WINDOW // 2
        first, last = velocity[:, :1], velocity[:, -1:]
        return ops.concatenate([ops.repeat(first, half, axis=1), velocity, ops.repeat(last, half, axis=1)], axis=1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "frame_rate": self.frame_rate}


class ArgumentsModel(keras.Model):
    """A functional model built in ``__init__`` whose config is its constructor arguments.

    Subclasses keep those arguments in ``self._arguments``; ``from_config``
    rebuilds the model from them (weights are restored separately by Keras).
    """

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, **self._arguments}

    @classmethod
    def from_config(cls, config):
        return cls(**config)


class _GaitClassifier(ArgumentsModel):
    """Shared constructor arguments and backbone wiring of the STEP classifiers."""

    def __init__(
        self,
        num_classes=4,
        channels=(32, 64, 64),
        strides=(1, 2, 1),
        temporal_kernel_size=75,
        layout="step16",
        strategy="spatial",
        max_hop=1,
        edge_importance=True,
        dropout_rate=0.0,
        frame_rate=30.0,
        heading_normalisation=True,
        motion_input=True,
        **kwargs,
    ):
        backbone_arguments = dict(
            channels=list(channels),
            strides=list(strides),
            temporal_kernel_size=temporal_kernel_size,
            layout=layout,
            strategy=strategy,
            max_hop=max_hop,
            edge_importance=edge_importance,
            dropout_rate=dropout_rate,
        )
        arguments = dict(
            num_classes=num_classes, **backbone_arguments, frame_rate=frame_rate,
            heading_normalisation=heading_normalisation, motion_input=motion_input,
        )
        inputs = keras.Input(shape=(None, get_layout(layout).num_joints, 3), name="joints")
        joints = HeadingNormalisation(layout, name="heading_normalisation")(inputs) if heading_normalisation else inputs
        centred = RootCentring(name="root_centring")(joints)
        if motion_input:  # (N, T, V, 6): positions relative to the root, then world velocities
            velocity = JointVelocity(frame_rate, name="joint_velocity")(joints)
            centred = keras.layers.Concatenate(name="positions_and_velocities")([centred, velocity])
        backbone = STGCNBackbone(**backbone_arguments, name="backbone")
        # (N, T', V, C) -> (N, C): average over frames and joints.
        pooled = keras.layers.GlobalAveragePooling2D(name="pool")(backbone(centred))
        logits = self._head(joints, pooled, num_classes, frame_rate)
        super().__init__(inputs=inputs, outputs=logits, **kwargs)
        self._arguments = arguments
        self.backbone = backbone

    @classmethod
    def from_config(cls, config):
        # Runs saved before view normalisation and velocities existed were trained without them.
        return cls(**{"heading_normalisation": False, "motion_input": False, **config})

    @staticmethod
    def _head(joints, pooled, num_classes, frame_rate):
        """The layers after pooling: ``joints (N, T, V, 3)``, ``pooled (N, C)`` -> logits ``(N, num_classes)``."""
        raise NotImplementedError


@keras.saving.register_keras_serializable(package="step_tf")
class BaselineSTEP(_GaitClassifier):
    """Baseline-STEP: ST-GCN features only. ``(N, T, V, 3) -> (N, num_classes)`` logits."""

    @staticmethod
    def _head(joints, pooled, num_classes, frame_rate):
        hidden = keras.layers.Dense(pooled.shape[-1], activation="relu", name="conv_1x1")(pooled)
        return keras.layers.Dense(num_classes, name="logits")(hidden)


@keras.saving.register_keras_serializable(package="step_tf")
class STEP(_GaitClassifier):
    """STEP: pooled ST-GCN features joined with the 29 affective features. ``(N, T, V, 3) -> (N, num_classes)``."""

    @staticmethod
    def _head(joints, pooled, num_classes, frame_rate):
        features = AffectiveFeatures(frame_rate=frame_rate, name="affective_features")(joints)
        scaled = keras.layers.Normalization(name="affective_scaling")(features)
        joined = keras.layers.Concatenate(name="hybrid_features")([pooled, scaled])
        hidden = keras.layers.Dense(128, activation="relu", name="dense_128")(joined)
        return keras.layers.Dense(num_classes, name="logits")(hidden)

    def adapt_feature_scaling(self, training_joints: np.ndarray, batch_size: int = 256) -> None:
        """Sets the affective-feature standardisation from training gaits ``(N, T, V, 3)`` only."""
        # From the model's input: the features see the gaits as the model does (view-normalised).
        extractor = keras.Model(self.inputs, self.get_layer("affective_features").output)
        features = np.concatenate(
            [ops.convert_to_numpy(extractor(training_joints[i : i + batch_size])) for i in range(0, len(training_joints), batch_size)]
        )
        if features.shape[-1] != NUM_AFFECTIVE_FEATURES:
            raise ValueError(f"expected {NUM_AFFECTIVE_FEATURES} affective features, got {features.shape[-1]}")
        self.get_layer("affective_scaling").adapt(features)


MODELS = {"baseline_step": BaselineSTEP, "step": STEP}
