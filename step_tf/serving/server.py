"""A REST server with TensorFlow Serving's API for the versions under one model base path.

Endpoints (``NAME`` is the model name, ``V`` a version number):

* ``GET /v1/models/NAME`` and ``GET /v1/models/NAME/versions/V``: version status;
* ``GET /v1/models/NAME/metadata`` (and ``/versions/V/metadata``): signatures;
* ``POST /v1/models/NAME:predict`` (the newest version) and
  ``POST /v1/models/NAME/versions/V:predict``: see ``step_tf.serving.rest``.

Versions. Every ``poll_seconds`` the base path is listed; the newest
``num_versions`` versions are served (TensorFlow Serving's ``latest`` policy; its
default keeps one). A new version is loaded and warmed up beside the old ones,
then the table of versions is swapped in one assignment: a request holds the
version it started with, so requests in flight finish on the old version while
new ones go to the new. Versions are published atomically
(``step_tf.serving.versions``), so a half-written export is never seen.

Built on aiohttp: request bodies over ``max_request_bytes`` are refused with
413 before they are parsed, and every error, routing ones included, is
TensorFlow Serving's ``{"error": "..."}`` JSON. Parsing and inference run in a
thread pool (TensorFlow releases the GIL), so the event loop keeps accepting
requests.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import os
import pathlib
import signal
import sys

from aiohttp import web

from step_tf.serving import rest
from step_tf.serving.servable import RequestError, Servable
from step_tf.serving.versions import list_versions

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 8501  # TensorFlow Serving's REST port
DEFAULT_MAX_REQUEST_BYTES = 16 * 1024 * 1024  # about 200 gaits of 75 frames as JSON
NAME = r"[^/:]+"
EXECUTOR = web.AppKey("executor", concurrent.futures.ThreadPoolExecutor)


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
        self._failed: set[int] = set()

    def refresh(self) -> None:
        """Loads new versions and drops old ones to match the base path (blocking; run it off the event loop)."""
        wanted = [version for version in list_versions(self.base_path) if version not in self._failed][-self.num_versions :]
        current = self.servables
        table = {version: current[version] for version in wanted if version in current}
        for version in wanted:
            if version in table:
                continue
            try:
                servable = Servable.load(self.base_path / str(version), version)
                servable.warm_up()
            except Exception as error:  # a broken version must not take the server down
                _log(f"version {version} of {self.name} failed to load and is skipped: {error}")
                self._failed.add(version)
                continue
            table[version] = servable
            _log(f"loaded version {version} of {self.name} from {self.base_path / str(version)}")
        if table.keys() != current.keys():
            self.servables = table  # one assignment: requests see the old table or the new one
            _log(f"serving {self.name} versions {sorted(table)}")

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


def _version(request: web.Request) -> int | None:
    text = request.match_info.get("version")
    if text is None:
        return None
    if not text.isdecimal():
        raise RequestError(f"version must be a whole number, got {text!r}")
    return int(text)


def _error_response(message: str, status: int) -> web.Response:
    return web.json_response(rest.error(message), status=status)


@web.middleware
async def _json_errors(request: web.Request, handler):
    try:
        return await handler(request)
    except RequestError as error:
        return _error_response(str(error), error.status)
    except web.HTTPException as error:  # routing (404, 405) and body size (413) errors, as JSON
        if error.status < 400:
            raise
        return _error_response(error.reason if error.text is None else error.text.removeprefix(f"{error.status}: "), error.status)


def make_app(table: VersionTable, max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES, workers: int = 4) -> web.Application:
    """The aiohttp application serving ``table``."""
    executor = concurrent.futures.ThreadPoolExecutor(max_workers=workers, thread_name_prefix="predict")

    async def status(request: web.Request) -> web.Response:
        version = _version(request)
        if version is None:
            table.get(request.match_info["name"])  # 404 for an unknown model or no version yet
            return web.json_response(rest.model_status(list(table.servables)))
        table.get(request.match_info["name"], version)
        return web.json_response(rest.model_status([version]))

    async def metadata(request: web.Request) -> web.Response:
        servable = table.get(request.match_info["name"], _version(request))
        return web.json_response(rest.model_metadata(table.name, servable))

    def _answer(servable: Servable, body: bytes) -> dict:
        signature_name, inputs, row_format = rest.parse_predict_request(body, servable)
        return rest.predict_response(servable.predict(signature_name, inputs), row_format)

    async def predict(request: web.Request) -> web.Response:
        servable = table.get(request.match_info["name"], _version(request))  # held until the answer is sent
        body = await request.read()
        answer = await asyncio.get_running_loop().run_in_executor(executor, _answer, servable, body)
        return web.json_response(answer)

    app = web.Application(client_max_size=max_request_bytes, middlewares=[_json_errors])
    app[EXECUTOR] = executor
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


async def _serve(table: VersionTable, host: str, port: int, max_request_bytes: int, poll_seconds: float, ready=None) -> None:
    loop = asyncio.get_running_loop()
    app = make_app(table, max_request_bytes)
    await loop.run_in_executor(app[EXECUTOR], table.refresh)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    bound_host, bound_port = runner.addresses[0][:2]
    _log(f"serving model {table.name} from {table.base_path} at http://{bound_host}:{bound_port}/v1/models/{table.name}")
    if ready is not None:
        ready(bound_host, bound_port)
    stop = asyncio.Event()
    for signal_number in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signal_number, stop.set)

    async def poll():
        while True:
            await asyncio.sleep(poll_seconds)
            await loop.run_in_executor(app[EXECUTOR], table.refresh)

    poller = asyncio.create_task(poll())
    try:
        await stop.wait()
    finally:
        poller.cancel()
        await runner.cleanup()


def serve(
    model_base_path: str | os.PathLike,
    model_name: str | None = None,
    host: str = DEFAULT_HOST,
    port: int = DEFAULT_PORT,
    num_versions: int = 1,
    max_request_bytes: int = DEFAULT_MAX_REQUEST_BYTES,
    poll_seconds: float = 1.0,
    ready=None,
) -> None:
    """Serves the versions under ``model_base_path`` until SIGINT or SIGTERM.

    ``model_name`` defaults to the base path's folder name; ``port`` 0 picks a
    free port; ``ready(host, port)`` is called once the server listens.
    """
    base_path = pathlib.Path(model_base_path)
    if not base_path.is_dir():
        raise FileNotFoundError(f"{base_path}: model base path not found (expected a folder of numbered versions)")
    if max_request_bytes < 1 or poll_seconds <= 0:
        raise ValueError(f"max_request_bytes and poll_seconds must be positive, got {max_request_bytes} and {poll_seconds}")
    table = VersionTable(model_name or base_path.resolve().name, base_path, num_versions)
    asyncio.run(_serve(table, host, port, max_request_bytes, poll_seconds, ready))
