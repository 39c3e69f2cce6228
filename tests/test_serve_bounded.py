"""Every answer read over HTTP has a bound: an upstream that never stops answering (a JSON body or
an event stream without end, `flood` in the loopback upstream) is cut at `max_answer_bytes` with a
clear error, by `triforce.models`' OpenAI backend and by the gateway (plain and streamed), and
the gateway keeps serving. Without the bound these reads go on until memory runs out: the tests
would end in their own time limits instead."""

from __future__ import annotations

import asyncio
import os
import re
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest

from serve_helpers import chat, overrides, serving, sse
from triforce.models import ItemRequest, OpenAIBackend, OpenAIConfig
from triforce.models.bounded import AnswerTooLarge, capped_lines, read_capped
from triforce.serve.gateway import Gateway
from triforce.serve.loopback import LoopbackUpstream

LIMIT = 256 * 1024


@pytest.fixture(scope="module")
def upstreams() -> Iterator[tuple[LoopbackUpstream, LoopbackUpstream]]:
    pair = LoopbackUpstream().start_in_thread(), LoopbackUpstream().start_in_thread()
    yield pair
    for up in pair:
        up.stop()


@pytest.fixture()
def ups(upstreams: tuple[LoopbackUpstream, LoopbackUpstream]) -> tuple[LoopbackUpstream, LoopbackUpstream]:
    for up in upstreams:
        up.reset()
    return upstreams


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def test_the_bounded_readers() -> None:
    async def lines(*parts: bytes, limit: int = 100) -> list[str]:
        return [line async for line in capped_lines(_chunks(*parts), limit)]

    assert asyncio.run(read_capped(_chunks(b"ab", b"cd"), 4)) == b"abcd"
    with pytest.raises(AnswerTooLarge, match="larger than 3 bytes"):
        asyncio.run(read_capped(_chunks(b"ab", b"cd"), 3))
    # Lines split across chunks, CRLF, a multi-byte character cut between chunks, no final newline.
    assert asyncio.run(lines(b"data: a\r\nda", b"ta: \xc3", b"\xa9\n\nlast")) == [
        "data: a",
        "data: \u00e9",
        "",
        "last",
    ]
    with pytest.raises(AnswerTooLarge):  # one endless line: no newline ever comes
        asyncio.run(lines(b"x" * 60, b"x" * 60))


@pytest.mark.parametrize("stream", [False, True], ids=["json", "sse"])
def test_the_openai_backend_stops_reading_an_endless_answer(
    ups: tuple[LoopbackUpstream, LoopbackUpstream], stream: bool
) -> None:
    specialists, _ = ups
    specialists.set_behaviour("euclid-asm", "flood")
    config = OpenAIConfig(
        base_url=specialists.base, model="euclid-asm", stream=stream, retries=2, max_answer_bytes=LIMIT
    )

    async def ask() -> object:
        backend = OpenAIBackend(config)
        try:
            request = ItemRequest(item_id="x", sample=0, messages=[{"role": "user", "content": "hi"}])
            return await asyncio.wait_for(backend.complete(request), 30)
        finally:
            await backend.aclose()

    completion = asyncio.run(ask())
    assert "larger than 262,144 bytes" in str(completion.error)  # type: ignore[attr-defined]
    assert completion.attempts == 1  # type: ignore[attr-defined]  # not retried: it would flood again
    assert specialists.counts["euclid-asm"] == 1


def test_the_gateway_cuts_an_endless_answer_plain_and_streamed(
    ups: tuple[LoopbackUpstream, LoopbackUpstream],
) -> None:
    specialists, big = ups
    specialists.set_behaviour("euclid-asm", "flood")
    gateway = Gateway.from_files(overrides=overrides(specialists, big))
    with serving(gateway, max_answer_bytes=LIMIT, fallback=False) as (_srv, c):
        plain = chat(c, "euclid-asm", "hi")
        with c.stream(
            "POST",
            "/v1/chat/completions",
            json={"model": "euclid-asm", "stream": True, "messages": [{"role": "user", "content": "hi"}]},
        ) as s:
            status = s.status_code
            events, done = sse(s)
        specialists.set_behaviour("euclid-asm", "ok")
        after = chat(c, "euclid-asm", "still there?")
    assert plain.status_code == 502 and plain.json()["error"]["code"] == "upstream_too_large"
    assert "larger than 262,144 bytes" in plain.json()["error"]["message"]
    assert specialists.base not in plain.text  # the upstream's address stays internal
    # Streamed: bytes had gone out, so the cut is an in-band error, then [DONE].
    assert status == 200 and done and events[-1]["error"]["code"] == "upstream_too_large"
    relayed = sum(len(e["choices"][0]["delta"].get("content", "")) for e in events[:-1])
    assert 0 < relayed <= LIMIT
    assert (
        after.status_code == 200
        and after.json()["choices"][0]["message"]["content"] == "[euclid-asm] still there?"
    )


def test_an_endless_specialist_falls_back_to_triforce_sage(
    ups: tuple[LoopbackUpstream, LoopbackUpstream],
) -> None:
    specialists, big = ups
    specialists.set_behaviour("euclid-asm", "flood")
    with serving(Gateway.from_files(overrides=overrides(specialists, big)), max_answer_bytes=LIMIT) as (
        _srv,
        c,
    ):
        r = chat(c, "euclid-asm", "hi")
    assert r.status_code == 200 and r.json()["model"] == "triforce-sage"
    assert r.json()["x_triforce"]["fallback"][0]["code"] == "upstream_too_large"


def test_serve_max_answer_reaches_the_workers(
    ups: tuple[LoopbackUpstream, LoopbackUpstream], tmp_path: Path
) -> None:
    """`triforce serve --max-answer N`: the bound travels in the settings to the worker process."""
    specialists, big = ups
    specialists.set_behaviour("euclid-asm", "flood")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    log = tmp_path / "serve.log"
    args = [sys.executable, "-m", "triforce", "serve", "--port", "0", "--no-fallback", "--max-answer", "65536",
            *(a for n, url in overrides(specialists, big).items() for a in ("--upstream", f"{n}={url}"))]  # fmt: skip
    with log.open("w") as out:
        proc = subprocess.Popen(args, stdout=out, stderr=subprocess.STDOUT, env=env)
    try:
        found = None
        deadline = time.monotonic() + 90
        while found is None and time.monotonic() < deadline and proc.poll() is None:
            found = re.search(r"listening on (http://127\.0\.0\.1:\d+)/v1", log.read_text())
            time.sleep(0.05)
        assert found, log.read_text()
        r = httpx.post(
            f"{found.group(1)}/v1/chat/completions",
            json={"model": "euclid-asm", "messages": [{"role": "user", "content": "x"}]},
            timeout=30,
        )
    finally:
        proc.terminate()
        proc.wait(30)
    assert r.status_code == 502 and r.json()["error"]["code"] == "upstream_too_large"
    assert "larger than 65,536 bytes" in r.json()["error"]["message"]
