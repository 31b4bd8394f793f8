"""The shared checks every custom layer and model goes through.

``run_layer_test`` and ``run_model_test`` check, in a few lines per test:

1. the output shape, eagerly and (layers) symbolically on ``keras.Input``;
2. the config round trip: ``from_config(get_config())`` gives an equal config
   (and, for layers, every constructor argument appears in the config);
3. ``.keras`` save and load (no custom_objects: the classes are registered)
   giving *identical* outputs;
4. one ``fit`` step on random data: finite loss, every trainable variable moved;
5. TFLite: SavedModel export with fixed input shapes, conversion, and the
   LiteRT interpreter's outputs against Keras within ``tflite_atol``.
"""

from __future__ import annotations

import copy
import pathlib
import tempfile

import keras
import numpy as np
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter


def _random_like(shape, rng):
    return rng.standard_normal(shape).astype(np.float32)


def _as_list(structure):
    """The arrays of a tensor, list/tuple or dict (sorted by key), as a list of NumPy arrays."""
    if isinstance(structure, dict):
        return [np.asarray(structure[key]) for key in sorted(structure)]
    if isinstance(structure, (list, tuple)):
        return [np.asarray(item) for item in structure]
    return [np.asarray(structure)]


def _check_output_shapes(outputs, expected_output_shape):
    actual = [tuple(array.shape) for array in _as_list(outputs)]
    if isinstance(expected_output_shape, dict):
        expected = [tuple(expected_output_shape[key]) for key in sorted(expected_output_shape)]
    elif expected_output_shape and isinstance(expected_output_shape[0], (list, tuple)):
        expected = [tuple(shape) for shape in expected_output_shape]
    else:
        expected = [tuple(expected_output_shape)]
    assert actual == expected, f"output shapes {actual} != expected {expected}"


def _check_save_and_load(model, inputs, directory):
    path = pathlib.Path(directory) / "model.keras"
    keras.saving.save_model(model, path)
    loaded = keras.saving.load_model(path)
    for before, after in zip(_as_list(model(inputs, training=False)), _as_list(loaded(inputs, training=False))):
        np.testing.assert_array_equal(after, before, err_msg="outputs differ after .keras save and load")


def _check_training_step(model, inputs, targets, compile_kwargs):
    if compile_kwargs is not None or not model.compiled:
        model.compile(**(compile_kwargs or {"optimizer": keras.optimizers.Adam(1e-2), "loss": "mse"}))
    before = [variable.numpy().copy() for variable in model.trainable_variables]
    assert before, "the model has no trainable variables"
    batch_size = len(_as_list(inputs)[0])
    history = model.fit(inputs, targets, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
    for name, values in history.history.items():
        assert np.all(np.isfinite(values)), f"training metric {name} is not finite: {values}"
    unchanged = [
        variable.path
        for variable, old in zip(model.trainable_variables, before)
        if np.array_equal(variable.numpy(), old)
    ]
    assert not unchanged, f"one training step left these variables unchanged: {unchanged}"


def _check_tflite(model, inputs, directory, atol):
    arrays = _as_list(inputs)
    names = [f"input_{index}" for index in range(len(arrays))]
    specs = [tf.TensorSpec(array.shape, tf.as_dtype(array.dtype), name=name) for array, name in zip(arrays, names)]
    if isinstance(inputs, dict):
        signature = [dict(zip(sorted(inputs), specs))]
    elif isinstance(inputs, (list, tuple)):
        signature = [specs]
    else:
        signature = specs
    saved_model = str(pathlib.Path(directory) / "saved_model")
    model.export(saved_model, input_signature=signature, verbose=False)
    flatbuffer = tf.lite.TFLiteConverter.from_saved_model(saved_model).convert()
    runner = Interpreter(model_content=flatbuffer).get_signature_runner("serving_default")
    lite_outputs = runner(**dict(zip(names, arrays)))
    keras_outputs = model(inputs, training=False)
    # Keras's export keeps the keys of dict outputs and names others output_0, output_1, ...
    keys = sorted(keras_outputs) if isinstance(keras_outputs, dict) else [
        f"output_{index}" for index in range(len(_as_list(keras_outputs)))
    ]
    for lite, reference in zip([lite_outputs[key] for key in keys], _as_list(keras_outputs)):
        np.testing.assert_allclose(lite, reference, atol=atol, rtol=0, err_msg="LiteRT differs from Keras")


def run_model_test(
    model,
    inputs,
    expected_output_shape=None,
    *,
    targets="random",
    compile_kwargs=None,
    run_training_step=True,
    run_tflite=True,
    tflite_atol=1e-4,
    seed=0,
):
    """Runs the shared checks on a built Keras model.

    Args:
        model: a functional or registered subclassed ``keras.Model``.
        inputs: an array, a list of arrays or a dict of arrays (its batch).
        expected_output_shape: a shape, a list of shapes (one per output) or a
            dict of shapes; ``None`` skips the check.
        targets: training targets; ``"random"`` draws normal targets shaped
            like the outputs; ``None`` fits on inputs alone (a custom train_step).
        compile_kwargs: ``model.compile`` arguments; by default an
            uncompiled model gets Adam(1e-2) and mean squared error.
        run_training_step, run_tflite: switch those checks off.
        tflite_atol: absolute tolerance of LiteRT against Keras.
        seed: seeds Keras's and the targets' randomness.
    """
    keras.utils.set_random_seed(seed)
    rng = np.random.default_rng(seed)
    outputs = model(inputs, training=False)
    if expected_output_shape is not None:
        _check_output_shapes(outputs, expected_output_shape)

    config = model.get_config()
    # from_config may consume its argument (Functional does): give it a copy.
    assert type(model).from_config(copy.deepcopy(config)).get_config() == config, "from_config(get_config()) changed the config"

    with tempfile.TemporaryDirectory() as directory:
        _check_save_and_load(model, inputs, directory)
        if run_training_step:
            if isinstance(targets, str) and targets == "random":
                if isinstance(outputs, dict):
                    targets = {key: _random_like(value.shape, rng) for key, value in outputs.items()}
                elif isinstance(outputs, (list, tuple)):
                    targets = [_random_like(value.shape, rng) for value in outputs]
                else:
                    targets = _random_like(outputs.shape, rng)
            _check_training_step(model, inputs, targets, compile_kwargs)
        if run_tflite:
            # After the training step, so that BatchNorm statistics are not the identity.
            _check_tflite(model, inputs, directory, tflite_atol)


def run_layer_test(
    layer_class,
    init_kwargs,
    input_shape,
    expected_output_shape,
    *,
    run_training_step=True,
    run_tflite=True,
    tflite_atol=1e-4,
    seed=0,
):
    """Runs the shared checks on one layer class (single float32 input).

    Args:
        layer_class: a registered ``keras.layers.Layer`` subclass.
        init_kwargs: constructor arguments.
        input_shape: full input shape, batch included, e.g. ``(2, 16, 16, 3)``.
        expected_output_shape: full output shape, batch included.
        run_training_step, run_tflite, tflite_atol, seed: as ``run_model_test``.
    """
    keras.utils.set_random_seed(seed)
    inputs = _random_like(input_shape, np.random.default_rng(seed))
    expected_output_shape = tuple(expected_output_shape)

    layer = layer_class(**init_kwargs)
    eager = layer(inputs)
    assert tuple(eager.shape) == expected_output_shape, f"eager output {tuple(eager.shape)} != {expected_output_shape}"
    assert tuple(layer.compute_output_shape(input_shape)) == expected_output_shape

    config = layer.get_config()
    for name, value in init_kwargs.items():
        assert name in config, f"get_config lacks the constructor argument {name!r}"
        if value is None or isinstance(value, (bool, int, float, str)):
            assert config[name] == value, f"get_config()[{name!r}] is {config[name]!r}, constructed with {value!r}"
    rebuilt = layer_class.from_config(copy.deepcopy(config))
    assert rebuilt.get_config() == config, "from_config(get_config()) changed the config"

    symbolic_input = keras.Input(shape=input_shape[1:])
    symbolic_output = layer_class(**init_kwargs)(symbolic_input)
    assert tuple(symbolic_output.shape[1:]) == expected_output_shape[1:], (
        f"symbolic output {tuple(symbolic_output.shape)} does not match {expected_output_shape}"
    )
    model = keras.Model(symbolic_input, symbolic_output)
    run_model_test(
        model,
        inputs,
        expected_output_shape,
        run_training_step=run_training_step,
        run_tflite=run_tflite,
        tflite_atol=tflite_atol,
        seed=seed,
    )
