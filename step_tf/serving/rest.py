"""TensorFlow Serving's REST JSON formats: predict requests and responses, status, metadata, errors.

Predict request (``POST /v1/models/NAME[/versions/V]:predict``), a JSON object with
an optional ``"signature_name"`` (default ``serving_default``) and exactly one of:

* ``"instances"`` (row format): a non-empty list, one entry per gait; an entry
  is the input tensor itself when the signature has one input, or an object
  ``{"joints": ...}`` naming every input. Answer: ``{"predictions": [...]}``,
  one entry per gait: ``{"probabilities": [...], "class_ids": 2,
  "class_names": "happy"}`` (a bare value when the signature has one output).
* ``"inputs"`` (columnar format): the batched input tensor, or an object of
  them by input name. Answer: ``{"outputs": {"probabilities": [[...]], ...}}``
  (a bare value when the signature has one output).

Errors are ``{"error": "message"}`` with a 4xx status for the client's mistakes.
Model status and metadata follow ``GetModelStatus`` and ``GetModelMetadata``.
"""

from __future__ import annotations

import json

import numpy as np

from step_tf.serving.servable import RequestError, Servable
from step_tf.serving.signatures import DEFAULT_SIGNATURE


def _to_array(value, dtype: np.dtype, where: str) -> np.ndarray:
    """A JSON value as an array of ``dtype``; numbers only (no booleans, strings or nulls)."""
    try:
        array = np.asarray(value)
    except ValueError:
        raise RequestError(f"{where}: the nested lists are ragged; every gait must be a full [frames, joints, 3] block") from None
    except (OverflowError, RecursionError):
        raise RequestError(f"{where}: the lists are nested too deeply or hold numbers too large for a tensor") from None
    if array.dtype.kind not in "iuf":
        found = {"b": "booleans", "U": "strings", "O": "nulls, objects or ragged lists"}.get(array.dtype.kind, str(array.dtype))
        raise RequestError(f"{where}: expected numbers for a {np.dtype(dtype).name} tensor, got {found}")
    with np.errstate(over="ignore"):  # too large for float32 becomes inf, which the finiteness check reports
        return array.astype(dtype)


def parse_predict_request(body: bytes, servable: Servable) -> tuple[str, dict[str, np.ndarray], bool]:
    """``(signature name, {input name: array}, row format?)`` of a predict request body."""
    try:
        request = json.loads(body)
    except (ValueError, RecursionError) as error:
        # ValueError: malformed JSON, bad UTF-8, or an integer beyond Python's digit limit; RecursionError: nesting too deep.
        reason = "it is nested too deeply" if isinstance(error, RecursionError) else str(error)[:200]
        raise RequestError(f"the request body is not valid JSON: {reason}") from None
    if not isinstance(request, dict):
        raise RequestError("the request body must be a JSON object with 'instances' or 'inputs'")
    signature_name = request.get("signature_name", DEFAULT_SIGNATURE)
    if not isinstance(signature_name, str):
        raise RequestError("'signature_name' must be a string")
    unknown = sorted(set(request) - {"signature_name", "instances", "inputs"})
    if unknown:
        raise RequestError(f"unknown request key(s): {', '.join(unknown)}; expected 'instances' or 'inputs'")
    if ("instances" in request) == ("inputs" in request):
        raise RequestError("the request must have exactly one of 'instances' (row format) or 'inputs' (columnar format)")
    servable.check_signature(signature_name)
    specs = servable.input_specs[signature_name]
    dtypes = {name: spec.dtype.as_numpy_dtype for name, spec in specs.items()}
    (only_input,) = specs if len(specs) == 1 else (None,)

    if "inputs" in request:
        columns = request["inputs"]
        if not isinstance(columns, dict):
            if only_input is None:
                raise RequestError(f"'inputs' must be an object naming the inputs {sorted(specs)}")
            columns = {only_input: columns}
        inputs = {name: _to_array(value, dtypes.get(name, np.float32), f"inputs[{name!r}]") for name, value in columns.items()}
        return signature_name, inputs, False

    instances = request["instances"]
    if not isinstance(instances, list):
        raise RequestError("'instances' must be a list, one entry per gait")
    if not instances:
        raise RequestError("'instances' is empty: send at least one gait")
    named = all(isinstance(instance, dict) for instance in instances)
    if not named and only_input is None:
        raise RequestError(f"each instance must be an object naming the inputs {sorted(specs)}")
    rows = {only_input: instances} if not named else {}
    if named:
        for index, instance in enumerate(instances):
            if set(instance) != set(specs):
                raise RequestError(f"instances[{index}] names {sorted(instance)}; expected {sorted(specs)}")
        rows = {name: [instance[name] for instance in instances] for name in specs}
    inputs = {name: _to_array(values, dtypes[name], f"instances ({name!r})") for name, values in rows.items()}
    return signature_name, inputs, True


def _json_values(array: np.ndarray):
    """An output array as JSON values (strings decoded from UTF-8)."""
    if array.dtype.kind in "SO":
        return np.vectorize(lambda item: item.decode("utf-8"), otypes=[object])(array).tolist()
    return array.tolist()


def predict_response(outputs: dict[str, np.ndarray], row_format: bool) -> dict:
    """The response body of a predict request (see the module docstring)."""
    values = {name: _json_values(array) for name, array in sorted(outputs.items())}
    if not row_format:
        return {"outputs": next(iter(values.values())) if len(values) == 1 else values}
    batch_size = len(next(iter(values.values())))
    if len(values) == 1:
        return {"predictions": next(iter(values.values()))}
    return {"predictions": [{name: column[index] for name, column in values.items()} for index in range(batch_size)]}


def model_status(versions: list[int]) -> dict:
    """``GetModelStatus``: every listed version ``AVAILABLE``, newest first as TensorFlow Serving lists them."""
    return {
        "model_version_status": [
            {"version": str(version), "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}
            for version in sorted(versions, reverse=True)
        ]
    }


def model_metadata(name: str, servable: Servable) -> dict:
    """``GetModelMetadata`` with the signature definitions."""
    return {
        "model_spec": {"name": name, "signature_name": "", "version": str(servable.version)},
        "metadata": {"signature_def": {"signature_def": servable.signature_defs}},
    }


def error(message: str) -> dict:
    return {"error": message}
