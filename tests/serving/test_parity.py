"""Parity on the run's test split: Keras, the SavedModel and TFLite (float32, float16, int8 through LiteRT)."""

import numpy as np
import tensorflow as tf

from step_tf.serving.tflite import QUANTIZATIONS, LiteRunner, tflite_name


def test_savedmodel_and_tflite_match_keras(version_dir, test_split, keras_probabilities):
    loaded = tf.saved_model.load(str(version_dir))
    saved = loaded.signatures["serving_default"](joints=tf.constant(test_split.joints))["probabilities"].numpy()
    report = {"savedmodel": np.abs(saved - keras_probabilities).max()}
    np.testing.assert_allclose(saved, keras_probabilities, atol=1e-4, rtol=0)

    keras_classes = keras_probabilities.argmax(axis=1)
    for quantization in QUANTIZATIONS:
        outputs = LiteRunner(version_dir / tflite_name(quantization)).predict(test_split.joints)
        probabilities = outputs["probabilities"]
        np.testing.assert_array_equal(outputs["class_ids"], probabilities.argmax(axis=1))
        assert [name.decode() for name in outputs["class_names"]] == [test_split.label_names[i] for i in outputs["class_ids"]]
        agreement = np.mean(outputs["class_ids"] == keras_classes)
        report[quantization] = (np.abs(probabilities - keras_probabilities).max(), agreement)
        if quantization == "float32":
            np.testing.assert_allclose(probabilities, keras_probabilities, atol=1e-4, rtol=0)
        else:
            assert agreement >= 0.99, f"{quantization}: same class as Keras for only {agreement:.1%} of test gaits"
    sizes = {q: (version_dir / tflite_name(q)).stat().st_size for q in QUANTIZATIONS}
    print(f"\nparity on {len(test_split)} test gaits (max |p - p_keras|, class agreement): {report}; sizes: {sizes}")
