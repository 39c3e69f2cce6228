"""A small OpenAI-compatible chat-completions server that answers with a suite's reference answers.

It speaks the protocol the real servers (vLLM, llama.cpp, Ollama, LM Studio) speak, streaming
(SSE) included, with a fixed added latency and optional faults chosen by the request's `model`
field: `fail-N` (HTTP 503 for the first N requests of each prompt), `garbage-N` (malformed JSON
N times), `slow` (sleeps past any sane timeout), `bad-request` (HTTP 400). `answers` is a dict
(last user message -> answer) or a function of the whole conversation, so a test can play a
teacher (right answers, wrong ones, a repair after its problems are sent back). It lets tests exercise the real HTTP client, and
`benchmarks/eval_throughput.py` measure harness throughput against a known latency.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

# last user message -> answer, or conversation -> answer
Answers = dict[str, str] | Callable[[list[dict[str, str]]], str]


class _Handler(BaseHTTPRequestHandler):
    server: ReferenceServer

    def log_message(self, format: str, *args: Any) -> None:  # keep test output clean
        return None

    def _send_json(self, status: int, payload: Any, raw: bytes | None = None) -> None:
        body = raw if raw is not None else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self) -> None:
        if not self.path.rstrip("/").endswith("/chat/completions"):
            self._send_json(404, {"error": "not found"})
            return
        length = int(self.headers.get("Content-Length", "0"))
        request = json.loads(self.rfile.read(length) or b"{}")
        messages = request.get("messages") or []
        prompt = next((m["content"] for m in reversed(messages) if m.get("role") == "user"), "")
        model = str(request.get("model", ""))
        count = self.server.count(model, prompt)
        if model.startswith("fail-") and count <= int(model.split("-")[1]):
            self._send_json(503, {"error": "overloaded"})
            return
        if model.startswith("garbage-") and count <= int(model.split("-")[1]):
            self._send_json(200, None, raw=b'{"choices": [{"message": {"content": "tru')
            return
        if model == "bad-request":
            self._send_json(400, {"error": "unknown model"})
            return
        if model == "slow":
            time.sleep(self.server.slow_s)
        time.sleep(self.server.latency_s)
        answers = self.server.answers
        answer = answers(messages) if callable(answers) else answers.get(prompt, "I do not know.")
        try:
            self._answer(request, answer, model)
        except (BrokenPipeError, ConnectionResetError):
            return  # the client gave up (a timeout test): nothing left to say

    def _answer(self, request: dict[str, Any], answer: str, model: str) -> None:
        if request.get("stream"):
            self._stream(answer, model)
        else:
            self._send_json(
                200,
                {
                    "id": "cmpl",
                    "object": "chat.completion",
                    "model": model,
                    "choices": [
                        {
                            "index": 0,
                            "message": {"role": "assistant", "content": answer},
                            "finish_reason": "stop",
                        }
                    ],
                    "usage": {"completion_tokens": len(answer.split())},
                },
            )

    def _stream(self, answer: str, model: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.end_headers()
        pieces = [answer[i : i + 24] for i in range(0, len(answer), 24)] or [""]
        for piece in pieces:
            event = {
                "id": "cmpl",
                "object": "chat.completion.chunk",
                "model": model,
                "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}],
            }
            self.wfile.write(f"data: {json.dumps(event)}\n\n".encode())
            self.wfile.flush()
        self.wfile.write(b"data: [DONE]\n\n")
        self.wfile.flush()


class ReferenceServer(ThreadingHTTPServer):
    daemon_threads = True
    # The default backlog (5) drops the SYNs of a burst of new connections; each dropped one
    # costs the client a 1 s retransmit, which made concurrent runs slower than serial ones.
    request_queue_size = 128

    def __init__(self, answers: Answers, latency_s: float = 0.0, slow_s: float = 30.0, port: int = 0) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.answers = answers
        self.latency_s = latency_s
        self.slow_s = slow_s
        self._counts: Counter[tuple[str, str]] = Counter()
        self._lock = threading.Lock()

    @property
    def requests(self) -> int:
        """Chat requests received so far."""
        with self._lock:
            return sum(self._counts.values())

    def count(self, model: str, prompt: str) -> int:
        with self._lock:
            self._counts[(model, prompt)] += 1
            return self._counts[(model, prompt)]

    @property
    def url(self) -> str:
        host, port = self.server_address[:2]
        return f"http://{host!s}:{port}/v1"


@contextmanager
def serve_references(
    answers: Answers, latency_s: float = 0.0, slow_s: float = 30.0
) -> Iterator[ReferenceServer]:
    """Run a ReferenceServer on 127.0.0.1 (a free port) in a thread for the duration of the block."""
    server = ReferenceServer(answers, latency_s=latency_s, slow_s=slow_s)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
