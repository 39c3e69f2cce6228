"""One HTTP answer written through ASGI `send`: a JSON body, or a server-sent-event stream."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from typing import Any

import orjson

Send = Callable[[dict[str, Any]], Awaitable[None]]


def dumps(payload: Any) -> bytes:
    return orjson.dumps(payload, option=orjson.OPT_NON_STR_KEYS)


class Reply:
    def __init__(self, send: Send, request_id: str, started: float | None = None) -> None:
        self._send = send
        self.request_id = request_id
        self.started_at = started if started is not None else time.perf_counter()
        self.started = False  # the status line went out: no other status can follow
        self.status = 0
        self.bytes = 0
        self.streaming = False

    def elapsed(self) -> float:
        return time.perf_counter() - self.started_at

    def _headers(self, content_type: bytes, headers: dict[str, str] | None) -> list[tuple[bytes, bytes]]:
        out = [(b"content-type", content_type), (b"x-request-id", self.request_id.encode())]
        for key, value in (headers or {}).items():
            if key.lower() != "x-request-id":
                out.append((key.lower().encode("latin-1"), value.encode("latin-1", "replace")))
        return out

    async def json(self, status: int, payload: Any, headers: dict[str, str] | None = None) -> None:
        await self.body(status, dumps(payload), b"application/json", headers)

    async def body(
        self, status: int, body: bytes, content_type: bytes, headers: dict[str, str] | None = None
    ) -> None:
        hdrs = self._headers(content_type, headers)
        hdrs.append((b"content-length", str(len(body)).encode()))
        self.started, self.status = True, status
        await self._send({"type": "http.response.start", "status": status, "headers": hdrs})
        await self._send({"type": "http.response.body", "body": body})
        self.bytes += len(body)

    async def start_stream(self, headers: dict[str, str] | None = None) -> None:
        hdrs = self._headers(b"text/event-stream", headers)
        hdrs += [(b"cache-control", b"no-cache"), (b"x-accel-buffering", b"no")]
        self.started, self.status, self.streaming = True, 200, True
        await self._send({"type": "http.response.start", "status": 200, "headers": hdrs})

    async def event(self, payload: dict[str, Any]) -> None:
        await self.raw(b"data: " + dumps(payload) + b"\n\n")

    async def raw(self, data: bytes) -> None:
        self.bytes += len(data)
        await self._send({"type": "http.response.body", "body": data, "more_body": True})

    async def done(self) -> None:
        await self.raw(b"data: [DONE]\n\n")
        await self._send({"type": "http.response.body", "body": b"", "more_body": False})
