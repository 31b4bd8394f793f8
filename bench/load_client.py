"""A load-test client of a predict endpoint (bench, tests): concurrent keep-alive clients, throughput and latency.

``server_process`` runs ``python -m step_tf.serve`` as a real process on a free
loopback port, for tests and ``bench/serving_load.py``.

Each client thread holds one HTTP/1.1 connection and sends the same request
back to back until the time is up; a request counts as failed on any status
but 200, a malformed answer or a connection error. Latency is the wall time
from sending to having read the whole answer.
"""

from __future__ import annotations

import contextlib
import dataclasses
import http.client
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.parse

import numpy as np


@dataclasses.dataclass
class LoadResult:
    clients: int
    seconds: float
    requests: int
    errors: int
    throughput: float  # answered requests per second
    latency_p50_ms: float
    latency_p99_ms: float
    first_errors: list[str]


def run_load(url: str, body: bytes, clients: int = 8, seconds: float = 20.0, during=None) -> LoadResult:
    """POSTs ``body`` to ``url`` from ``clients`` threads for ``seconds``.

    ``during()``, if given, runs in the calling thread while the load goes on
    (e.g. publishing a new version); the load stops at ``seconds`` or when
    ``during`` returns, whichever is later.
    """
    parts = urllib.parse.urlsplit(url)
    deadline = time.perf_counter() + seconds
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors: list[list[str]] = [[] for _ in range(clients)]
    stop = threading.Event()

    def client(index: int) -> None:
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
        while not stop.is_set() and time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                connection.request("POST", parts.path, body, {"Content-Type": "application/json"})
                response = connection.getresponse()
                answer = response.read()
                if response.status != 200 or not {"predictions", "outputs"} & set(json.loads(answer)):
                    errors[index].append(f"HTTP {response.status}: {answer[:200]!r}")
                    continue
            except (OSError, http.client.HTTPException, ValueError) as error:
                errors[index].append(f"{type(error).__name__}: {error}")
                connection.close()
                connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
                continue
            latencies[index].append(time.perf_counter() - started)
        connection.close()

    threads = [threading.Thread(target=client, args=(index,), daemon=True) for index in range(clients)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    if during is not None:
        during()
    while time.perf_counter() < deadline:
        time.sleep(0.05)
    stop.set()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - started
    all_latencies = np.concatenate([np.asarray(values) for values in latencies]) * 1000.0
    all_errors = [message for messages in errors for message in messages]
    return LoadResult(
        clients=clients,
        seconds=round(elapsed, 2),
        requests=int(all_latencies.size),
        errors=len(all_errors),
        throughput=round(all_latencies.size / elapsed, 1),
        latency_p50_ms=round(float(np.percentile(all_latencies, 50)), 2) if all_latencies.size else float("nan"),
        latency_p99_ms=round(float(np.percentile(all_latencies, 99)), 2) if all_latencies.size else float("nan"),
        first_errors=all_errors[:5],
    )


@contextlib.contextmanager
def server_process(model_base_path, *options: str, start_timeout: float = 180.0):
    """Runs the server on a free port of 127.0.0.1; yields ``(base URL, log lines so far)``; stops it with SIGTERM.

    ``options`` are more ``python -m step_tf.serve`` arguments.
    """
    command = [sys.executable, "-m", "step_tf.serve", "--model_base_path", str(model_base_path), "--rest_api_port", "0", *options]
    process = subprocess.Popen(
        command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    log: list[str] = []
    ready = threading.Event()
    address: list[str] = []

    def read_log() -> None:  # drains the pipe for the server's whole life, so it never blocks on a full pipe
        for line in process.stderr:
            log.append(line.rstrip("\n"))
            found = re.search(r"serving model \S+ from .* at (http://[^/]+)/", line)
            if found and not ready.is_set():
                address.append(found.group(1))
                ready.set()
        ready.set()

    reader = threading.Thread(target=read_log, daemon=True)
    reader.start()
    try:
        if not ready.wait(start_timeout) or not address:
            raise RuntimeError(f"the server did not start: {' | '.join(log[-10:])}")
        yield address[0], log
    finally:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        reader.join(timeout=5)
