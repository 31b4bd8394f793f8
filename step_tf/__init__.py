"""step_tf: STEP (emotion perception from gaits) in TensorFlow/Keras.

Subpackages: ``step_tf.data`` (gait arrays, readers, preprocessing, the embedded
synthetic set, tf.data), ``step_tf.layers`` (ST-GCN layers), ``step_tf.models``
(backbone and classifiers); ``step_tf.graph`` holds the skeleton layouts and
``step_tf.features`` the 29 affective features.
"""

__version__ = "0.1.0"
