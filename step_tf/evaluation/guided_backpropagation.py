"""Saliency of a classifier's decision over the input joints: guided backpropagation (paper 5.6, Figure 7).

For a class score ``s_c`` (a logit, before softmax) and joints ``x`` ``(T, V, 3)``,
the gradient ``ds_c / dx`` is backpropagated as usual except through every
ReLU ``y = max(x, 0)``, where guided backpropagation (Springenberg et al. 2015)
passes only positive gradients into units that were active:

    dL/dx = dL/dy * [x > 0] * [dL/dy > 0]            (plain backprop: dL/dy * [x > 0])

so the map keeps only what *raises* the class score. The rule is put on every
``Relu`` operation of the model's graph (``tf.Graph.gradient_override_map``
inside a ``tf.function``, differentiated with ``tf.gradients``): it reaches the
ReLUs written inside layers' ``call`` as well as activation arguments, and the
model itself is left untouched. Other activations (the LSTM's tanh and
sigmoid) are differentiated normally.

Shapes: joints ``(N, T, V, 3)`` -> saliency ``(N, T, V, 3)``; the figure shows
its magnitude per axis as joints x frames (``step_tf.evaluation.plots.saliency_png``).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

_GUIDED_RELU = "StepTfGuidedRelu"


@tf.RegisterGradient(_GUIDED_RELU)
def _guided_relu_gradient(operation, gradient):
    active = tf.cast(operation.outputs[0] > 0, gradient.dtype)
    return gradient * active * tf.cast(gradient > 0, gradient.dtype)


def guided_backpropagation(model: keras.Model, joints, class_indices=None) -> tuple[np.ndarray, np.ndarray]:
    """Guided gradients of class scores with respect to the input joints.

    Args:
        model: a classifier ``(N, T, V, 3) -> (N, num_classes)`` logits.
        joints: ``(N, T, V, 3)`` gaits.
        class_indices: the class whose score is explained, one int for all
            gaits or ``(N,)`` ints; ``None`` explains each gait's predicted class.

    Returns:
        ``(saliency (N, T, V, 3) float32, class_indices (N,) int)``.
    """
    joints = tf.convert_to_tensor(np.asarray(joints, dtype=np.float32))
    if joints.shape.rank != 4 or joints.shape[-1] != 3:
        raise ValueError(f"joints must be (gaits, frames, joints, 3), got {tuple(joints.shape)}")
    logits = model(joints, training=False)
    num_gaits, num_classes = logits.shape
    if class_indices is None:
        class_indices = np.argmax(np.asarray(logits), axis=-1)
    class_indices = np.broadcast_to(np.asarray(class_indices, dtype=np.int64), (num_gaits,)).copy()
    if class_indices.min() < 0 or class_indices.max() >= num_classes:
        raise ValueError(f"class indices must lie in 0..{num_classes - 1}, got {class_indices.tolist()}")

    @tf.function
    def guided(joints, class_indices):
        with tf.compat.v1.get_default_graph().gradient_override_map({"Relu": _GUIDED_RELU}):
            scores = tf.gather(model(joints, training=False), class_indices, axis=1, batch_dims=1)
        # Gaits are independent (inference mode), so one gradient of the summed scores gives each gait's own.
        return tf.gradients(tf.reduce_sum(scores), joints)[0]

    saliency = guided(joints, tf.constant(class_indices))
    return np.asarray(saliency), class_indices
