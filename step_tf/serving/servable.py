"""One loaded model version: checks requests against its signatures and runs them.

The server and ``python -m step_tf.predict`` both go through ``Servable``, so a
request is checked the same way wherever it comes from: known signature, the
signature's input names, its dtype, its shape (rank and every fixed
dimension), at least one gait, finite values. A request the model cannot answer
raises ``RequestError`` with the HTTP status a REST server should give; so do
non-finite outputs (500), which a model with finite weights never gives, so a
broken model fails its warm-up instead of answering NaN.
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import re

import numpy as np
import tensorflow as tf
from google.protobuf import json_format
from tensorflow.core.protobuf import saved_model_pb2

from step_tf.data.gaits import NUM_FRAMES

class RequestError(ValueError):
    """A request the model cannot answer, with its HTTP status (400: the client's mistake)."""

    def __init__(self, message: str, status: int = 400):
        super().__init__(message)
        self.status = status


def _shape_text(shape) -> str:
    return "[" + ", ".join("-1" if size is None else str(size) for size in shape) + "]"


def signature_defs(saved_model_dir: str | os.PathLike) -> dict:
    """The SavedModel's signature definitions as TensorFlow Serving's metadata JSON writes them."""
    path = pathlib.Path(saved_model_dir) / "saved_model.pb"
    saved_model = saved_model_pb2.SavedModel()
    saved_model.ParseFromString(path.read_bytes())
    definitions = saved_model.meta_graphs[0].signature_def
    return {
        name: json_format.MessageToDict(definitions[name], preserving_proto_field_name=True)
        for name in sorted(definitions)
        if not name.startswith("__")  # internal functions such as __saved_model_init_op
    }


def _graph_error_text(message: str) -> str:
    """The message of a failed in-graph assertion, else the error's text without TensorFlow's node details."""
    assertion = re.search(r"assertion failed: \[(.*?)\]", message)
    if assertion:
        return assertion.group(1)
    lines = [line.strip() for line in message.splitlines() if line.strip() and not line.strip().startswith(("[[", "Graph execution error", "Detected at node", "<stack"))]
    return lines[0] if lines else "the model could not run on this input"


@dataclasses.dataclass(frozen=True)
class Servable:
    """A SavedModel version and its signatures' input specs ``{signature: {input: TensorSpec}}``."""

    version: int
    path: pathlib.Path
    model: object
    input_specs: dict
    signature_defs: dict

    @classmethod
    def load(cls, path: str | os.PathLike, version: int = 0) -> "Servable":
        path = pathlib.Path(path)
        if not (path / "saved_model.pb").is_file():
            raise FileNotFoundError(f"{path}: no SavedModel here (saved_model.pb not found)")
        model = tf.saved_model.load(str(path))
        input_specs = {name: dict(function.structured_input_signature[1]) for name, function in model.signatures.items()}
        return cls(version=version, path=path, model=model, input_specs=input_specs, signature_defs=signature_defs(path))

    def warm_up(self, signature_names=None) -> None:
        """Runs each signature (or those named) once on zeros (batch 1, 75 frames) so the first request is not slow."""
        for name, specs in self.input_specs.items():
            if signature_names is not None and name not in signature_names:
                continue
            zeros = {
                key: np.zeros([1] + [NUM_FRAMES if size is None else size for size in spec.shape[1:]], spec.dtype.as_numpy_dtype)
                for key, spec in specs.items()
            }
            self.predict(name, zeros)

    def check_signature(self, signature_name: str) -> None:
        if signature_name not in self.input_specs:
            raise RequestError(
                f'Serving signature name: "{signature_name}" not found in signature def; '
                f"known: {', '.join(sorted(self.input_specs))}"
            )

    def check(self, signature_name: str, inputs: dict[str, np.ndarray]) -> None:
        """Raises ``RequestError`` unless ``inputs`` fit the signature (see the module docstring)."""
        self.check_signature(signature_name)
        specs = self.input_specs[signature_name]
        if set(inputs) != set(specs):
            raise RequestError(f"signature {signature_name!r} takes the inputs {sorted(specs)}, got {sorted(inputs)}")
        for name, spec in specs.items():
            array = inputs[name]
            if array.dtype != spec.dtype.as_numpy_dtype:
                raise RequestError(f"input {name!r} must be {spec.dtype.name}, got {array.dtype}")
            expected = spec.shape.as_list()
            if array.ndim != len(expected) or any(size is not None and size != actual for size, actual in zip(expected, array.shape)):
                raise RequestError(f"input {name!r} must have shape {_shape_text(expected)}, got {list(array.shape)}")
            if array.shape[0] == 0:
                raise RequestError(f"input {name!r} holds no instances (batch of 0)")
            if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
                raise RequestError(f"input {name!r} has NaN or infinite values")

    def predict(self, signature_name: str, inputs: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        """Runs a signature on checked inputs; returns ``{output name: array}`` (strings as bytes)."""
        self.check(signature_name, inputs)
        try:
            outputs = self.model.signatures[signature_name](**{name: tf.constant(value) for name, value in inputs.items()})
        except tf.errors.InvalidArgumentError as error:
            # The graph's own checks (e.g. too few frames): the client's mistake.
            raise RequestError(_graph_error_text(error.message)) from None
        outputs = {name: value.numpy() for name, value in outputs.items()}
        for name, array in outputs.items():
            if np.issubdtype(array.dtype, np.floating) and not np.isfinite(array).all():
                # Finite inputs were checked: the model itself is broken (say, weights of a diverged run).
                raise RequestError(f"version {self.version} of the model gave NaN or infinite {name!r} (are its weights finite?)", status=500)
        return outputs
