"""Loading a ``.keras`` model file with one clear error naming it, whatever is wrong with the file.

Keras reports a truncated archive as "File not found", and a configuration that
names something unexpected (a function where a layer belongs) as a bare
``TypeError`` from deep inside deserialization.
"""

from __future__ import annotations

import os
import pathlib
import zipfile

import keras

import step_tf.models  # noqa: F401  registers the classes that load_model looks up


def load_keras_model(path: str | os.PathLike) -> keras.Model:
    """The model in ``path``; ``FileNotFoundError`` or ``ValueError`` naming the file otherwise."""
    path = pathlib.Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: Keras model file not found")
    if not zipfile.is_zipfile(path):
        raise ValueError(f"{path}: not a .keras archive, or one cut short (a .keras file is a zip archive)")
    try:
        return keras.saving.load_model(path)
    except (ValueError, TypeError, KeyError, AttributeError, OSError, zipfile.BadZipFile) as error:
        reason = next(iter(str(error).strip().splitlines()), "")[:300]
        raise ValueError(f"{path}: cannot load this Keras model ({type(error).__name__}: {reason})") from None
