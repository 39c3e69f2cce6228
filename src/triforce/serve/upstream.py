"""Relay one chat-completions request to an OpenAI-compatible upstream (vLLM, llama.cpp, Ollama).

A pass-through, not an evaluation client: the caller's body goes out as it came (sampling
parameters, tools, stop strings) with only `model` replaced, server-sent events come back as they
arrive, and every failure becomes an `UpstreamError` carrying the status the gateway answers with
(502 upstream failure, 504 timeout, the upstream's own 400 when the request itself was wrong).
One `httpx.AsyncClient` (a pool of keep-alive connections) serves every request of a worker.

Messages meant for the caller name the model, never the upstream's address: endpoints are
internal. `detail` keeps the address for the server's own log. API keys travel in the
`Authorization` header of each upstream's requests and appear nowhere else.

Every answer is read with a bound (`max_answer_bytes`, `triforce serve --max-answer`): a body, or
a whole event stream, past it is cut there and the call fails with `upstream_too_large` (502; a
stream already relayed ends with that error in-band), so an upstream that streams without end
cannot grow the gateway's memory.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from dataclasses import dataclass, field
from typing import Any

import httpx2 as httpx  # httpx's successor: its pool keeps up under concurrency (docs/benchmarks.md)
import orjson

from triforce.models.bounded import DEFAULT_MAX_ANSWER, AnswerTooLarge, capped_lines, read_capped
from triforce.models.openai import chat_url

_ERROR_BODY = 64 * 1024  # bytes of an upstream's error response read for its message

HOP_HEADER = "X-Triforce-Hop"


class UpstreamError(Exception):
    """The upstream could not answer; `status` is what the gateway answers its caller with.

    `retryable`: the request never reached the upstream or it answered 502/503, and nothing was
    sent to the caller yet, so asking again is safe. `health`: whether this counts against the
    upstream's circuit breaker (a rejected request or a rate limit does not)."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        detail: str = "",
        retryable: bool = False,
        health: bool = True,
        retry_after_s: float | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.detail = detail or message
        self.retryable = retryable
        self.health = health
        self.retry_after_s = retry_after_s  # a 503's Retry-After


@dataclass(frozen=True)
class Upstream:
    """Where a model is served: `model` is the name the upstream knows it by (a LoRA module)."""

    model: str
    base_url: str
    api_key: str | None = field(default=None, repr=False, compare=False)

    @property
    def url(self) -> str:
        return chat_url(self.base_url)

    @property
    def models_url(self) -> str:
        return self.url.removesuffix("/chat/completions") + "/models"

    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.api_key}"} if self.api_key else {}


class UpstreamClient:
    """The worker's pool of upstream connections (keep-alive, bounded)."""

    def __init__(
        self,
        *,
        timeout_s: float = 120.0,
        connect_timeout_s: float = 5.0,
        max_connections: int = 512,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER,
    ) -> None:
        self.timeout_s = timeout_s
        self.max_answer_bytes = max_answer_bytes
        self._client = httpx.AsyncClient(
            headers={HOP_HEADER: "1", "Content-Type": "application/json"},
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            limits=httpx.Limits(max_connections=max_connections, max_keepalive_connections=max_connections),
        )

    async def aclose(self) -> None:
        await self._client.aclose()

    async def complete(self, upstream: Upstream, body: dict[str, Any]) -> dict[str, Any]:
        """Non-streaming call: the upstream's JSON response (read up to `max_answer_bytes`)."""
        payload = orjson.dumps({**body, "model": upstream.model, "stream": False})
        request = self._client.build_request(
            "POST", upstream.url, content=payload, headers=upstream.headers()
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise self.timeout(upstream) from exc
        except httpx.TransportError as exc:
            raise unreachable(upstream, exc) from exc
        try:
            if response.status_code >= 400:
                check_status(upstream, response.status_code, await self.error_body(response))
            content = await read_capped(response.aiter_bytes(), self.max_answer_bytes)
        except AnswerTooLarge as exc:
            raise too_large(upstream, exc) from exc
        except httpx.TimeoutException as exc:
            raise self.timeout(upstream) from exc
        except httpx.TransportError as exc:
            raise unreachable(upstream, exc) from exc
        finally:
            await response.aclose()
        try:
            data = orjson.loads(content)
        except orjson.JSONDecodeError as exc:
            raise bad_response(upstream, "the response is not JSON") from exc
        if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
            raise bad_response(upstream, "the response has no choices")
        return data

    @staticmethod
    async def error_body(response: httpx.Response) -> bytes:
        """The start of an error response (enough for its message), never more."""
        try:
            return await read_capped(response.aiter_bytes(), _ERROR_BODY, "the error body")
        except (AnswerTooLarge, httpx.HTTPError):
            return b""

    async def stream(self, upstream: Upstream, body: dict[str, Any]) -> UpstreamStream:
        """Open a streaming call; the status is checked here, before any byte goes to the caller."""
        payload = orjson.dumps({**body, "model": upstream.model, "stream": True})
        request = self._client.build_request(
            "POST", upstream.url, content=payload, headers=upstream.headers()
        )
        try:
            response = await self._client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise self.timeout(upstream) from exc
        except httpx.TransportError as exc:
            raise unreachable(upstream, exc) from exc
        if response.status_code >= 400:
            try:
                text = await self.error_body(response)
            finally:
                await response.aclose()
            check_status(upstream, response.status_code, text)
        return UpstreamStream(upstream, response, self)

    async def served_models(self, upstream: Upstream, timeout_s: float = 3.0) -> list[str]:
        """The model ids an upstream lists at `GET {base}/models` (vLLM lists its LoRA modules)."""
        try:
            request = self._client.build_request(
                "GET", upstream.models_url, timeout=timeout_s, headers=upstream.headers()
            )
            response = await self._client.send(request, stream=True)
            try:
                content = await read_capped(response.aiter_bytes(), 1 << 20, "the model list")
            finally:
                await response.aclose()
        except AnswerTooLarge as exc:
            raise UpstreamError(502, "upstream_too_large", str(exc)) from exc
        except httpx.TimeoutException as exc:
            raise UpstreamError(504, "upstream_timeout", f"no answer within {timeout_s:g} s") from exc
        except httpx.TransportError as exc:
            raise UpstreamError(
                502, "upstream_unreachable", f"unreachable ({exc.__class__.__name__})"
            ) from exc
        if response.status_code in (401, 403):
            raise UpstreamError(
                502, "upstream_auth", f"HTTP {response.status_code}: wrong or missing API key"
            )
        if response.status_code >= 400:
            raise UpstreamError(502, "upstream_error", f"HTTP {response.status_code}")
        try:
            return [str(m["id"]) for m in orjson.loads(content)["data"]]
        except (orjson.JSONDecodeError, KeyError, TypeError) as exc:
            raise UpstreamError(502, "upstream_bad_response", "not an OpenAI model list") from exc

    def timeout(self, upstream: Upstream) -> UpstreamError:
        return UpstreamError(
            504,
            "upstream_timeout",
            f"{upstream.model}: no answer within {self.timeout_s:g} s",
            detail=f"{upstream.model} at {upstream.url}: timeout",
        )


class UpstreamStream:
    """The events of one streamed answer, as parsed JSON chunks (a JSON body counts as one chunk)."""

    def __init__(self, upstream: Upstream, response: httpx.Response, client: UpstreamClient) -> None:
        self.upstream = upstream
        self._response = response
        self._client = client

    async def aclose(self) -> None:
        await self._response.aclose()

    async def events(self) -> AsyncGenerator[dict[str, Any]]:
        """Yield chunks until `[DONE]`; raise UpstreamError if the stream breaks or ends early."""
        up = self.upstream
        try:
            if "text/event-stream" not in self._response.headers.get("content-type", ""):
                # Servers that ignore stream=true answer with one JSON body: relay it as one chunk.
                limit = self._client.max_answer_bytes
                yield as_chunk(up, await read_capped(self._response.aiter_bytes(), limit))
                return
            async for line in capped_lines(self._response.aiter_bytes(), self._client.max_answer_bytes):
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                try:
                    event = orjson.loads(data)
                except orjson.JSONDecodeError as exc:
                    raise bad_response(up, "a stream event is not JSON") from exc
                if isinstance(event, dict) and "error" in event:
                    message = _error_message(orjson.dumps(event))
                    raise UpstreamError(502, "upstream_error", f"{up.model}: {message}")
                if not isinstance(event, dict):
                    raise bad_response(up, "a stream event is not an object")
                yield event
            raise UpstreamError(502, "upstream_incomplete", f"{up.model}: the stream ended without [DONE]")
        except AnswerTooLarge as exc:
            raise too_large(up, exc) from exc
        except httpx.TimeoutException as exc:
            raise self._client.timeout(up) from exc
        except httpx.TransportError as exc:
            raise unreachable(up, exc) from exc
        finally:
            await self._response.aclose()


def as_chunk(upstream: Upstream, raw: bytes) -> dict[str, Any]:
    try:
        data = orjson.loads(raw)
        choice = data["choices"][0]
        message = choice["message"]
    except (orjson.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
        raise bad_response(upstream, "the response is not JSON") from exc
    return {
        "id": data.get("id", ""),
        "object": "chat.completion.chunk",
        "created": data.get("created", 0),
        "model": data.get("model", upstream.model),
        "choices": [{"index": 0, "delta": message, "finish_reason": choice.get("finish_reason")}],
    }


def too_large(upstream: Upstream, exc: AnswerTooLarge) -> UpstreamError:
    # The server answered (it is up): a runaway answer says nothing about the next one.
    return UpstreamError(
        502,
        "upstream_too_large",
        f"{upstream.model}: the answer is larger than {exc.limit:,} bytes (the gateway's --max-answer)",
        health=False,
    )


def bad_response(upstream: Upstream, what: str) -> UpstreamError:
    return UpstreamError(502, "upstream_bad_response", f"{upstream.model}: {what}")


def unreachable(upstream: Upstream, exc: Exception) -> UpstreamError:
    # ConnectError: the request never left, so another try is safe. A connection that broke after
    # the request was written (RemoteProtocolError, ReadError) may have reached the model.
    never_sent = isinstance(exc, httpx.ConnectError)
    return UpstreamError(
        502,
        "upstream_unreachable",
        f"{upstream.model}: the model server {'is down' if never_sent else 'dropped the connection'}",
        detail=f"{upstream.model} at {upstream.url}: {exc.__class__.__name__}: {exc}".rstrip(": "),
        retryable=never_sent,
    )


def check_status(upstream: Upstream, status: int, content: bytes) -> None:
    if status < 400:
        return
    detail = _error_message(content)
    name = upstream.model
    if status in (400, 422):
        raise UpstreamError(
            400, "upstream_rejected_request", f"{name} rejected the request: {detail}", health=False
        )
    if status == 429:
        raise UpstreamError(429, "upstream_rate_limited", f"{name} is rate limiting: {detail}", health=False)
    if status in (401, 403):
        raise UpstreamError(
            502, "upstream_auth", f"{name}: the model server refused the gateway's API key (HTTP {status})"
        )
    if status == 404:  # the server is up: one of its models is missing, not the server broken
        raise UpstreamError(
            502,
            "upstream_model_missing",
            f"{name}: the model server does not serve {name!r} (HTTP 404)",
            health=False,
        )
    raise UpstreamError(
        502, "upstream_error", f"{name} answered HTTP {status}: {detail}", retryable=status in (502, 503)
    )


def _error_message(content: bytes) -> str:
    try:
        data = orjson.loads(content)
    except orjson.JSONDecodeError:
        return content[:300].decode("utf-8", "replace")
    if isinstance(data, dict):
        err = data.get("error", data.get("message", data))
        if isinstance(err, dict):
            err = err.get("message", err)
        return str(err)[:300]
    return str(data)[:300]
