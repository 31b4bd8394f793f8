"""The classifiers' task protocol: one set of defaults, compile() defaults, from_train_config, adapted scaling.

A notebook user (``STEP()``, ``compile()``, ``adapt_feature_scaling``, ``fit``)
and ``python -m step_tf.fit`` (``build_model``) must get the same network, the
same optimisation and the same scaled features.
"""

import copy
import dataclasses
import inspect
import json
import warnings

import keras
import numpy as np
import pytest

from step_tf.config import CLASSIFIER_DEFAULTS, MODEL_NAMES, ORIGINAL_STGCN, RECIPES, TrainConfig, resolve
from step_tf.models.baselines import CLASSIFIERS, STGCN, AffectiveSVM, LSTMClassifier, sparse_multiclass_hinge
from step_tf.models.classifiers import STEP, BaselineSTEP
from step_tf.training.loop import build_model
from tests.models.test_classifiers import _gaits

TINY = dict(channels=(8,), strides=(1,), temporal_kernel_size=3)
# TrainConfig's field for each constructor argument it sets (the others have one name).
FIELD_OF = {"strategy": "partition_strategy"}


def _defaults(model_class) -> dict:
    return {
        name: parameter.default
        for name, parameter in inspect.signature(model_class.__init__).parameters.items()
        if parameter.default is not inspect.Parameter.empty
    }


def _architecture(config: dict) -> dict:
    """A model config without its (counter-numbered) name; sequences as tuples."""
    return {key: tuple(value) if isinstance(value, list) else value for key, value in config.items() if key != "name"}


@pytest.mark.parametrize("model_class", [STEP, BaselineSTEP])
def test_classifier_defaults_are_train_configs(model_class):
    defaults, config = _defaults(model_class), TrainConfig()
    for name in CLASSIFIER_DEFAULTS:
        assert defaults[name] == getattr(config, FIELD_OF.get(name, name)), name
    # The recommended network, which python -m step_tf.fit trains (not the public code's kernel 75).
    assert (defaults["temporal_kernel_size"], defaults["strides"], defaults["dropout_rate"]) == (9, (1, 2, 2), 0.1)


def test_stgcn_defaults_are_its_own_and_the_stgcn_recipe_trains_them():
    defaults = _defaults(STGCN)
    assert {name: defaults[name] for name in ORIGINAL_STGCN} == ORIGINAL_STGCN
    config = resolve("stgcn")
    assert {name: getattr(config, name) for name in ORIGINAL_STGCN} == ORIGINAL_STGCN
    assert RECIPES["stgcn"]["model"] == "stgcn"
    # The original sees positions only, whatever the configuration's input options say.
    assert STGCN.arguments_from_config(config).keys() == {"channels", "strides", "temporal_kernel_size", "strategy", "dropout_rate"}


def test_build_model_of_the_default_config_is_step():
    model = build_model(TrainConfig(), num_classes=4)
    assert type(model) is STEP
    assert _architecture(model.get_config()) == _architecture(STEP().get_config())


def test_every_model_name_builds_through_the_one_protocol():
    """Each name of MODEL_NAMES is a class with the protocol, built compiled by its recipe's optimizer."""
    for name in MODEL_NAMES:
        config = resolve(model=name, **TINY)
        model = build_model(config, num_classes=3)
        assert isinstance(model, CLASSIFIERS[name]), name
        assert model.compiled and model.output_shape == (None, 3), name
        assert CLASSIFIERS[name].RECIPE in RECIPES, name
        # What the loop builds is what the constructor builds from the configuration's arguments.
        direct = CLASSIFIERS[name](num_classes=3, **CLASSIFIERS[name].arguments_from_config(config))
        assert _architecture(direct.get_config()) == _architecture(model.get_config()), name


def test_compile_without_arguments_gives_the_recommended_optimisation():
    model = STEP(**TINY)
    model.compile()
    default = TrainConfig()
    assert isinstance(model.optimizer, keras.optimizers.AdamW)
    assert float(model.optimizer.learning_rate) == pytest.approx(default.learning_rate)
    assert model.optimizer.weight_decay == pytest.approx(default.weight_decay) == pytest.approx(1e-4)
    assert isinstance(model.loss, keras.losses.SparseCategoricalCrossentropy) and model.loss.get_config()["from_logits"]
    assert set(model.evaluate(_gaits(), np.arange(4), verbose=0, return_dict=True)) == {"loss", "accuracy"}


def test_compile_arguments_override_the_defaults():
    model = BaselineSTEP(**TINY)
    model.compile(optimizer="sgd", loss="mse", metrics=[])
    assert isinstance(model.optimizer, keras.optimizers.SGD)
    assert model.loss == "mse"


def test_the_svm_compiles_with_its_own_recipe_and_hinge_loss():
    model = AffectiveSVM()
    model.compile()
    recipe = resolve("affective_svm")
    assert float(model.optimizer.learning_rate) == pytest.approx(recipe.learning_rate)
    assert model.optimizer.l2 == pytest.approx(recipe.weight_decay)  # coupled L2: AdamL2
    assert model.loss is sparse_multiclass_hinge


@pytest.mark.parametrize("build", [STEP, lambda: LSTMClassifier(units=4, num_layers=1), AffectiveSVM], ids=["step", "lstm", "svm"])
def test_fit_refuses_unadapted_affective_scaling(build):
    model = build()
    model.compile()
    gaits, labels = _gaits(num_gaits=8), np.arange(8) % 4
    assert not model.feature_scaling_adapted
    with pytest.raises(ValueError, match=r"call model\.adapt_feature_scaling\(training_joints\)"):
        model.fit(gaits, labels, epochs=1, verbose=0)
    model.adapt_feature_scaling(gaits)
    assert model.feature_scaling_adapted
    history = model.fit(gaits, labels, epochs=1, batch_size=8, verbose=0).history
    assert np.isfinite(history["loss"][0])


def test_models_without_affective_features_fit_without_adapting():
    model = BaselineSTEP(**TINY)
    model.compile()
    assert model.feature_scaling_adapted
    model.fit(_gaits(num_gaits=4), np.arange(4), epochs=1, verbose=0)


def test_a_loaded_model_counts_as_adapted(tmp_path):
    model = STEP(**TINY)
    model.adapt_feature_scaling(_gaits(num_gaits=6))
    model.compile()
    keras.saving.save_model(model, tmp_path / "model.keras")
    loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert loaded.feature_scaling_adapted
    loaded.fit(_gaits(num_gaits=4), np.arange(4), epochs=1, verbose=0)
    # From a config and weights, as a notebook may rebuild it, too.
    rebuilt = STEP.from_config(copy.deepcopy(model.get_config()))
    assert not rebuilt.feature_scaling_adapted
    rebuilt.set_weights(model.get_weights())
    assert rebuilt.feature_scaling_adapted


def test_the_shipped_model_saves_every_argument_and_loads_as_it_was_built():
    """Saved files never reach the constructor defaults, so changing them leaves shipped models as they were."""
    from step_tf import pretrained
    from step_tf.runs import load_keras_model

    run = pretrained.default_run()
    model = load_keras_model(run / "best.keras")
    config = model.get_config()
    arguments = set(_defaults(type(model))) - {"kwargs"}
    assert arguments <= set(config), f"the saved config lacks {sorted(arguments - set(config))}"
    # The file's own config.json is what it was trained with, also read by today's TrainConfig.
    saved = json.loads((run / "config.json").read_text())
    loaded = TrainConfig.load(run / "config.json")
    for field in dataclasses.fields(TrainConfig):
        if field.name in saved:
            value = saved[field.name]
            assert getattr(loaded, field.name) == (tuple(value) if isinstance(value, list) else value), field.name
    for name in CLASSIFIER_DEFAULTS:
        saved_value = config[name]
        assert (tuple(saved_value) if isinstance(saved_value, list) else saved_value) == getattr(loaded, FIELD_OF.get(name, name))
    rebuilt = type(model).from_config(copy.deepcopy(config))
    rebuilt.set_weights(model.get_weights())
    gaits = _gaits(num_gaits=5, num_frames=48, seed=3)
    np.testing.assert_array_equal(rebuilt.predict(gaits, verbose=0), model.predict(gaits, verbose=0))


def test_a_loaded_model_comes_back_compiled_as_it_was_saved(tmp_path):
    """compile() is overridden, so loading must still compile with the saved optimizer, loss and metrics (and state)."""
    model = BaselineSTEP(**TINY)
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="sparse_categorical_crossentropy", metrics=[])
    model.fit(_gaits(), np.arange(4), epochs=1, verbose=0)
    keras.saving.save_model(model, tmp_path / "model.keras")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # "compile() was not called as part of model loading"
        loaded = keras.saving.load_model(tmp_path / "model.keras")
    assert loaded.compiled and isinstance(loaded.optimizer, keras.optimizers.Adam)
    assert float(loaded.optimizer.learning_rate) == pytest.approx(0.01) and int(loaded.optimizer.iterations) == 1
    assert loaded.loss == "sparse_categorical_crossentropy"
    assert set(loaded.evaluate(_gaits(), np.arange(4), verbose=0, return_dict=True)) == {"loss"}  # none added on loading
