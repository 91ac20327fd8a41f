"""Pure ASGI middleware: the request body size limit and request metrics.

Pure ASGI rather than BaseHTTPMiddleware, so bodies are never buffered a second time and the
limit sees every chunk of a chunked upload as it arrives.
"""

from __future__ import annotations

import time

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from orderhub.api import metrics
from orderhub.api.errors import BodyTooLarge
from orderhub.core.quarantine import MAX_STORED_BYTES


class BodyLimit:
    """Refuses bodies over `max_bytes` with BodyTooLarge, raised to whoever reads the body.

    Raising to the reader (instead of answering here) lets the route authenticate first and
    quarantine what it was sent; a route that never reads its body never pays for it. A declared
    Content-Length over the limit is refused after reading only the part kept for quarantine.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limited = _LimitedReceive(receive, self.max_bytes, _content_length(scope))
        await self.app(scope, limited, send)


class _LimitedReceive:
    def __init__(self, receive: Receive, max_bytes: int, declared: int | None) -> None:
        self._receive = receive
        self._max = max_bytes
        self._declared_too_large = declared is not None and declared > max_bytes
        self._declared = declared or 0
        self._count = 0
        self._sample = bytearray()

    async def __call__(self) -> Message:
        message = await self._receive()
        if message["type"] != "http.request":
            return message
        chunk = message.get("body", b"")
        self._count += len(chunk)
        room = MAX_STORED_BYTES - len(self._sample)
        if room > 0:
            self._sample += chunk[:room]
        ended = not message.get("more_body", False)
        sampled = ended or len(self._sample) >= MAX_STORED_BYTES
        if self._count > self._max or (self._declared_too_large and sampled):
            raise BodyTooLarge(max_bytes=self._max, size=max(self._count, self._declared),
                               sample=bytes(self._sample))
        return message


def _content_length(scope: Scope) -> int | None:
    try:
        return int(Headers(scope=scope).get("content-length", ""))
    except ValueError:
        return None


class RequestMetrics:
    """Counts and times every request by route template (never the raw path: unbounded labels)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500  # what the server error handler answers if the app raises

        async def recording_send(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, recording_send)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            metrics.observe_request(scope["method"], route, status, time.perf_counter() - started)
