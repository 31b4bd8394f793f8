"""The serving signatures of an exported classifier: joints in, probabilities, class ids and names out.

Two signatures take raw joints ``(N, T, V, C)`` = gaits, frames, 16 joints,
3 coordinates (float32, metres, y up, 30 fps, world frame or root-centred):

* ``serving_default``: ``T`` fixed at 75, the frame count the classifiers are
  trained on; this is what TensorFlow Serving calls without a signature name
  and what the TFLite conversions take;
* ``serve_any_frames``: any ``T >= step_tf.features.MIN_FRAMES`` (15: one window
  of the features' smoothing filter; fewer is refused inside the graph).

Both return ``probabilities`` ``(N, K)`` float32 (the softmax of the model's
logits), ``class_ids`` ``(N,)`` int64 (the arg-max) and ``class_names``
``(N,)`` string. Root centring and the affective features already live in the
Keras model, and training applies no view normalisation, so a client sends
joints and nothing else.
"""

from __future__ import annotations

import os

import keras
import tensorflow as tf

from step_tf.data.gaits import NUM_COORDINATES, NUM_FRAMES
from step_tf.features import MIN_FRAMES

DEFAULT_SIGNATURE = "serving_default"
ANY_FRAMES_SIGNATURE = "serve_any_frames"
SIGNATURES = (DEFAULT_SIGNATURE, ANY_FRAMES_SIGNATURE)
INPUT_NAME = "joints"
OUTPUT_NAMES = ("probabilities", "class_ids", "class_names")


def input_spec(num_joints: int, num_frames: int | None) -> tf.TensorSpec:
    """The joints input ``(batch, num_frames, num_joints, 3)`` float32; ``None`` frames: any count."""
    return tf.TensorSpec([None, num_frames, num_joints, NUM_COORDINATES], tf.float32, name=INPUT_NAME)


def export_saved_model(model: keras.Model, label_names: tuple[str, ...], directory: str | os.PathLike) -> None:
    """Writes ``model`` as a SavedModel with the two serving signatures into ``directory``.

    ``label_names[i]`` names class id ``i``; it must have one name per model output.
    """
    num_classes = model.output_shape[-1]
    if len(label_names) != num_classes:
        raise ValueError(f"the model has {num_classes} classes but {len(label_names)} label names were given: {label_names}")
    num_joints = model.input_shape[2]
    names = tf.constant(list(label_names), dtype=tf.string)

    def predict(joints):
        probabilities = tf.nn.softmax(model(joints, training=False), axis=-1)
        class_ids = tf.argmax(probabilities, axis=-1)
        return {"probabilities": probabilities, "class_ids": class_ids, "class_names": tf.gather(names, class_ids)}

    def predict_any_frames(joints):
        check = tf.debugging.assert_greater_equal(
            tf.shape(joints)[1], MIN_FRAMES,
            message=f"joints need at least {MIN_FRAMES} frames (one window of the features' smoothing filter)",
        )
        with tf.control_dependencies([check]):
            return predict(tf.identity(joints))

    archive = keras.export.ExportArchive()
    archive.track(model)
    archive.add_endpoint(DEFAULT_SIGNATURE, predict, input_signature=[input_spec(num_joints, NUM_FRAMES)])
    archive.add_endpoint(ANY_FRAMES_SIGNATURE, predict_any_frames, input_signature=[input_spec(num_joints, None)])
    archive.write_out(str(directory), verbose=False)
