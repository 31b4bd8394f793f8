"""A REST server with TensorFlow Serving's API for the versions under one model base path.

Endpoints (``NAME`` is the model name, ``V`` a version number):

* ``GET /v1/models/NAME`` and ``GET /v1/models/NAME/versions/V``: version status;
* ``GET /v1/models/NAME/metadata`` (and ``/versions/V/metadata``): signatures;
* ``POST /v1/models/NAME:predict`` (the newest version) and
  ``POST /v1/models/NAME/versions/V:predict``: see ``step_tf.serving.rest``.

Versions. Every ``poll_seconds`` the base path is listed; the newest
``num_versions`` versions *that load* are served (TensorFlow Serving's
``latest`` policy; its default keeps one). A new version is loaded and warmed up
beside the old ones, then the table of versions is swapped in one assignment: a
request holds the version it started with, so requests in flight finish on the
old version while new ones go to the new. A version that fails to load (copied
in by hand and half-written, or a model whose outputs are not finite) is logged
with the reason and passed over, so the older versions keep serving; it is
tried again when its files change (the copy completed).

Built on aiohttp: request bodies over ``max_request_bytes`` are refused with
413 before they are parsed, and every answer, errors of every kind included
(routing, 413, a 500 from a bug), is JSON: TensorFlow Serving's
``{"error": "..."}``. Parsing and inference run in a thread pool (TensorFlow
releases the GIL), so the event loop keeps accepting requests. A connection
must send each request head within ``request_seconds`` of opening or of its
previous answer and its body within ``request_seconds`` (else it is closed, or
answered 408); on SIGTERM the server stops listening and gives requests in
flight ``SHUTDOWN_SECONDS`` to finish.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import json
import math
import os
import pathlib
import signal
import sys
import time

from aiohttp import web

from step_tf.serving import rest
from step_tf.serving.deadlines import DeadlineProtocol
from step_tf.serving.servable import RequestError, Servable
from step_tf.serving.signatures import DEFAULT_SIGNATURE
from step_tf.serving.versions import list_versions

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8501  # TensorFlow Serving's REST port
DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024  # about 200 gaits of 75 frames as JSON
DEFAULT_REQUEST_SECONDS = 30.0
SHUTDOWN_SECONDS = 5.0
MAX_VERSION_DIGITS = 18  # any int64 version; longer segments are refused before int() sees them
NAME = r"[^/:]+"
EXECUTOR = web.AppKey("executor", concurrent.futures.ThreadPoolExecutor)
DEADLINES = web.AppKey("deadlines", dict)
REQUEST_SECONDS = web.AppKey("request_seconds", float)
# NaN and infinities are not JSON: an answer holding one is a server error, never a bare NaN.
_json_response = functools.partial(web.json_response, dumps=functools.partial(json.dumps, allow_nan=False))


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


class VersionTable:
    """The loaded versions of one model; the table is replaced whole, never changed in place."""

    def __init__(self, name: str, base_path: str | os.PathLike, num_versions: int = 1):
        if num_versions < 1:
            raise ValueError(f"num_versions must be at least 1, got {num_versions}")
        self.name = name
        self.base_path = pathlib.Path(base_path)
        self.num_versions = num_versions
        self.servables: dict[int, Servable] = {}
        self._failed: dict[int, tuple | None] = {}  # version -> its files when it failed to load

    def refresh(self) -> None:
        """Serves the newest ``num_versions`` versions that load (blocking; run it off the event loop).

        A version that failed to load is passed over, and tried again once its
        files differ from when it failed.
        """
        current = self.servables
        table, new = {}, []
        for version in reversed(list_versions(self.base_path)):
            if len(table) == self.num_versions:
                break
            if version in current:
                table[version] = current[version]
                continue
            folder = self.base_path / str(version)
            files = _file_state(folder)
            if version in self._failed and self._failed[version] == files:
                continue
            started = time.perf_counter()
            try:
                servable = Servable.load(folder, version)
                loaded = time.perf_counter()
                servable.warm_up([DEFAULT_SIGNATURE])  # what most requests use; the others are warmed once it serves
            except Exception as error:  # a broken version must not take the server (or the older versions) down
                self._failed[version] = files
                reason = next(iter(str(error).strip().splitlines()), "")
                _log(f"version {version} of {self.name} failed to load and is skipped until its files change: "
                     f"{type(error).__name__}: {reason}")
                continue
            self._failed.pop(version, None)
            table[version] = servable
            new.append(servable)
            _log(f"loaded version {version} of {self.name} from {folder} "
                 f"({loaded - started:.2f} s to load, {time.perf_counter() - loaded:.2f} s to warm up)")
        if table.keys() != current.keys():
            self.servables = table  # one assignment: requests see the old table or the new one
            _log(f"serving {self.name} versions {sorted(table)}")
        for servable in new:
            try:
                servable.warm_up()
            except Exception as error:  # the version answers its default signature; a request to another gets the error
                _log(f"version {servable.version} of {self.name}: warming up its other signatures failed: {type(error).__name__}: {error}")

    def get(self, name: str, version: int | None = None) -> Servable:
        """The servable a request asks for; ``RequestError(404)`` when there is none."""
        servables = self.servables
        if name != self.name:
            raise RequestError(f"Servable not found for request: Latest({name})", status=404)
        if version is None:
            if not servables:
                raise RequestError(f"Servable not found for request: Latest({name}); no version is loaded yet", status=404)
            return servables[max(servables)]
        if version not in servables:
            raise RequestError(f"Servable not found for request: Specific({name}, {version})", status=404)
        return servables[version]


def _file_state(folder: pathlib.Path) -> tuple | None:
    """Every file under ``folder`` with its size and modification time: what changes while a copy goes on."""
    try:
        return tuple(sorted(
            (str(path.relative_to(folder)), stat.st_size, stat.st_mtime_ns)
            for path in folder.rglob("*") if path.is_file() for stat in (path.stat(),)
        ))
    except OSError:  # files moved while listed: the next poll looks again
        return None


def _version(request: web.Request) -> int | None:
    text = request.match_info.get("version")
    if text is None:
        return None
    if not text.isdecimal() or len(text) > MAX_VERSION_DIGITS:
        raise RequestError(f"version must be a whole number of at most {MAX_VERSION_DIGITS} digits, got {text[:40]!r}")
    return int(text)


def _error_response(message: str, status: int, close: bool = False) -> web.Response:
    response = _json_response(rest.error(message), status=status)
    if close:  # the rest of the request may still be on its way: the connection cannot be reused
        response.force_close()
    return response


@web.middleware
async def _json_errors(request: web.Request, handler):
    deadline = request.app[DEADLINES].get(request.transport)
    if deadline is not None:
        deadline.busy()
    try:
        return await handler(request)
    except RequestError as error:
        return _error_response(str(error), error.status, close=error.status in (408, 413))
    except web.HTTPException as error:  # routing (404, 405) and body size (413) errors, as JSON
        if error.status < 400:
            raise
        message = error.reason if error.text is None else error.text.removeprefix(f"{error.status}: ")
        return _error_response(message, error.status, close=error.status == 413)
    except Exception as error:  # a bug: still a JSON answer, and the reason in the log
        _log(f"internal error answering {request.method} {request.path[:200]}: {type(error).__name__}: {error}")
        return _error_response(f"internal error: {type(error).__name__}", 500)
    finally:
        if deadline is not None:
            deadline.idle()


def make_app(table: VersionTable, max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES, workers: int = 4,
             request_seconds: float = DEFAULT_REQUEST_SECONDS) -> web.Application:
    """The aiohttp application serving ``table``."""
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="predict")

    async def status(request: web.Request) -> web.Response:
        version = _version(request)
        if version is None:
            table.get(request.match_info["name"])  # 404 for an unknown model or no version yet
            return _json_response(rest.model_status(list(table.servables)))
        table.get(request.match_info["name"], version)
        return _json_response(rest.model_status([version]))

    async def metadata(request: web.Request) -> web.Response:
        servable = table.get(request.match_info["name"], _version(request))
        return _json_response(rest.model_metadata(table.name, servable))

    def _answer(servable: Servable, body: bytes) -> dict:
        signature_name, inputs, row_format = rest.parse_predict_request(body, servable)
        return rest.predict_response(servable.predict(signature_name, inputs), row_format)

    async def predict(request: web.Request) -> web.Response:
        servable = table.get(request.match_info["name"], _version(request))  # held until the answer is sent
        try:
            body = await asyncio.wait_for(request.read(), request.app[REQUEST_SECONDS])
        except asyncio.TimeoutError:
            raise RequestError(f"the request body did not arrive within {request.app[REQUEST_SECONDS]:g} s", status=408) from None
        answer = await asyncio.get_running_loop().run_in_executor(executor, _answer, servable, body)
        return _json_response(answer)

    app = web.Application(client_max_size=max_request_bytes, middlewares=[_json_errors])
    app[EXECUTOR] = executor
    app[DEADLINES] = {}
    app[REQUEST_SECONDS] = request_seconds
    app.router.add_get(f"/v1/models/{{name:{NAME}}}", status)
    app.router.add_get(f"/v1/models/{{name:{NAME}}}/versions/{{version}}", status)
    app.router.add_get(f"/v1/models/{{name:{NAME}}}/metadata", metadata)
    app.router.add_get(f"/v1/models/{{name:{NAME}}}/versions/{{version}}/metadata", metadata)
    app.router.add_post(f"/v1/models/{{name:{NAME}}}:predict", predict)
    app.router.add_post(f"/v1/models/{{name:{NAME}}}/versions/{{version:[^/:]+}}:predict", predict)

    async def stop_executor(app: web.Application) -> None:
        executor.shutdown(wait=False, cancel_futures=True)

    app.on_shutdown.append(stop_executor)
    return app


async def _serve(table: VersionTable, host: str, port: int, max_request_bytes: int, poll_seconds: float,
                 request_seconds: float, ready=None) -> None:
    loop = asyncio.get_running_loop()
    app = make_app(table, max_request_bytes, request_seconds=request_seconds)
    # Versions load on a thread of their own: in the request pool a load would queue behind busy clients.
    loader = concurrent.futures.ThreadPoolExecutor(max_workers=1, thread_name_prefix="versions")
    await loop.run_in_executor(loader, table.refresh)
    runner = web.AppRunner(app, access_log=None, shutdown_timeout=SHUTDOWN_SECONDS, keepalive_timeout=request_seconds)
    await runner.setup()
    # Not a TCPSite: each connection's protocol is wrapped to enforce the request-head deadline.
    listener = await loop.create_server(lambda: DeadlineProtocol(runner.server(), request_seconds, app[DEADLINES]), host, port)
    bound_host, bound_port = listener.sockets[0].getsockname()[:2]
    _log(f"serving model {table.name} from {table.base_path} at http://{bound_host}:{bound_port}/v1/models/{table.name}")
    if ready is not None:
        ready(bound_host, bound_port)
    stop = asyncio.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)

    async def poll():
        while True:
            await asyncio.sleep(poll_seconds)
            await loop.run_in_executor(loader, table.refresh)

    poller = asyncio.create_task(poll())
    try:
        await stop.wait()
    finally:
        poller.cancel()
        listener.close()
        await runner.cleanup()
        loader.shutdown(wait=False, cancel_futures=True)


def serve(
    model_base_path: str | os.PathLike,
    model_name: str | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    num_versions: int = 1,
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    poll_seconds: float = 1.0,
    request_seconds: float = DEFAULT_REQUEST_SECONDS,
    ready=None,
) -> None:
    """Serves the versions under ``model_base_path`` until SIGINT or SIGTERM.

    ``model_name`` defaults to the base path's folder name; ``port`` 0 picks a
    free port; ``ready(host, port)`` is called once the server listens;
    ``request_seconds`` bounds how long a client may take to send a request.
    """
    base_path = pathlib.Path(model_base_path)
    if not base_path.is_dir():
        raise FileNotFoundError(f"{base_path}: model base path not found (expected a folder of numbered versions)")
    if max_request_bytes < 1:
        raise ValueError(f"max_request_bytes must be positive, got {max_request_bytes}")
    for name, seconds in (("poll seconds", poll_seconds), ("request seconds", request_seconds)):
        if not 0 < seconds < math.inf:  # NaN too: asyncio.sleep(nan) returns at once, a busy loop
            raise ValueError(f"{name} must be a positive, finite number, got {seconds}")
    if not 0 <= port <= 65535:
        raise ValueError(f"port must be in 0 .. 65535 (0: any free port), got {port}")
    table = VersionTable(model_name or base_path.resolve().name, base_path, num_versions)
    asyncio.run(_serve(table, host, port, max_request_bytes, poll_seconds, request_seconds, ready))
