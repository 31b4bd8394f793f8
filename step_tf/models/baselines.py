"""The comparison baselines of the paper's Table 1, in the same framework as STEP.

Every model takes raw joints ``(N, T, V, 3)`` (metres, y up) and returns class
logits ``(N, num_classes)``, so the training loop, the splits, the checkpoints,
the evaluation and the export treat them exactly like STEP:

* ``STGCN`` -- the original ST-GCN (Yan et al. 2018): the shared
  ``STGCNBackbone`` with 10 blocks (64 x 4, 128 x 3, 256 x 3 channels, stride 2
  at blocks 5 and 8, temporal kernel 9, dropout 0.5), average pooling over
  frames and joints, and one dense layer of logits (the original's 1x1
  convolution on the pooled vector). ``python -m step_tf.fit --recipe stgcn``.
* ``LSTMClassifier`` -- the deep-plus-affective model of the paper's reference
  [38] (Randhavane et al.): stacked LSTMs recur over the frames of the
  root-centred joint sequence ``(N, T, 3 V)``; the last hidden state is joined
  with the 29 standardised affective features and classified by STEP's head
  (dense 128 with ReLU, dense ``num_classes``).
* ``AffectiveSVM`` -- the psychology-literature methods of Table 1 (features
  chosen by hand, a shallow classifier): a linear multi-class SVM over the 29
  standardised affective features. It is trained by the Crammer-Singer hinge
  loss

      L = mean_i max(0, 1 + max_{j != y_i} s_ij - s_iy_i),

  with the optimiser's weight decay as the SVM's L2 penalty on the weights.
  Written in Keras rather than taken from scikit-learn so that it shares the
  loop, the validation-chosen checkpoint and the export with every other model.

``CLASSIFIERS`` maps every trainable model name (``step_tf.config.MODEL_NAMES``)
to its class.
"""

from __future__ import annotations

import keras
from keras import ops

from step_tf.config import MODEL_NAMES, ORIGINAL_STGCN
from step_tf.features import AffectiveFeatures
from step_tf.graph import get_layout
from step_tf.models.classifiers import MODELS, STEP, ArgumentsModel, RootCentring, _GaitClassifier


@keras.saving.register_keras_serializable(package="step_tf")
class STGCN(_GaitClassifier):
    """The original ST-GCN classifier. ``(N, T, V, 3) -> (N, num_classes)`` logits.

    The constructor defaults are the original architecture (positions only, no
    view normalisation; ``step_tf.config.ORIGINAL_STGCN``, which the ``stgcn``
    recipe trains); other channels, strides or kernels give an ST-GCN of
    another size with the same head.
    """

    RECIPE = "stgcn"

    def __init__(
        self,
        num_classes=4,
        channels=ORIGINAL_STGCN["channels"],
        strides=ORIGINAL_STGCN["strides"],
        temporal_kernel_size=ORIGINAL_STGCN["temporal_kernel_size"],
        dropout_rate=ORIGINAL_STGCN["dropout_rate"],
        heading_normalisation=False,
        motion_input=False,
        **kwargs,
    ):
        super().__init__(
            num_classes=num_classes,
            channels=channels,
            strides=strides,
            temporal_kernel_size=temporal_kernel_size,
            dropout_rate=dropout_rate,
            heading_normalisation=heading_normalisation,
            motion_input=motion_input,
            **kwargs,
        )

    @classmethod
    def arguments_from_config(cls, config) -> dict:
        """The ST-GCN options of ``config``; the original network sees positions only, whatever its input options."""
        arguments = super().arguments_from_config(config)
        for name in ("heading_normalisation", "motion_input", "canonical_skeleton"):
            del arguments[name]
        return arguments

    @staticmethod
    def _head(joints, pooled, num_classes, frame_rate):
        return keras.layers.Dense(num_classes, name="logits")(pooled)


@keras.saving.register_keras_serializable(package="step_tf")
class LSTMClassifier(ArgumentsModel):
    """LSTMs over joint sequences joined with the affective features. ``(N, T, V, 3) -> (N, num_classes)``.

    Args:
        num_classes: classes to score.
        units: hidden units of each LSTM layer.
        num_layers: stacked LSTM layers (the last returns its final state only).
        dropout_rate: dropout on the inputs of each LSTM layer.
        layout: skeleton layout name (gives the number of joints).
        frame_rate: frames per second, for the movement features.
    """

    def __init__(self, num_classes=4, units=128, num_layers=2, dropout_rate=0.0, layout="step16", frame_rate=30.0, **kwargs):
        if num_layers < 1 or units < 1:
            raise ValueError(f"LSTMClassifier needs at least one layer of at least one unit, got {num_layers} x {units}")
        num_joints = get_layout(layout).num_joints
        joints = keras.Input(shape=(None, num_joints, 3), name="joints")
        centred = RootCentring(name="root_centring")(joints)
        # (N, T, V, 3) -> (N, T, 3 V): one vector of coordinates per frame.
        sequence = keras.layers.Reshape((-1, num_joints * 3), name="frames")(centred)
        for index in range(num_layers):
            sequence = keras.layers.LSTM(
                units, dropout=dropout_rate, return_sequences=index + 1 < num_layers, name=f"lstm_{index + 1}"
            )(sequence)
        logits = STEP._head(joints, sequence, num_classes, frame_rate)
        super().__init__(inputs=joints, outputs=logits, **kwargs)
        self._arguments = dict(
            num_classes=num_classes, units=units, num_layers=num_layers, dropout_rate=dropout_rate, layout=layout, frame_rate=frame_rate
        )

    # The same affective layers as STEP (built by STEP._head), so the same training-split scaling.
    adapt_feature_scaling = STEP.adapt_feature_scaling

    @staticmethod
    def arguments_from_config(config) -> dict:
        """The constructor arguments a ``TrainConfig`` sets (its ST-GCN options do not apply)."""
        return {"dropout_rate": config.dropout_rate}


@keras.saving.register_keras_serializable(package="step_tf")
def sparse_multiclass_hinge(labels, scores):
    """Crammer-Singer hinge per gait: ``labels (N,)`` ints, ``scores (N, K)`` -> ``(N,)`` losses."""
    labels = ops.cast(ops.reshape(labels, (-1,)), "int32")
    true_class = ops.one_hot(labels, ops.shape(scores)[-1], dtype=scores.dtype)
    true_score = ops.sum(scores * true_class, axis=-1)
    # The true class is pushed below every other score before the max.
    best_other = ops.max(scores - 1e9 * true_class, axis=-1)
    return ops.relu(1.0 + best_other - true_score)


@keras.saving.register_keras_serializable(package="step_tf")
class AffectiveSVM(ArgumentsModel):
    """A linear multi-class SVM over the 29 standardised affective features. ``(N, T, V, 3) -> (N, num_classes)``.

    Args:
        num_classes: classes to score.
        layout: skeleton layout name (gives the number of joints).
        frame_rate: frames per second, for the movement features.
    """

    def __init__(self, num_classes=4, layout="step16", frame_rate=30.0, **kwargs):
        joints = keras.Input(shape=(None, get_layout(layout).num_joints, 3), name="joints")
        features = AffectiveFeatures(frame_rate=frame_rate, name="affective_features")(joints)
        scaled = keras.layers.Normalization(name="affective_scaling")(features)
        scores = keras.layers.Dense(num_classes, name="logits")(scaled)
        super().__init__(inputs=joints, outputs=scores, **kwargs)
        self._arguments = dict(num_classes=num_classes, layout=layout, frame_rate=frame_rate)

    adapt_feature_scaling = STEP.adapt_feature_scaling

    @staticmethod
    def arguments_from_config(config) -> dict:
        """A linear SVM has no architecture options."""
        return {}

    # Its own optimisation (the "affective_svm" recipe: large coupled-L2 steps) and loss.
    RECIPE = "affective_svm"

    @staticmethod
    def training_loss():
        """The loss ``compile()`` uses by default (instead of cross-entropy)."""
        return sparse_multiclass_hinge


BASELINES = {"stgcn": STGCN, "lstm": LSTMClassifier, "affective_svm": AffectiveSVM}
CLASSIFIERS = {**MODELS, **BASELINES}
if set(CLASSIFIERS) != set(MODEL_NAMES):
    raise ImportError(f"step_tf.config.MODEL_NAMES {MODEL_NAMES} and the model classes {sorted(CLASSIFIERS)} disagree")
