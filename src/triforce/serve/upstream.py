"""Relay one chat-completions request to an OpenAI-compatible upstream (vLLM, llama.cpp, Ollama).

This is a pass-through, not an evaluation client: it forwards the caller's body as it came
(sampling parameters, tools, stop strings) with only `model` replaced, streams server-sent events
back as they arrive, and reports failures as the HTTP status the gateway should answer with
(502 upstream failure, 504 timeout, the upstream's own 400 when the request itself was wrong).
The MoE fan-out, which only needs each specialist's text, uses `triforce.evaluate`'s client.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

from triforce.models.openai import chat_url

HOP_HEADER = "X-Triforce-Hop"


class UpstreamError(Exception):
    """The upstream could not answer; `status` is what the gateway answers its caller with."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Upstream:
    """Where a model is served: `model` is the name the upstream knows it by (a LoRA module)."""

    model: str
    base_url: str

    @property
    def url(self) -> str:
        return chat_url(self.base_url)


class UpstreamClient:
    """One connection pool shared by every request thread (httpx.Client is thread-safe)."""

    def __init__(
        self, *, timeout_s: float = 120.0, connect_timeout_s: float = 5.0, api_key: str | None = None
    ) -> None:
        headers = {HOP_HEADER: "1"}
        if api_key:
            headers["Authorization"] = f"Bearer {api_key}"
        self.timeout_s = timeout_s
        self._client = httpx.Client(
            headers=headers,
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            limits=httpx.Limits(max_connections=256, max_keepalive_connections=32),
        )

    def close(self) -> None:
        self._client.close()

    def complete(self, upstream: Upstream, body: dict[str, Any]) -> dict[str, Any]:
        """Non-streaming call: the upstream's JSON response."""
        payload = {**body, "model": upstream.model, "stream": False}
        try:
            response = self._client.post(upstream.url, json=payload)
        except httpx.TimeoutException as exc:
            raise self._timeout(upstream) from exc
        except httpx.TransportError as exc:
            raise _unreachable(upstream, exc) from exc
        _check_status(upstream, response.status_code, response.text)
        try:
            data = response.json()
        except json.JSONDecodeError as exc:
            raise UpstreamError(
                502, "upstream_bad_response", f"{upstream.model} at {upstream.url}: response is not JSON"
            ) from exc
        if not isinstance(data, dict) or not isinstance(data.get("choices"), list):
            raise UpstreamError(
                502, "upstream_bad_response", f"{upstream.model} at {upstream.url}: response has no choices"
            )
        return data

    def stream(self, upstream: Upstream, body: dict[str, Any]) -> UpstreamStream:
        """Open a streaming call; the status is checked here, before any byte goes to the caller."""
        payload = {**body, "model": upstream.model, "stream": True}
        request = self._client.build_request("POST", upstream.url, json=payload)
        try:
            response = self._client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise self._timeout(upstream) from exc
        except httpx.TransportError as exc:
            raise _unreachable(upstream, exc) from exc
        if response.status_code >= 400:
            try:
                text = response.read().decode("utf-8", "replace")
            except httpx.HTTPError:
                text = ""
            finally:
                response.close()
            _check_status(upstream, response.status_code, text)
        return UpstreamStream(upstream, response, self)

    def served_models(self, base_url: str, timeout_s: float = 3.0) -> list[str]:
        """The model ids an upstream lists at `GET {base}/models` (vLLM lists its LoRA modules)."""
        url = chat_url(base_url).removesuffix("/chat/completions") + "/models"
        try:
            response = self._client.get(url, timeout=timeout_s)
        except httpx.TimeoutException as exc:
            raise UpstreamError(504, "upstream_timeout", f"{url}: no answer within {timeout_s:g} s") from exc
        except httpx.TransportError as exc:
            raise UpstreamError(
                502, "upstream_unreachable", f"{url}: {exc.__class__.__name__}: {exc}"
            ) from exc
        if response.status_code >= 400:
            raise UpstreamError(502, "upstream_error", f"{url}: HTTP {response.status_code}")
        try:
            return [str(m["id"]) for m in response.json()["data"]]
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise UpstreamError(502, "upstream_bad_response", f"{url}: not an OpenAI model list") from exc

    def _timeout(self, upstream: Upstream) -> UpstreamError:
        return UpstreamError(
            504,
            "upstream_timeout",
            f"{upstream.model} at {upstream.url}: no answer within {self.timeout_s:g} s",
        )


class UpstreamStream:
    """The events of one streamed answer, as parsed JSON chunks (a JSON body counts as one chunk)."""

    def __init__(self, upstream: Upstream, response: httpx.Response, client: UpstreamClient) -> None:
        self.upstream = upstream
        self._response = response
        self._client = client

    def close(self) -> None:
        self._response.close()

    def events(self) -> Iterator[dict[str, Any]]:
        """Yield chunks until `[DONE]`; raise UpstreamError if the stream breaks or ends early."""
        try:
            if "text/event-stream" not in self._response.headers.get("content-type", ""):
                # Servers that ignore stream=true answer with one JSON body: relay it as one chunk.
                yield _as_chunk(self.upstream, self._response.read())
                return
            for line in self._response.iter_lines():
                if not line.startswith("data:"):
                    continue
                data = line[5:].strip()
                if data == "[DONE]":
                    return
                try:
                    event = json.loads(data)
                except json.JSONDecodeError as exc:
                    raise UpstreamError(
                        502, "upstream_bad_response", f"{self.upstream.model}: malformed stream event"
                    ) from exc
                if isinstance(event, dict) and "error" in event:
                    raise UpstreamError(502, "upstream_error", f"{self.upstream.model}: {event['error']}")
                yield event
            raise UpstreamError(
                502, "upstream_incomplete", f"{self.upstream.model}: stream ended without [DONE]"
            )
        except httpx.TimeoutException as exc:
            raise self._client._timeout(self.upstream) from exc
        except httpx.TransportError as exc:
            raise _unreachable(self.upstream, exc) from exc
        finally:
            self._response.close()


def _as_chunk(upstream: Upstream, raw: bytes) -> dict[str, Any]:
    try:
        data = json.loads(raw)
        message = data["choices"][0]["message"]
    except (json.JSONDecodeError, KeyError, IndexError, TypeError) as exc:
        raise UpstreamError(502, "upstream_bad_response", f"{upstream.model}: response is not JSON") from exc
    return {
        "id": data.get("id", ""),
        "object": "chat.completion.chunk",
        "created": data.get("created", 0),
        "model": data.get("model", upstream.model),
        "choices": [{"index": 0, "delta": message, "finish_reason": data["choices"][0].get("finish_reason")}],
    }


def _unreachable(upstream: Upstream, exc: Exception) -> UpstreamError:
    return UpstreamError(
        502,
        "upstream_unreachable",
        f"{upstream.model} at {upstream.url}: {exc.__class__.__name__}: {exc}".rstrip(": "),
    )


def _check_status(upstream: Upstream, status: int, text: str) -> None:
    if status < 400:
        return
    detail = _error_message(text)
    where = f"{upstream.model} at {upstream.url}"
    if status in (400, 422):
        raise UpstreamError(400, "upstream_rejected_request", f"{where} rejected the request: {detail}")
    if status == 429:
        raise UpstreamError(429, "upstream_rate_limited", f"{where} is rate limiting: {detail}")
    if status == 404:
        raise UpstreamError(
            502, "upstream_model_missing", f"{where} does not serve {upstream.model!r} (HTTP 404): {detail}"
        )
    raise UpstreamError(502, "upstream_error", f"{where} answered HTTP {status}: {detail}")


def _error_message(text: str) -> str:
    try:
        data = json.loads(text)
    except json.JSONDecodeError:
        return text[:300]
    if isinstance(data, dict):
        err = data.get("error", data.get("message", data))
        if isinstance(err, dict):
            err = err.get("message", err)
        return str(err)[:300]
    return str(data)[:300]
