"""step_tf: STEP (emotion perception from gaits) in TensorFlow/Keras.

Subpackages: ``step_tf.data`` (gait arrays, readers, preprocessing, the embedded
synthetic set, tf.data), ``step_tf.layers`` (ST-GCN layers), ``step_tf.models``
(backbone, classifiers, STEP-Gen, the ``AdamL2`` optimizer); ``step_tf.graph``
holds the skeleton layouts, ``step_tf.features`` the 29 affective features and
``step_tf.runs`` the files of a run directory.

``import step_tf`` makes every custom Keras object of the package (layers,
models, ``AdamL2``, all registered as ``step_tf>NAME``) known to Keras, so that
``keras.saving.load_model("run/best.keras")`` works after just ``import step_tf``.
It does so lazily, without importing TensorFlow: Keras's registry of custom
objects imports ``step_tf.models`` the first time it is asked for a
``step_tf>`` name it does not know yet. ``register_keras_objects()`` registers
them at once.
"""

from __future__ import annotations

import importlib.abc
import importlib.util
import sys

__version__ = "0.1.0"

REGISTERED_PREFIX = "step_tf>"  # the package="step_tf" of every register_keras_serializable
_KERAS_REGISTRY = "keras.src.saving.object_registration"


def register_keras_objects() -> None:
    """Registers every custom Keras object of step_tf now (imports ``step_tf.models``, hence TensorFlow)."""
    import step_tf.models  # noqa: F401


class _LazyRegistry(dict):
    """Keras's ``GLOBAL_CUSTOM_OBJECTS``, which registers step_tf's objects the first time one is missed."""

    def _register_if_ours(self, name) -> bool:
        if isinstance(name, str) and name.startswith(REGISTERED_PREFIX) and "step_tf.models" not in sys.modules:
            register_keras_objects()
            return True
        return False

    def __contains__(self, name):
        return super().__contains__(name) or (self._register_if_ours(name) and super().__contains__(name))

    def __missing__(self, name):
        if self._register_if_ours(name) and super().__contains__(name):
            return super().__getitem__(name)
        raise KeyError(name)

    def get(self, name, default=None):
        return self[name] if name in self else default


def _make_registry_lazy(registry_module) -> None:
    current = getattr(registry_module, "GLOBAL_CUSTOM_OBJECTS", None)
    if isinstance(current, dict) and not isinstance(current, _LazyRegistry):
        lazy = _LazyRegistry(current)
        registry_module.GLOBAL_CUSTOM_OBJECTS = lazy
        if getattr(registry_module, "_GLOBAL_CUSTOM_OBJECTS", None) is current:  # the legacy alias
            registry_module._GLOBAL_CUSTOM_OBJECTS = lazy


class _KerasRegistryFinder(importlib.abc.MetaPathFinder):
    """Makes Keras's registry lazy (``_make_registry_lazy``) as soon as Keras has created it."""

    def find_spec(self, fullname, path, target=None):
        if fullname != _KERAS_REGISTRY:
            return None
        sys.meta_path.remove(self) if self in sys.meta_path else None
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None or not hasattr(spec.loader, "exec_module"):
            return spec
        execute = spec.loader.exec_module

        def exec_module(module):
            execute(module)
            _make_registry_lazy(module)

        spec.loader.exec_module = exec_module
        return spec


if _KERAS_REGISTRY in sys.modules:
    _make_registry_lazy(sys.modules[_KERAS_REGISTRY])
elif not any(isinstance(finder, _KerasRegistryFinder) for finder in sys.meta_path):
    sys.meta_path.insert(0, _KerasRegistryFinder())
