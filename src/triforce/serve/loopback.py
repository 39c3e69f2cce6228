"""A fast OpenAI-compatible upstream on one asyncio loop that misbehaves on cue.

The gateway's benchmarks need an upstream that is never the bottleneck (keep-alive, a deep listen
backlog, thousands of answers a second); its fault tests need one that fails in every way a model
server does. This is both: `POST /v1/chat/completions` (plain and SSE streaming, chunked),
`GET /v1/models`, and a behaviour per model (the request's `model` field):

    ok       answer `[<model>] <last user text>` (word chunks when streaming); `oracle-council`
             answers `SYNTHESIS of <the ### headings it was given>` (the MoE synthesizer)
    fail     HTTP 500                      reject   HTTP 400
    limit    HTTP 429                      badjson  HTTP 200 with a cut JSON body
    drop     close the connection without a byte of answer
    hang     never answer (until the caller hangs up)
    stall    stream two chunks, then nothing          cut   stream ends without [DONE]
    slow     answer after `slow_s`
    flaky    HTTP 503 on every other request (counted per model), the first included
    flood    never stop answering: a JSON body, or an event stream, that goes on until the caller
             hangs up (64 KiB chunks; `flooded[model]` counts the bytes sent)

Set one with `set_behaviour(model, how)` (tests) or `POST /_control {"model", "behaviour"}` (another
process); a fixed answer with `answers[model] = text` or `POST /_control {"model", "answer"}`. Not a production server: no TLS, no
chunked request bodies.

    python -m triforce.serve.loopback --port 9000 [--latency 0.0]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import threading
from collections import Counter, deque
from typing import Any

BEHAVIOURS = (
    "ok",
    "fail",
    "reject",
    "limit",
    "badjson",
    "drop",
    "hang",
    "stall",
    "cut",
    "slow",
    "flaky",
    "flood",
)
_REASONS = {
    200: "OK",
    400: "Bad Request",
    404: "Not Found",
    429: "Too Many Requests",
    500: "Server Error",
    503: "Unavailable",
}


class LoopbackUpstream:
    def __init__(
        self, host: str = "127.0.0.1", port: int = 0, *, latency_s: float = 0.0, slow_s: float = 3.0
    ) -> None:
        self.host, self.port = host, port
        self.latency_s, self.slow_s = latency_s, slow_s
        self.behaviour: dict[str, str] = {}
        self.answers: dict[str, str] = {}
        self.serves: list[str] = []  # what GET /v1/models lists
        self.requests: deque[dict[str, Any]] = deque(maxlen=2000)  # the last requests, newest last
        self.counts: Counter[str] = Counter()  # chat requests per model
        self.open_connections = 0
        self.hangups = 0  # requests whose caller went away before the answer was complete
        self.flooded: Counter[str] = Counter()  # bytes sent by `flood` answers, per model
        self.lock = threading.Lock()
        self._server: asyncio.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    # -- control --------------------------------------------------------------------------------

    @property
    def base(self) -> str:
        return f"http://{self.host}:{self.port}/v1"

    def set_behaviour(self, model: str, how: str) -> None:
        if how not in BEHAVIOURS:
            raise ValueError(f"unknown behaviour {how!r} (known: {', '.join(BEHAVIOURS)})")
        with self.lock:
            if how == "ok":
                self.behaviour.pop(model, None)
            else:
                self.behaviour[model] = how

    def reset(self) -> None:
        with self.lock:
            self.behaviour.clear()
            self.answers.clear()
            self.requests.clear()
            self.counts.clear()
            self.flooded.clear()
            self.hangups = 0

    def models_called(self) -> list[str]:
        with self.lock:
            return [str(r["body"].get("model")) for r in self.requests if r["path"].endswith("/completions")]

    # -- running --------------------------------------------------------------------------------

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._connection, self.host, self.port, backlog=4096, limit=1 << 20
        )
        self.port = self._server.sockets[0].getsockname()[1]

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._server.wait_closed(), 1.0)

    def start_in_thread(self) -> LoopbackUpstream:
        """Serve from a daemon thread with its own event loop (tests); returns self once listening."""
        ready = threading.Event()

        def run() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            loop.run_until_complete(self.start())
            ready.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, name="loopback-upstream", daemon=True)
        self._thread.start()
        ready.wait(10)
        return self

    def stop(self) -> None:
        loop = self._loop
        if loop is None:
            return
        asyncio.run_coroutine_threadsafe(self.close(), loop).result(5)
        loop.call_soon_threadsafe(loop.stop)
        if self._thread is not None:
            self._thread.join(5)
        self._loop = None

    # -- HTTP -----------------------------------------------------------------------------------

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with self.lock:
            self.open_connections += 1
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                lines = head.decode("latin-1").split("\r\n")
                method, path, _ = lines[0].split(" ", 2)
                headers = {}
                for line in lines[1:]:
                    key, sep, value = line.partition(":")
                    if sep:
                        headers[key.strip().lower()] = value.strip()
                length = int(headers.get("content-length") or 0)
                body = await reader.readexactly(length) if length else b""
                keep = await self._request(method, path, headers, body, reader, writer)
                if not keep or headers.get("connection", "").lower() == "close":
                    break
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
            pass
        finally:
            with self.lock:
                self.open_connections -= 1
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _request(
        self,
        method: str,
        path: str,
        headers: dict[str, str],
        raw: bytes,
        reader: asyncio.StreamReader,
        writer: asyncio.StreamWriter,
    ) -> bool:
        path = path.split("?", 1)[0].rstrip("/")
        if method == "GET" and path.endswith("/models"):
            data = [{"id": m, "object": "model"} for m in self.serves]
            return await self._json(writer, 200, {"object": "list", "data": data})
        if method == "POST" and path == "/_control":
            order = json.loads(raw)
            if "behaviour" in order:
                self.set_behaviour(str(order["model"]), str(order["behaviour"]))
            if "answer" in order:
                with self.lock:
                    self.answers[str(order["model"])] = str(order["answer"])
            return await self._json(writer, 200, {"ok": True})
        if method != "POST" or not path.endswith("/chat/completions"):
            return await self._json(writer, 404, {"error": {"message": "not found"}})
        body = json.loads(raw)
        model = str(body.get("model"))
        with self.lock:
            self.requests.append({"path": path, "body": body, "headers": headers})
            self.counts[model] += 1
            count = self.counts[model]
            how = self.behaviour.get(model, "ok")
            fixed = self.answers.get(model)
        if self.latency_s:
            await asyncio.sleep(self.latency_s)
        if how == "flaky" and count % 2:
            return await self._json(writer, 503, {"error": {"message": "busy, try again"}})
        if how == "fail":
            return await self._json(writer, 500, {"error": {"message": "CUDA out of memory"}})
        if how == "reject":
            return await self._json(writer, 400, {"error": {"message": "max_tokens too large"}})
        if how == "limit":
            return await self._json(writer, 429, {"error": {"message": "slow down"}})
        if how == "badjson":
            return await self._send(
                writer, 200, b'{"choices": [{"message": {"content": "tru', "application/json"
            )
        if how == "drop":
            return False
        if how == "hang":
            await self._wait_hangup(reader)
            return False
        if how == "flood":
            await self._flood(writer, model, bool(body.get("stream")))
            return False
        if how == "slow":
            await asyncio.sleep(self.slow_s)
        text = fixed if fixed is not None else _answer(model, body.get("messages") or [])
        if not body.get("stream"):
            return await self._json(writer, 200, _completion(model, text))
        return await self._stream(writer, reader, model, text, how)

    async def _flood(self, writer: asyncio.StreamWriter, model: str, stream: bool) -> None:
        """An answer without end, in 64 KiB chunks, until the caller hangs up."""
        kind = b"text/event-stream" if stream else b"application/json"
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: " + kind + b"\r\nTransfer-Encoding: chunked\r\n\r\n")
        if stream:
            event = {"id": "cmpl-flood", "object": "chat.completion.chunk", "created": 1, "model": model}
            word = {"index": 0, "delta": {"content": " more" * 12_000}, "finish_reason": None}
            piece = b"data: " + json.dumps(event | {"choices": [word]}).encode() + b"\n\n"
        else:
            _chunk(writer, b'{"choices": [{"message": {"role": "assistant", "content": "')
            piece = b"more " * 13_000
        try:
            while True:
                _chunk(writer, piece)
                await writer.drain()
                with self.lock:
                    self.flooded[model] += len(piece)
        except ConnectionError:
            with self.lock:
                self.hangups += 1

    async def _wait_hangup(self, reader: asyncio.StreamReader) -> None:
        with contextlib.suppress(ConnectionError):
            await reader.read()  # returns at EOF: the caller hung up
        with self.lock:
            self.hangups += 1

    async def _send(self, writer: asyncio.StreamWriter, status: int, body: bytes, content_type: str) -> bool:
        head = (
            f"HTTP/1.1 {status} {_REASONS.get(status, 'Status')}\r\nContent-Type: {content_type}\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        )
        writer.write(head.encode() + body)
        await writer.drain()
        return True

    async def _json(self, writer: asyncio.StreamWriter, status: int, payload: Any) -> bool:
        return await self._send(writer, status, json.dumps(payload).encode(), "application/json")

    async def _stream(
        self, writer: asyncio.StreamWriter, reader: asyncio.StreamReader, model: str, text: str, how: str
    ) -> bool:
        writer.write(
            b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n"
        )
        words = text.split(" ")
        for i, word in enumerate(words):
            if how == "stall" and i == 2:
                await writer.drain()
                await self._wait_hangup(reader)
                return False
            delta = {"content": word if i == 0 else " " + word}
            event = {
                "id": "cmpl-loopback",
                "object": "chat.completion.chunk",
                "created": 1,
                "model": model,
                "choices": [{"index": 0, "delta": delta, "finish_reason": None}],
            }
            _chunk(writer, b"data: " + json.dumps(event).encode() + b"\n\n")
        if how != "cut":
            _chunk(writer, b"data: [DONE]\n\n")
        writer.write(b"0\r\n\r\n")
        await writer.drain()
        return True


def _chunk(writer: asyncio.StreamWriter, data: bytes) -> None:
    writer.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")


def _answer(model: str, messages: list[dict[str, Any]]) -> str:
    last = next((str(m.get("content")) for m in reversed(messages) if m.get("role") == "user"), "")
    if model == "oracle-council":
        return "SYNTHESIS of " + " | ".join(re.findall(r"^### (.+)$", last, re.MULTILINE))
    return f"[{model}] {last}"


def _completion(model: str, text: str) -> dict[str, Any]:
    return {
        "id": "cmpl-loopback",
        "object": "chat.completion",
        "created": 1,
        "model": model,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
        "usage": {
            "prompt_tokens": 3,
            "completion_tokens": len(text.split()),
            "total_tokens": 3 + len(text.split()),
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--latency", type=float, default=0.0, help="seconds added to every answer")
    args = parser.parse_args()

    async def run() -> None:
        upstream = LoopbackUpstream(args.host, args.port, latency_s=args.latency)
        await upstream.start()
        print(f"listening on {upstream.base}", flush=True)
        await asyncio.Event().wait()

    try:
        import uvloop

        runner: Any = uvloop.run
    except ImportError:
        runner = asyncio.run
    with contextlib.suppress(KeyboardInterrupt):
        runner(run())


if __name__ == "__main__":
    main()
