"""Any OpenAI-compatible chat-completions endpoint (vLLM, llama.cpp server, Ollama, LM Studio).

Streams by default so time-to-first-token is measured; retries 5xx, 429, timeouts, dropped
connections and unparseable bodies with exponential backoff; every failure ends as a Completion
with `error` set rather than an exception, so one bad request never kills a run. Every body and
stream is read with a bound (`max_answer_bytes`, `triforce.models.bounded`): an answer past it
ends as an error, not retried (it would be as long again).
"""

from __future__ import annotations

import asyncio
import json
import random
import time
from dataclasses import dataclass
from typing import Any

import httpx

from triforce.models.base import BackendUnavailable, Completion, ItemRequest
from triforce.models.bounded import DEFAULT_MAX_ANSWER, AnswerTooLarge, capped_lines, read_capped

_ERROR_BODY = 64 * 1024  # bytes of an error response read for its message
# The pre-flight request waits at most this long (or the request timeout, if shorter).
CHECK_TIMEOUT_S = 10.0


class _Retryable(Exception):
    """A failure worth another try (server error, timeout, garbage body)."""


class _Rejected(Exception):
    """The server refused the request itself (4xx other than 429): asking again cannot help."""


@dataclass
class OpenAIConfig:
    base_url: str
    model: str = "default"
    api_key: str | None = None
    timeout_s: float = 120.0
    retries: int = 3
    backoff_s: float = 0.5
    stream: bool = True
    temperature: float = 0.0
    max_tokens: int = 1024
    max_answer_bytes: int = DEFAULT_MAX_ANSWER  # one answer's body or whole stream


def chat_url(base_url: str) -> str:
    """Accept `http://host:8000`, `.../v1` or the full `.../v1/chat/completions`."""
    url = base_url.rstrip("/")
    if url.endswith("/chat/completions"):
        return url
    if not url.endswith("/v1"):
        url += "/v1"
    return url + "/chat/completions"


def models_url(base_url: str) -> str:
    """The `/v1/models` listing next to the chat endpoint: the cheapest request a server answers."""
    return chat_url(base_url).removesuffix("/chat/completions") + "/models"


class OpenAIBackend:
    measures_latency = True

    def __init__(self, config: OpenAIConfig, concurrency: int = 8) -> None:
        self.config = config
        self.name = config.base_url
        self._url = chat_url(config.base_url)
        headers = {"Authorization": f"Bearer {config.api_key}"} if config.api_key else {}
        limits = httpx.Limits(
            max_connections=max(concurrency, 1), max_keepalive_connections=max(concurrency, 1)
        )
        self._client = httpx.AsyncClient(
            headers=headers, timeout=httpx.Timeout(config.timeout_s), limits=limits
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    def identity(self) -> dict[str, Any]:
        c = self.config
        return {
            "kind": "openai",
            "url": self._url,
            "model": c.model,
            "temperature": c.temperature,
            "max_tokens": c.max_tokens,
        }

    async def check(self) -> None:
        """GET /v1/models once, no retries: any HTTP answer means a server is there (a server
        without the listing answers 404); no connection, no answer or 401/403 stop the run.
        Only the status line is read, never the body."""
        wait = min(self.config.timeout_s, CHECK_TIMEOUT_S)
        try:
            async with self._client.stream("GET", models_url(self.config.base_url), timeout=wait) as response:
                status = response.status_code
        except httpx.TimeoutException as exc:
            raise BackendUnavailable(
                f"backend unreachable: {self.name} did not answer within {wait:.0f} s"
            ) from exc
        except httpx.TransportError as exc:
            raise BackendUnavailable(
                f"backend unreachable: {self.name}: {exc.__class__.__name__}: {exc}"
            ) from exc
        if status in (401, 403):
            raise BackendUnavailable(
                f"backend refused the request: {self.name} answered HTTP {status} "
                "(check --api-key / TRIFORCE_API_KEY)"
            )

    def _body(self, request: ItemRequest) -> dict[str, Any]:
        body: dict[str, Any] = {
            "model": self.config.model,
            "messages": request.messages,
            # One temperature for every sample: pass@k assumes the n samples are drawn alike.
            "temperature": self.config.temperature,
            "max_tokens": self.config.max_tokens,
            "stream": self.config.stream,
        }
        if self.config.temperature > 0:
            body["seed"] = request.sample
        return body

    async def complete(self, request: ItemRequest) -> Completion:
        body = self._body(request)
        last_error = ""
        for attempt in range(1, self.config.retries + 2):
            start = time.perf_counter()
            try:
                text, ttft, usage = await (
                    self._stream(body, start) if self.config.stream else self._plain(body)
                )
                return Completion(
                    text=text,
                    latency_s=time.perf_counter() - start,
                    ttft_s=ttft,
                    attempts=attempt,
                    usage=usage,
                )
            except AnswerTooLarge as exc:
                return Completion(error=str(exc), latency_s=time.perf_counter() - start, attempts=attempt)
            except _Retryable as exc:
                last_error = str(exc)
            except httpx.TimeoutException:
                last_error = f"timed out after {self.config.timeout_s:.1f} s"
            except httpx.TransportError as exc:
                last_error = f"connection failed: {exc.__class__.__name__}: {exc}"
            except _Rejected as exc:  # 4xx other than 429: the request itself is wrong
                return Completion(error=str(exc), attempts=attempt)
            if attempt <= self.config.retries:
                await asyncio.sleep(
                    self.config.backoff_s * (2 ** (attempt - 1)) * (1 + random.random() * 0.25)
                )
        return Completion(
            error=f"gave up after {self.config.retries + 1} attempts: {last_error}",
            attempts=self.config.retries + 1,
        )

    @staticmethod
    def _check_status(status: int, body_text: str) -> None:
        if status >= 500 or status == 429:
            raise _Retryable(f"HTTP {status}: {body_text[:200]}")
        if status >= 400:
            raise _Rejected(f"HTTP {status}: {body_text[:200]}")

    async def _error_text(self, response: httpx.Response) -> str:
        try:
            raw = await read_capped(response.aiter_bytes(), _ERROR_BODY, "the error body")
        except AnswerTooLarge:
            return "(an error body larger than 64 KiB)"
        return raw.decode("utf-8", "replace")

    async def _plain(self, body: dict[str, Any]) -> tuple[str, float | None, dict[str, Any]]:
        async with self._client.stream("POST", self._url, json=body) as response:
            if response.status_code >= 400:
                self._check_status(response.status_code, await self._error_text(response))
            raw = await read_capped(response.aiter_bytes(), self.config.max_answer_bytes)
        try:
            payload = json.loads(raw)
            text = payload["choices"][0]["message"]["content"] or ""
        except (json.JSONDecodeError, UnicodeDecodeError, KeyError, IndexError, TypeError) as exc:
            raise _Retryable(f"malformed response body: {exc.__class__.__name__}: {raw[:120]!r}") from exc
        return str(text), None, dict(payload.get("usage") or {})

    async def _stream(self, body: dict[str, Any], start: float) -> tuple[str, float | None, dict[str, Any]]:
        parts: list[str] = []
        ttft: float | None = None
        usage: dict[str, Any] = {}
        async with self._client.stream("POST", self._url, json=body) as response:
            if response.status_code >= 400:
                self._check_status(response.status_code, await self._error_text(response))
            content_type = response.headers.get("content-type", "")
            limit = self.config.max_answer_bytes
            if "text/event-stream" not in content_type:
                # Some servers ignore stream=true and answer with one JSON body.
                raw = (await read_capped(response.aiter_bytes(), limit)).decode("utf-8", "replace")
                try:
                    payload = json.loads(raw)
                    return (
                        str(payload["choices"][0]["message"]["content"] or ""),
                        None,
                        dict(payload.get("usage") or {}),
                    )
                except (json.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
                    raise _Retryable(f"malformed response body: {raw[:120]!r}") from exc
            done = False
            async for line in capped_lines(response.aiter_bytes(), limit):
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    done = True
                    break
                try:
                    event = json.loads(data)
                except json.JSONDecodeError as exc:
                    raise _Retryable(f"malformed stream event: {data[:120]!r}") from exc
                if event.get("usage"):
                    usage = dict(event["usage"])
                for choice in event.get("choices") or []:
                    delta = (choice.get("delta") or {}).get("content")
                    if delta:
                        if ttft is None:
                            ttft = time.perf_counter() - start
                        parts.append(delta)
            if not done and not parts:
                raise _Retryable("stream ended without data")
        return "".join(parts), ttft, usage
