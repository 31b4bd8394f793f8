"""TFLite conversions of an exported SavedModel, and running them with the LiteRT interpreter.

Three conversions of the ``serving_default`` signature (joints
``(N, 75, V, 3)`` -> probabilities, class ids, class names):

* ``float32``: the weights and arithmetic as trained;
* ``float16``: weights stored as float16 (about half the size), computed in
  float32 on CPUs;
* ``int8``: dynamic-range quantisation, weights of large tensors stored as
  int8 with one scale per channel, activations quantised on the fly; no
  calibration data needed. Small tensors (under 1,024 elements) stay float32,
  so a small model shrinks less than four-fold.

Conversion goes through the SavedModel, whose signature has a fixed frame
count (converting concrete functions directly gave NaNs in this project).
"""

from __future__ import annotations

import os
import pathlib

import numpy as np
import tensorflow as tf
from ai_edge_litert.interpreter import Interpreter

from step_tf.serving.signatures import DEFAULT_SIGNATURE, INPUT_NAME

QUANTIZATIONS = ("float32", "float16", "int8")


def convert(saved_model_dir: str | os.PathLike, quantization: str = "float32") -> bytes:
    """The TFLite flatbuffer of the SavedModel's ``serving_default`` signature."""
    if quantization not in QUANTIZATIONS:
        raise ValueError(f"unknown TFLite quantization {quantization!r}; choose one of {', '.join(QUANTIZATIONS)}")
    converter = tf.lite.TFLiteConverter.from_saved_model(str(saved_model_dir), signature_keys=[DEFAULT_SIGNATURE])
    if quantization != "float32":
        converter.optimizations = [tf.lite.Optimize.DEFAULT]  # without a representative dataset: dynamic range
    if quantization == "float16":
        converter.target_spec.supported_types = [tf.float16]
    return converter.convert()


def tflite_name(quantization: str) -> str:
    return f"model_{quantization}.tflite"


class LiteRunner:
    """Runs a converted model with LiteRT: ``predict(joints (N, 75, V, 3)) -> {output name: array}``.

    One interpreter is not safe to call from several threads at once; give each thread its own runner.
    ``num_threads``: LiteRT CPU threads (default: every core; LiteRT's own default ran one thread,
    about 1.3x slower per gait on 2 cores).
    """

    def __init__(self, path: str | os.PathLike, num_threads: int | None = None):
        path = pathlib.Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"{path}: TFLite model not found")
        self.path = path
        threads = num_threads or os.cpu_count() or 1
        self._runner = Interpreter(model_path=str(path), num_threads=threads).get_signature_runner(DEFAULT_SIGNATURE)

    def predict(self, joints: np.ndarray) -> dict[str, np.ndarray]:
        return self._runner(**{INPUT_NAME: np.asarray(joints, dtype=np.float32)})
