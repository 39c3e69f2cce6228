"""The OpenAI-compatible backend against a real HTTP server on 127.0.0.1 (started by the test)."""

from __future__ import annotations

import asyncio

import pytest

from triforce.evaluate.reference_server import serve_references
from triforce.models import ItemRequest, OpenAIBackend, OpenAIConfig
from triforce.models.openai import chat_url

PROMPT = "Which wizard took Hyrule Castle?"
ANSWER = '```json\n{"wizard": "Agahnim", "final_enemy": "Ganon"}\n```\n' + "x" * 100


def _ask(url: str, model: str, *, stream: bool = True, timeout_s: float = 5.0, retries: int = 3) -> object:
    async def go() -> object:
        backend = OpenAIBackend(
            OpenAIConfig(
                base_url=url, model=model, stream=stream, timeout_s=timeout_s, retries=retries, backoff_s=0.01
            )
        )
        try:
            return await backend.complete(
                ItemRequest(item_id="i", sample=0, messages=[{"role": "user", "content": PROMPT}])
            )
        finally:
            await backend.aclose()

    return asyncio.run(go())


@pytest.fixture(scope="module")
def server():  # type: ignore[no-untyped-def]
    with serve_references({PROMPT: ANSWER}, latency_s=0.0, slow_s=3.0) as srv:
        yield srv


def test_chat_url_forms() -> None:
    assert chat_url("http://h:1") == "http://h:1/v1/chat/completions"
    assert chat_url("http://h:1/v1/") == "http://h:1/v1/chat/completions"
    assert chat_url("http://h:1/v1/chat/completions") == "http://h:1/v1/chat/completions"


def test_streaming_reassembles_text_and_measures_ttft(server) -> None:  # type: ignore[no-untyped-def]
    done = _ask(server.url, "ok")
    assert done.error is None and done.text == ANSWER  # type: ignore[attr-defined]
    assert done.ttft_s is not None and done.latency_s is not None and done.ttft_s <= done.latency_s  # type: ignore[attr-defined]


def test_plain_json_response(server) -> None:  # type: ignore[no-untyped-def]
    done = _ask(server.url, "ok", stream=False)
    assert done.text == ANSWER and done.ttft_s is None and done.usage["completion_tokens"] > 0  # type: ignore[attr-defined]


def test_5xx_is_retried_then_succeeds(server) -> None:  # type: ignore[no-untyped-def]
    done = _ask(server.url, "fail-2")
    assert done.error is None and done.attempts == 3 and done.text == ANSWER  # type: ignore[attr-defined]


def test_5xx_gives_up_with_reason(server) -> None:  # type: ignore[no-untyped-def]
    done = _ask(server.url, "fail-9", retries=1)
    assert done.text == "" and "gave up after 2 attempts" in done.error and "HTTP 503" in done.error  # type: ignore[attr-defined, operator]


def test_malformed_json_is_retried(server) -> None:  # type: ignore[no-untyped-def]
    done = _ask(server.url, "garbage-1", stream=False)
    assert done.error is None and done.attempts == 2  # type: ignore[attr-defined]
    bad = _ask(server.url, "garbage-5", stream=False, retries=1)
    assert "malformed response body" in bad.error  # type: ignore[attr-defined, operator]


def test_timeout_is_reported(server) -> None:  # type: ignore[no-untyped-def]
    done = _ask(server.url, "slow", timeout_s=0.3, retries=1)
    assert done.text == "" and "timed out" in done.error  # type: ignore[attr-defined, operator]


def test_connection_refused_is_an_error_not_a_crash() -> None:
    done = _ask("http://127.0.0.1:9", "ok", retries=0)
    assert "connection failed" in done.error  # type: ignore[attr-defined, operator]


def test_client_error_is_not_retried(server) -> None:  # type: ignore[no-untyped-def]
    done = _ask(server.url, "bad-request")
    assert done.attempts == 1 and "HTTP 400" in done.error  # type: ignore[attr-defined, operator]
