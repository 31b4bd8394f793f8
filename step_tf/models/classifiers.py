"""Baseline-STEP and STEP: emotion classifiers over gaits (paper section 4.3).

Both take raw joints ``(N, T, V, 3)`` (metres, y up; any ``T``; world or
root-centred) and return class logits ``(N, num_classes)``. Everything a client
would otherwise have to repeat lives inside the graph, so an exported model
takes joints and nothing else:

* optionally (``canonical_skeleton=True``), rig and body normalisation
  (``CanonicalSkeleton``): the motion is moved onto one reference skeleton, so
  that capture rigs that place joints differently and bodies of other sizes
  look alike (bone directions and speed in leg lengths are kept);
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
(``ArgumentsModel``, shared with the baselines). The constructors' defaults are
the recommended architecture (``step_tf.config.CLASSIFIER_DEFAULTS``, which
``TrainConfig`` and so ``python -m step_tf.fit`` read too), ``compile()`` with no
arguments gives the recommended optimizer, loss and metric, and
``from_train_config`` is how the training loop builds any classifier: a notebook
and the CLI take one path.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from step_tf.config import CLASSIFIER_DEFAULTS, resolve
from step_tf.data.synthetic import ANATOMICAL_SEGMENTS, REFERENCE_HEIGHT, SPINE_FRACTION
from step_tf.features import NUM_AFFECTIVE_FEATURES, SMOOTHING_WINDOW, AffectiveFeatures, smoothed_derivative
from step_tf.graph import get_layout
from step_tf.models.backbone import STGCNBackbone
from step_tf.models.optimizers import make_optimizer


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


def skeleton_tree(layout) -> list[tuple[int, int, int]]:
    """The bones of ``layout`` walked from its centre (the tree root) outwards: ``(edge index, parent, child)``.

    Breadth-first, so every parent comes before its children; ``edge index``
    is the bone's place in ``layout.edges``. The layout must be a tree.
    """
    layout = get_layout(layout) if isinstance(layout, str) else layout
    bones, reached, frontier = [], {layout.center}, [layout.center]
    while frontier:
        parent = frontier.pop(0)
        for index, edge in enumerate(layout.edges):
            if parent in edge:
                child = edge[1] if edge[0] == parent else edge[0]
                if child not in reached:
                    reached.add(child)
                    frontier.append(child)
                    bones.append((index, parent, child))
    if len(bones) != len(layout.edges) or len(reached) != layout.num_joints:
        raise ValueError(f"a canonical skeleton needs a tree; layout {layout.name!r} has cycles or loose joints")
    return bones


def _reference_bone_lengths_step16(height: float = REFERENCE_HEIGHT) -> list[float]:
    """Bone lengths (m) of the ``step16`` edges, in ``STEP16.edges`` order, for a body of ``height``.

    Winter's fractions of the synthetic walker (``step_tf.data.synthetic.ANATOMICAL_SEGMENTS``):
    the trunk split by ``SPINE_FRACTION`` at the spine joint, the shoulder joint
    ``half_shoulder_width`` out and ``shoulder_drop`` below the neck, the hip joint
    ``half_hip_width`` out from the root, the foot joint at the ankle.
    """
    neck_to_shoulder = float(np.hypot(ANATOMICAL_SEGMENTS["half_shoulder_width"], ANATOMICAL_SEGMENTS["shoulder_drop"]))
    fractions = {
        ("root", "spine"): SPINE_FRACTION * ANATOMICAL_SEGMENTS["trunk"],
        ("spine", "neck"): (1.0 - SPINE_FRACTION) * ANATOMICAL_SEGMENTS["trunk"],
        ("neck", "head"): ANATOMICAL_SEGMENTS["neck_to_head"],
        ("neck", "shoulder"): neck_to_shoulder,
        ("shoulder", "elbow"): ANATOMICAL_SEGMENTS["upper_arm"],
        ("elbow", "hand"): ANATOMICAL_SEGMENTS["forearm"],
        ("root", "hip"): ANATOMICAL_SEGMENTS["half_hip_width"],
        ("hip", "knee"): ANATOMICAL_SEGMENTS["thigh"],
        ("knee", "foot"): ANATOMICAL_SEGMENTS["shank"],
    }
    names = get_layout("step16").joint_names
    base = lambda name: name.rsplit("_", 1)[0] if name.endswith(("_left", "_right")) else name  # noqa: E731
    return [float(height * fractions[(base(names[a]), base(names[b]))]) for a, b in get_layout("step16").edges]


# Reference bone lengths (m) for a 1.70 m body, one per edge of the layout, in its ``edges`` order.
REFERENCE_BONE_LENGTHS = {"step16": _reference_bone_lengths_step16()}


@keras.saving.register_keras_serializable(package="step_tf")
class CanonicalSkeleton(keras.layers.Layer):
    """Moves each gait onto a reference skeleton, keeping every bone's direction: ``(N, T, V, 3) -> (N, T, V, 3)``.

    Capture rigs place joints differently (the Bandai-Namco rig's hips-to-neck
    is 0.41 m and half shoulder width 0.10 m, other rigs' 0.49-0.60 m and
    0.2 m) and bodies differ in size; a network trained on one rig reads those
    differences as cues. With the layout's bones walked from its root (the
    centre joint) outwards, every frame ``t`` and bone ``b = (parent p, child c)``:

        u_b[t]   = (x_c[t] - x_p[t]) / max(|x_c[t] - x_p[t]|, eps)      (the bone's direction)
        x'_c[t]  = x'_p[t] + L_ref[b] u_b[t]
        x'_r[t]  = x_r[t] leg_ref / max(leg, eps)                       (r: the root)

    with ``leg`` the gait's mean over frames and both sides of
    ``|hip - knee| + |knee - foot|`` and ``leg_ref`` the same sum of the
    reference lengths (mean of the sides): the root's trajectory, and so the
    walking speed, is kept in leg lengths, so that a tall and a short walker at
    the same relative speed look alike. ``eps`` = 1e-6 m: a zero-length bone
    puts its child on its parent (no NaN, zero gradient). Only the directions
    of the input survive: bone lengths and joint placement of the rig are
    replaced by ``reference_lengths``, and the output's world position is the
    input's scaled about the origin (root centring downstream removes it).

    Args:
        layout: skeleton layout name; its edges must form a tree.
        reference_lengths: one length (m) per edge of the layout, in ``edges``
            order; ``None``: ``REFERENCE_BONE_LENGTHS[layout]`` (a 1.70 m body
            with Winter's proportions, ``step_tf.data.synthetic.ANATOMICAL_SEGMENTS``).

    Plain element-wise ops, gathers and a stack, so it converts to TFLite.
    """

    EPSILON = 1e-6

    def __init__(self, layout="step16", reference_lengths=None, **kwargs):
        super().__init__(**kwargs)
        skeleton = get_layout(layout)
        if reference_lengths is None:
            if layout not in REFERENCE_BONE_LENGTHS:
                raise ValueError(f"no default reference lengths for layout {layout!r}; pass reference_lengths (one per edge)")
            reference_lengths = REFERENCE_BONE_LENGTHS[layout]
        reference_lengths = [float(length) for length in reference_lengths]
        if len(reference_lengths) != len(skeleton.edges) or min(reference_lengths) < 0:
            raise ValueError(
                f"reference_lengths must give {len(skeleton.edges)} non-negative lengths (one per edge of {layout!r}), "
                f"got {reference_lengths}"
            )
        missing = [f"{part}_{side}" for side in ("left", "right") for part in ("hip", "knee", "foot") if f"{part}_{side}" not in skeleton.joint_names]
        if missing:
            raise ValueError(f"a canonical skeleton scales speed by leg length; layout {layout!r} lacks {', '.join(missing)}")
        self.layout = layout
        self.reference_lengths = reference_lengths
        self._root = skeleton.center
        self._bones = skeleton_tree(skeleton)
        self._legs = [
            [skeleton.joint_index(f"{a}_{side}"), skeleton.joint_index(f"{b}_{side}")]
            for side in ("left", "right") for a, b in (("hip", "knee"), ("knee", "foot"))
        ]
        edge_of = {frozenset(skeleton.edges[index]): index for index in range(len(skeleton.edges))}
        self._reference_leg = sum(reference_lengths[edge_of[frozenset(pair)]] for pair in self._legs) / 2.0

    def call(self, joints):
        eps = self.EPSILON
        parents = ops.take(joints, [p for p, _ in self._legs], axis=2)  # (N, T, 4, 3)
        children = ops.take(joints, [c for _, c in self._legs], axis=2)
        segment = ops.sqrt(ops.maximum(ops.sum((children - parents) ** 2, axis=-1), eps**2))  # (N, T, 4)
        leg = ops.mean(ops.sum(segment, axis=2), axis=1) / 2.0  # (N,): thigh + shank, mean of frames and sides
        scale = self._reference_leg / ops.maximum(leg, eps)
        rebuilt = {self._root: joints[:, :, self._root, :] * scale[:, None, None]}  # (N, T, 3)
        for edge, parent, child in self._bones:
            bone = joints[:, :, child, :] - joints[:, :, parent, :]
            length = ops.sqrt(ops.maximum(ops.sum(bone**2, axis=-1, keepdims=True), eps**2))
            rebuilt[child] = rebuilt[parent] + (self.reference_lengths[edge] / length) * bone
        return ops.stack([rebuilt[joint] for joint in range(len(rebuilt))], axis=2)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        return {**super().get_config(), "layout": self.layout, "reference_lengths": list(self.reference_lengths)}


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

    The protocol every trainable classifier (``step_tf.models.baselines.CLASSIFIERS``)
    follows, so that the training loop and a notebook take one path:

    * ``arguments_from_config(config)``: the constructor arguments a
      ``TrainConfig`` sets;
    * ``from_train_config(config, num_classes)``: the model built from them and
      compiled with the configuration's optimizer (what ``python -m step_tf.fit``
      trains);
    * ``compile()``: with no arguments, the optimizer of the class's recipe
      (``RECIPE`` in ``step_tf.config.RECIPES``), ``training_loss()`` and
      accuracy; explicit arguments override each;
    * ``fit()``: refused while a model with affective features (a layer named
      ``affective_scaling``) has not had ``adapt_feature_scaling`` called.
    """

    # The recipe (step_tf.config.RECIPES) whose optimizer compile() gives by default.
    RECIPE = "default"

    def get_config(self):
        return {"name": self.name, "trainable": self.trainable, **self._arguments}

    @classmethod
    def from_config(cls, config):
        return cls(**config)

    @classmethod
    def arguments_from_config(cls, config) -> dict:
        """The constructor arguments that a ``TrainConfig`` sets (``num_classes`` aside)."""
        raise NotImplementedError

    @classmethod
    def from_train_config(cls, config, num_classes: int) -> "ArgumentsModel":
        """The model ``config`` describes, compiled with its optimizer: what the training loop trains."""
        model = cls(num_classes=num_classes, **cls.arguments_from_config(config))
        model.compile(optimizer=make_optimizer(config))
        return model

    @staticmethod
    def training_loss():
        """The loss ``compile()`` uses by default: cross-entropy on the logits."""
        return keras.losses.SparseCategoricalCrossentropy(from_logits=True)

    def compile(self, optimizer=None, loss=None, loss_weights=None, metrics=None, **kwargs):
        """``keras.Model.compile`` with the recommended defaults for what is not given.

        ``optimizer``: the class recipe's (``step_tf.config.resolve(RECIPE)``; for
        STEP, AdamW at 2e-3 with weight decay 1e-4); ``loss``: ``training_loss()``;
        ``metrics``: ``SparseCategoricalAccuracy`` named ``accuracy``.
        """
        super().compile(
            optimizer=make_optimizer(resolve(self.RECIPE)) if optimizer is None else optimizer,
            loss=self.training_loss() if loss is None else loss,
            loss_weights=loss_weights,
            metrics=[keras.metrics.SparseCategoricalAccuracy(name="accuracy")] if metrics is None else metrics,
            **kwargs,
        )

    def compile_from_config(self, config):
        # Keras skips compiling a loaded model whose class overrides compile(); a saved compile config is explicit,
        # so it is applied as it was saved (keras.Model.compile, without the defaults above), as before the override.
        config = keras.saving.deserialize_keras_object(config)
        keras.Model.compile(self, **config)
        if hasattr(self, "optimizer") and self.built:
            self.optimizer.build(self.trainable_variables)  # its variables, so that saved optimizer state loads

    def set_weights(self, weights):
        super().set_weights(weights)
        # A Normalization computes with copies of its mean and variance made when adapted or loaded (finalize_state);
        # without this, weights set here would leave the affective features scaled by the old (say, initial) statistics.
        for layer in self.layers:
            if isinstance(layer, keras.layers.Normalization):
                layer.finalize_state()

    @property
    def feature_scaling_adapted(self) -> bool:
        """False while the ``affective_scaling`` layer (if any) still scales by its initial mean 0 and variance 1.

        ``adapt_feature_scaling`` sets them; a model loaded from a ``.keras`` file
        (or given trained weights by ``set_weights``) has them.
        """
        if not any(layer.name == "affective_scaling" for layer in self.layers):
            return True
        scaling = self.get_layer("affective_scaling")  # the statistics its call uses
        mean, variance = ops.convert_to_numpy(scaling.mean), ops.convert_to_numpy(scaling.variance)
        return not (np.all(mean == 0.0) and np.all(variance == 1.0))

    def fit(self, *args, **kwargs):
        if not self.feature_scaling_adapted:
            raise ValueError(
                f"{type(self).__name__}'s affective-feature scaling (layer 'affective_scaling') was never adapted, so "
                "its 29 affective features would train unscaled: call model.adapt_feature_scaling(training_joints) "
                "with the training gaits (N, T, V, 3) before fit()"
            )
        return super().fit(*args, **kwargs)


class _GaitClassifier(ArgumentsModel):
    """Shared constructor arguments and backbone wiring of the STEP classifiers."""

    def __init__(
        self,
        num_classes=4,
        channels=CLASSIFIER_DEFAULTS["channels"],
        strides=CLASSIFIER_DEFAULTS["strides"],
        temporal_kernel_size=CLASSIFIER_DEFAULTS["temporal_kernel_size"],
        layout="step16",
        strategy=CLASSIFIER_DEFAULTS["strategy"],
        max_hop=1,
        edge_importance=True,
        dropout_rate=CLASSIFIER_DEFAULTS["dropout_rate"],
        frame_rate=30.0,
        heading_normalisation=CLASSIFIER_DEFAULTS["heading_normalisation"],
        motion_input=CLASSIFIER_DEFAULTS["motion_input"],
        canonical_skeleton=CLASSIFIER_DEFAULTS["canonical_skeleton"],
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
            canonical_skeleton=canonical_skeleton,
        )
        inputs = keras.Input(shape=(None, get_layout(layout).num_joints, 3), name="joints")
        # First, so that every branch (positions, velocities, affective features) sees the reference skeleton.
        joints = CanonicalSkeleton(layout, name="canonical_skeleton")(inputs) if canonical_skeleton else inputs
        joints = HeadingNormalisation(layout, name="heading_normalisation")(joints) if heading_normalisation else joints
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
        # Runs saved before view normalisation, velocities and the canonical skeleton existed were trained without them.
        # Every other argument has been saved explicitly since the first release, so the defaults never reach a file.
        return cls(**{"heading_normalisation": False, "motion_input": False, "canonical_skeleton": False, **config})

    @classmethod
    def arguments_from_config(cls, config) -> dict:
        return dict(
            channels=config.channels,
            strides=config.strides,
            temporal_kernel_size=config.temporal_kernel_size,
            strategy=config.partition_strategy,
            dropout_rate=config.dropout_rate,
            heading_normalisation=config.heading_normalisation,
            motion_input=config.motion_input,
            canonical_skeleton=config.canonical_skeleton,
        )

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
    """STEP: pooled ST-GCN features joined with the 29 affective features. ``(N, T, V, 3) -> (N, num_classes)``.

    The affective features are standardised inside the graph with statistics of
    the training gaits, which ``adapt_feature_scaling(training_joints)`` must set
    before training: ``fit`` refuses a model whose scaling was never adapted
    (a model loaded from a ``.keras`` file carries its statistics)::

        model = STEP()                               # the recommended architecture
        model.adapt_feature_scaling(train_joints)    # (N, T, 16, 3), training split only
        model.compile()                              # AdamW 2e-3, cross-entropy, accuracy
        model.fit(train_joints, train_labels, epochs=30, batch_size=32)
    """

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
