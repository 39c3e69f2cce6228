"""How long a user waits for the error when the model backend or the Hugging Face Hub is missing.

    PYTHONPATH=src python benchmarks/failure_latency.py

Timed inside one process (process start and imports left out), against real sockets:

- eval, closed port: `run_suite` (pre-flight request) against asking every item as the runner
  did before (`ask_many` over the whole suite, each request retried with backoff);
- eval, a server that answers the pre-flight request but fails every chat request: early stop;
- base model by Hub id: `model_source` against a Hub that accepts connections and drops them
  (one probe, connections counted), and `AutoTokenizer.from_pretrained` as the trainer called it
  before (the Hub address is read at import, so on a machine without network it meets that).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import socket
import tempfile
import threading
import time
from pathlib import Path

from triforce.errors import ConfigError
from triforce.evaluate.reference_server import serve_references
from triforce.evaluate.runner import run_suite
from triforce.evaluate.suite import Suite, load_suites
from triforce.models import (
    BackendUnavailable,
    ItemRequest,
    OpenAIBackend,
    OpenAIConfig,
    ask_many,
    messages_for,
)
from triforce.train.hub import model_source


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _requests(suite: Suite) -> list[ItemRequest]:
    return [
        ItemRequest(item_id=i.id, sample=0, messages=messages_for(i.prompt, i.system)) for i in suite.items
    ]


def eval_closed_port(tmp: Path) -> tuple[float, float]:
    suite = load_suites(["lore"])
    url = f"http://127.0.0.1:{_closed_port()}/v1"
    start = time.perf_counter()
    with contextlib.suppress(BackendUnavailable):
        asyncio.run(run_suite(suite, OpenAIBackend(OpenAIConfig(base_url=url)), tmp / "a"))
    now = time.perf_counter() - start
    start = time.perf_counter()
    asyncio.run(
        ask_many(OpenAIBackend(OpenAIConfig(base_url=url)), _requests(suite), concurrency=8, close=True)
    )
    return now, time.perf_counter() - start


def eval_every_request_fails(tmp: Path) -> tuple[float, int, int]:
    suite = load_suites(["lore"])
    with serve_references({}) as server:
        # the CLI's defaults: 3 retries with backoff per request, 8 in flight
        backend = OpenAIBackend(OpenAIConfig(base_url=server.url, model="fail-100000"), concurrency=8)
        start = time.perf_counter()
        result = asyncio.run(run_suite(suite, backend, tmp / "b", concurrency=8))
        elapsed = time.perf_counter() - start
        return elapsed, server.requests, len(suite.items) - len(result.records)


class _DeadHub:
    def __init__(self) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.count = 0
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.count += 1
            conn.close()


def hub_unreachable(tmp: Path) -> tuple[float, int, float]:
    from transformers import AutoTokenizer

    hub = _DeadHub()
    os.environ["HF_ENDPOINT"] = f"http://127.0.0.1:{hub.sock.getsockname()[1]}"
    os.environ["HF_HUB_CACHE"] = str(tmp / "cache")
    os.environ.pop("HF_HUB_OFFLINE", None)
    start = time.perf_counter()
    with contextlib.suppress(ConfigError):
        model_source("org/not-cached")
    now, now_conns = time.perf_counter() - start, hub.count
    start = time.perf_counter()
    with contextlib.suppress(OSError):
        AutoTokenizer.from_pretrained("org/not-cached", cache_dir=str(tmp / "cache"))
    then = time.perf_counter() - start
    hub.sock.close()
    return now, now_conns, then


def main() -> None:
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        now, then = eval_closed_port(tmp)
        print(f"eval lore (141 items), closed port: error after {now:.2f} s; asking every item: {then:.1f} s")
        s, asked, unasked = eval_every_request_fails(tmp)
        print(
            f"eval lore, every request fails: stopped after {s:.1f} s, {asked} HTTP requests, {unasked} items not asked"
        )
        now, now_conns, then = hub_unreachable(tmp)
        print(
            f"Hub id, Hub dropping connections: model_source refuses after {now:.2f} s, {now_conns} connection(s); "
            f"from_pretrained as before (its Hub address is read at import: here, no network at all) "
            f"fails after {then:.1f} s of retries"
        )


if __name__ == "__main__":
    main()
