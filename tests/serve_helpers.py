"""Shared pieces of the gateway tests: loopback upstreams, a gateway on a thread, small clients."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx

from triforce.serve.gateway import Gateway
from triforce.serve.loopback import LoopbackUpstream
from triforce.serve.server import ServerThread, create_app
from triforce.serve.settings import ServeOptions

ASM = "Write an asar hook: JSL to freespace, LDA $7EF360, CLC, ADC #$0010, STA $7EF360, RTL."
CROSS = "Design a quest where Link must find a hidden fairy fountain, then implement the trigger and reward logic in ASM."
VAGUE = "Any thoughts?"
BIG = ("triforce-sage", "oracle-council")  # served by the second upstream


def overrides(specialists: LoopbackUpstream, big: LoopbackUpstream) -> dict[str, str]:
    return {name: (big.base if name in BIG else specialists.base) for name in Gateway.from_files().entries}


def start(gateway: Gateway, **options: Any) -> ServerThread:
    opts = ServeOptions(**({"timeout_s": 1.0, "access_log": False} | options))
    return ServerThread(create_app(gateway, opts), options=opts).start()


@contextmanager
def serving(gateway: Gateway, **options: Any) -> Iterator[tuple[ServerThread, httpx.Client]]:
    """A gateway on a thread and a client for it, both closed at the end."""
    with start(gateway, **options) as srv, httpx.Client(base_url=srv.url, timeout=10) as client:
        yield srv, client


def chat(client: httpx.Client, model: str, text: str, **extra: Any) -> httpx.Response:
    return client.post(
        "/v1/chat/completions",
        json={"model": model, "messages": [{"role": "user", "content": text}], **extra},
    )


def sse(response: httpx.Response) -> tuple[list[dict[str, Any]], bool]:
    events, done = [], False
    for line in response.iter_lines():
        if line.startswith("data: "):
            if line == "data: [DONE]":
                done = True
            else:
                events.append(json.loads(line[6:]))
    return events, done


def dead_url() -> str:
    """A loopback port nothing listens on (bound, then closed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/v1"
