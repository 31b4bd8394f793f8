"""The server keeps serving: broken versions are passed over and retried, every answer is JSON, no client holds it forever."""

import http.client
import json
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.parse

import numpy as np
import pytest

from bench.load_client import server_process
from step_tf.serving.server import VersionTable

from .conftest import MODEL_NAME

REQUEST_SECONDS = 1.5
MAX_REQUEST_BYTES = 100_000
GAIT = np.zeros((75, 16, 3)).tolist()


def _half_written_copy(source, target):
    """``target``: a copy of the version ``source`` whose ``saved_model.pb`` stopped halfway, as a hand copy in progress."""
    shutil.copytree(source, target)
    pb = target / "saved_model.pb"
    pb.write_bytes(pb.read_bytes()[: pb.stat().st_size // 2])


def test_a_half_written_version_is_passed_over_and_retried_once_complete(version_dir, tmp_path, capsys):
    base = tmp_path / MODEL_NAME
    shutil.copytree(version_dir, base / "1")
    table = VersionTable(MODEL_NAME, base)
    table.refresh()
    _half_written_copy(version_dir, base / "2")
    table.refresh()
    assert list(table.servables) == [1]  # the good version keeps serving
    assert "version 2 of gaits failed to load and is skipped until its files change" in capsys.readouterr().err
    table.refresh()
    assert list(table.servables) == [1] and "failed" not in capsys.readouterr().err  # not reloaded while unchanged
    shutil.copyfile(version_dir / "saved_model.pb", base / "2" / "saved_model.pb")  # the copy completes
    table.refresh()
    assert list(table.servables) == [2]


def test_a_version_with_nan_weights_fails_its_warm_up_and_the_old_one_serves(run_dir, version_dir, tmp_path, capsys):
    import keras

    from step_tf.serving.signatures import export_saved_model

    model = keras.saving.load_model(run_dir / "best.keras")
    for weight in model.trainable_weights:
        weight.assign(np.full(weight.shape, np.nan, dtype=weight.dtype))
    base = tmp_path / MODEL_NAME
    shutil.copytree(version_dir, base / "1")
    export_saved_model(model, ("angry", "neutral", "happy", "sad"), base / "2")
    table = VersionTable(MODEL_NAME, base)
    table.refresh()
    assert list(table.servables) == [1]
    assert "gave NaN or infinite" in capsys.readouterr().err


@pytest.fixture(scope="module")
def server(exported, tmp_path_factory):
    base = tmp_path_factory.mktemp("reliable") / MODEL_NAME
    shutil.copytree(exported[0], base)
    options = ["--request_timeout_seconds", str(REQUEST_SECONDS), "--max_request_bytes", str(MAX_REQUEST_BYTES)]
    with server_process(base, *options) as (url, log):
        parts = urllib.parse.urlsplit(url)
        yield parts.hostname, parts.port, log


def _raw(server, data: bytes, wait: float = 10.0) -> bytes:
    """Everything the server sends back on a fresh connection after ``data``, until it closes (or ``wait`` s pass)."""
    host, port, _ = server
    with socket.create_connection((host, port), timeout=wait) as connection:
        connection.sendall(data)
        received = b""
        try:
            while chunk := connection.recv(65536):
                received += chunk
        except socket.timeout:
            received += b"<still open>"
    return received


def _post(server, path: str, body: bytes):
    host, port, _ = server
    connection = http.client.HTTPConnection(host, port, timeout=30)
    try:
        connection.request("POST", path, body, {"Content-Type": "application/json"})
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


@pytest.mark.parametrize("path, body", [
    (f"/v1/models/{MODEL_NAME}:predict", b"[" * 1000 + b"]" * 1000),  # 2 KB nested 1,000 deep
    (f"/v1/models/{MODEL_NAME}:predict", b'{"instances": [' + b"9" * 5000 + b"]}"),  # an integer of 5,000 digits
    (f"/v1/models/{MODEL_NAME}:predict", json.dumps({"instances": [[[[1e300, 1e300, 1e300]] * 16] * 75]}).encode()),
    (f"/v1/models/{MODEL_NAME}/versions/{'9' * 5000}:predict", json.dumps({"instances": [GAIT]}).encode()),
])
def test_hostile_requests_get_a_json_400(server, path, body):
    status, answer = _post(server, path, body)
    assert status == 400 and set(json.loads(answer)) == {"error"}, (status, answer[:200])


def test_a_chunked_oversized_body_gets_413_and_the_connection_is_closed(server):
    chunk = b"x" * 50_000
    head = f"POST /v1/models/{MODEL_NAME}:predict HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n".encode()
    body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(4)) + b"0\r\n\r\n"
    answer = _raw(server, head + body)
    assert answer.startswith(b"HTTP/1.1 413") and not answer.endswith(b"<still open>")
    assert json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]


@pytest.mark.parametrize("data", [
    b"",  # connects and sends nothing
    f"POST /v1/models/{MODEL_NAME}:predict HTTP/1.1\r\nHost: x\r\n".encode(),  # half a request head
])
def test_idle_and_half_sent_connections_are_closed(server, data):
    started = time.monotonic()
    answer = _raw(server, data, wait=REQUEST_SECONDS * 5)
    assert not answer.endswith(b"<still open>") and time.monotonic() - started < REQUEST_SECONDS * 3


def test_a_half_sent_body_gets_408(server):
    head = f"POST /v1/models/{MODEL_NAME}:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n".encode()
    answer = _raw(server, head + b'{"instances": ', wait=REQUEST_SECONDS * 5)
    assert answer.startswith(b"HTTP/1.1 408") and not answer.endswith(b"<still open>")
    assert "did not arrive" in json.loads(answer.split(b"\r\n\r\n", 1)[1])["error"]


def test_sigterm_stops_within_seconds_despite_a_slow_client(exported, tmp_path):
    import os
    import re

    from step_tf.serving.server import SHUTDOWN_SECONDS

    base = tmp_path / MODEL_NAME
    shutil.copytree(exported[0], base)
    process = subprocess.Popen(  # the default 30 s request deadline: only the shutdown bound can end it early
        [sys.executable, "-m", "step_tf.serve", "--model_base_path", str(base), "--rest_api_port", "0"],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    try:
        for line in process.stderr:
            found = re.search(r"at http://([^:/]+):(\d+)/", line)
            if found:
                break
        assert found, "the server did not start"
        with socket.create_connection((found.group(1), int(found.group(2)))) as slow:
            slow.sendall(f"POST /v1/models/{MODEL_NAME}:predict HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{{".encode())
            time.sleep(0.5)
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=SHUTDOWN_SECONDS + 10) == 0
            assert time.monotonic() - started < SHUTDOWN_SECONDS + 3
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


@pytest.mark.parametrize("arguments, message", [
    (["--file_system_poll_wait_seconds", "nan"], "poll seconds must be a positive, finite number, got nan"),
    (["--port", "70000"], "port must be in 0 .. 65535"),
    (["--request_timeout_seconds", "0"], "request seconds must be a positive, finite number"),
])
def test_serve_refuses_bad_numbers_in_one_line(tmp_path, capsys, arguments, message):
    from step_tf import serve

    assert serve.main(["--model_base_path", str(tmp_path), *arguments]) == 2
    errors = capsys.readouterr().err.strip().splitlines()
    assert len(errors) == 1 and message in errors[0]
