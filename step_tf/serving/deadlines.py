"""Connection deadlines for the REST server: no client holds a connection (and a slot at shutdown) forever.

aiohttp closes an idle keep-alive connection only after an hour, and never a
connection that sends half a request head and stalls. ``DeadlineProtocol``
wraps aiohttp's per-connection protocol: a connection must deliver each
request's head within ``seconds`` of opening or of its previous answer, else it
is closed. While a request is handled (``busy``/``idle``, called by the
server's middleware) the clock stops; the body has its own deadline, the
``asyncio.wait_for`` around its read.
"""

from __future__ import annotations

import asyncio


class DeadlineProtocol(asyncio.Protocol):
    """aiohttp's ``RequestHandler`` ``inner`` with a deadline for every request head; listed in ``registry`` by transport."""

    def __init__(self, inner: asyncio.Protocol, seconds: float, registry: dict):
        self.inner = inner
        self.seconds = seconds
        self.registry = registry
        self._transport = None
        self._timer = None
        self._in_flight = 0

    def _arm(self) -> None:
        self._disarm()
        self._timer = asyncio.get_running_loop().call_later(self.seconds, self._expire)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        if self._transport is not None and self._in_flight == 0:
            self._transport.abort()  # no answer is owed: the client has not finished asking

    def busy(self) -> None:
        """A request's head has arrived: its handling is not timed here."""
        self._in_flight += 1
        self._disarm()

    def idle(self) -> None:
        """A request was answered: the next head is due within ``seconds``."""
        self._in_flight -= 1
        if self._in_flight == 0:
            self._arm()

    def connection_made(self, transport) -> None:
        self._transport = transport
        self.registry[transport] = self
        self.inner.connection_made(transport)
        self._arm()

    def connection_lost(self, exc) -> None:
        self._disarm()
        self.registry.pop(self._transport, None)
        self.inner.connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self.inner.data_received(data)

    def eof_received(self):
        return self.inner.eof_received()

    def pause_writing(self) -> None:
        self.inner.pause_writing()

    def resume_writing(self) -> None:
        self.inner.resume_writing()
