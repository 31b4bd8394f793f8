"""The REST server as a real process on loopback: both request formats, errors, hot version pick-up under load."""

import http.client
import json
import shutil
import time
import urllib.parse

import keras
import numpy as np
import pytest
import tensorflow as tf

from bench.load_client import run_load, server_process
from step_tf.serving.signatures import export_saved_model
from step_tf.serving.versions import publish

from .conftest import MODEL_NAME

MAX_REQUEST_BYTES = 1_000_000


@pytest.fixture(scope="module")
def server(exported, tmp_path_factory):
    """``(base URL, model base path)`` of a server over a copy of the exported model."""
    base = tmp_path_factory.mktemp("served") / MODEL_NAME
    shutil.copytree(exported[0], base)
    options = ["--num_versions", "2", "--file_system_poll_wait_seconds", "0.2", "--max_request_bytes", str(MAX_REQUEST_BYTES)]
    with server_process(base, *options) as (url, log):
        yield url, base
    assert not any("Traceback" in line for line in log), "\n".join(log)


def _call(url, method, path, body=None):
    """``(status, JSON answer)`` of one request."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        connection.request(method, path, body, {"Content-Type": "application/json"} if body is not None else {})
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def _post(url, path, request):
    return _call(url, "POST", path, json.dumps(request).encode())


def test_it_binds_loopback_and_reports_status_and_metadata(server):
    url, _ = server
    assert url.startswith("http://127.0.0.1:")
    status, answer = _call(url, "GET", f"/v1/models/{MODEL_NAME}")
    assert status == 200
    assert answer["model_version_status"][0] == {"version": "1", "state": "AVAILABLE", "status": {"error_code": "OK", "error_message": ""}}
    status, answer = _call(url, "GET", f"/v1/models/{MODEL_NAME}/metadata")
    assert status == 200 and answer["model_spec"] == {"name": MODEL_NAME, "signature_name": "", "version": "1"}
    signatures = answer["metadata"]["signature_def"]["signature_def"]
    assert set(signatures) == {"serving_default", "serve_any_frames"}
    joints = signatures["serving_default"]["inputs"]["joints"]
    assert joints["dtype"] == "DT_FLOAT" and [dim["size"] for dim in joints["tensor_shape"]["dim"]] == ["-1", "75", "16", "3"]
    assert signatures["serving_default"]["method_name"] == "tensorflow/serving/predict"


def test_predictions_in_both_formats_match_the_savedmodel(server, version_dir, test_split):
    url, _ = server
    joints = test_split.joints[:4]
    reference = tf.saved_model.load(str(version_dir)).signatures["serving_default"](joints=tf.constant(joints))
    status, rows = _post(url, f"/v1/models/{MODEL_NAME}:predict", {"instances": joints.tolist()})
    assert status == 200
    status, columns = _post(url, f"/v1/models/{MODEL_NAME}/versions/1:predict", {"inputs": {"joints": joints.tolist()}})
    assert status == 200
    np.testing.assert_allclose([row["probabilities"] for row in rows["predictions"]], reference["probabilities"], atol=1e-6)
    np.testing.assert_allclose(columns["outputs"]["probabilities"], reference["probabilities"], atol=1e-6)
    assert [row["class_ids"] for row in rows["predictions"]] == columns["outputs"]["class_ids"] == reference["class_ids"].numpy().tolist()
    assert columns["outputs"]["class_names"] == [name.decode() for name in reference["class_names"].numpy()]


GAIT = np.zeros((75, 16, 3)).tolist()
BAD_REQUESTS = [
    ("POST", f"/v1/models/{MODEL_NAME}:predict", b'{"instances": [', 400),
    ("POST", f"/v1/models/{MODEL_NAME}:predict", json.dumps({"instances": [np.zeros((75, 16)).tolist()]}).encode(), 400),
    ("POST", f"/v1/models/{MODEL_NAME}:predict", json.dumps({"instances": [[[["x"] * 3] * 16] * 75]}).encode(), 400),
    ("POST", f"/v1/models/{MODEL_NAME}:predict", json.dumps({"instances": [GAIT]}).replace("0.0", "NaN", 1).encode(), 400),
    ("POST", f"/v1/models/{MODEL_NAME}:predict", b'{"instances": []}', 400),
    ("POST", f"/v1/models/{MODEL_NAME}:predict", b" " * (MAX_REQUEST_BYTES + 500_000), 413),
    ("POST", "/v1/models/unknown:predict", json.dumps({"instances": [GAIT]}).encode(), 404),
    ("POST", f"/v1/models/{MODEL_NAME}/versions/99:predict", json.dumps({"instances": [GAIT]}).encode(), 404),
    ("GET", f"/v1/models/{MODEL_NAME}/versions/99", None, 404),
    ("GET", "/v1/nothing/here", None, 404),
]


def test_bad_requests_get_json_errors_and_the_server_keeps_serving(server):
    url, _ = server
    for method, path, body, expected in BAD_REQUESTS:
        status, answer = _call(url, method, path, body)
        assert status == expected and set(answer) == {"error"} and answer["error"], (path, body[:60] if body else None, status, answer)
    status, answer = _post(url, f"/v1/models/{MODEL_NAME}:predict", {"instances": [GAIT]})
    assert status == 200 and len(answer["predictions"]) == 1


def test_a_version_published_under_load_is_served_without_a_failed_request(server, run_dir, test_split):
    url, base = server
    model = keras.saving.load_model(run_dir / "best.keras")
    body = json.dumps({"instances": test_split.joints[:1].tolist()}).encode()

    def publish_and_wait():
        time.sleep(0.5)
        assert publish(base, lambda folder: export_saved_model(model, ("w", "x", "y", "z"), folder)) == 2
        deadline = time.monotonic() + 60
        while _call(url, "GET", f"/v1/models/{MODEL_NAME}")[1]["model_version_status"][0]["version"] != "2":
            assert time.monotonic() < deadline, "version 2 was not picked up"
            time.sleep(0.1)
        time.sleep(0.5)  # keep the load on the new version for a while

    result = run_load(f"{url}/v1/models/{MODEL_NAME}:predict", body, clients=8, seconds=3.0, during=publish_and_wait)
    print(f"\nload with a mid-load publication: {result}")
    assert result.errors == 0, result.first_errors
    assert result.requests > 8
    status, answer = _post(url, f"/v1/models/{MODEL_NAME}:predict", {"instances": test_split.joints[:1].tolist()})
    assert status == 200 and answer["predictions"][0]["class_names"] in ("w", "x", "y", "z")  # the newest version
    status, answer = _post(url, f"/v1/models/{MODEL_NAME}/versions/1:predict", {"instances": test_split.joints[:1].tolist()})
    assert status == 200 and answer["predictions"][0]["class_names"] in test_split.label_names  # still kept (2 versions)


def test_serve_cli_errors_are_one_line(tmp_path, capsys):
    from step_tf import serve

    assert serve.main(["--model_base_path", str(tmp_path / "missing")]) == 2
    assert serve.main(["--model_base_path", str(tmp_path), "--num_versions", "0"]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 2 and "model base path not found" in errors[0] and "num_versions must be at least 1" in errors[1]
