"""The MoE path of oracle-council: ask the relevant specialists at once, then synthesize.

The fan-out legs only need each specialist's text, with retries and a timeout: exactly what
`triforce.models`' OpenAI-compatible backend does, so it is reused here. The synthesis call
is an ordinary relayed request (it may stream to the caller), built by `synthesis_messages`.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from triforce.models import Completion, ItemRequest, OpenAIBackend, OpenAIConfig
from triforce.models.bounded import DEFAULT_MAX_ANSWER
from triforce.serve.router import RouterConfig, request_text
from triforce.serve.upstream import Upstream


@dataclass(frozen=True)
class ExpertAnswer:
    domain: str
    model: str
    text: str
    error: str | None
    latency_s: float | None
    attempts: int
    usage: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def timed_out(self) -> bool:
        return self.error is not None and "timed out" in self.error

    def to_json(self) -> dict[str, Any]:
        return {
            "domain": self.domain,
            "model": self.model,
            "ok": self.ok,
            "error": self.error,
            "latency_s": None if self.latency_s is None else round(self.latency_s, 3),
            "attempts": self.attempts,
            "chars": len(self.text),
            "usage": self.usage,
        }


def flatten_messages(messages: list[dict[str, Any]]) -> list[dict[str, str]]:
    """Messages with text-only content (content lists joined), as the evaluate client takes them."""
    out = []
    for m in messages:
        content = m.get("content")
        if isinstance(content, list):
            content = "\n".join(
                str(p.get("text", "")) for p in content if isinstance(p, dict) and p.get("type") == "text"
            )
        out.append({"role": str(m.get("role", "user")), "content": str(content or "")})
    return out


class ExpertPool:
    """Asks specialists through `triforce.models`' OpenAI backend (retries, timeout, API key).

    Backends (one httpx pool each) are kept per (endpoint, model, temperature, max_tokens),
    because building a fresh client costs tens of milliseconds per specialist per request. Lives on
    the worker's event loop; a request cancelled by its caller cancels its fan-out legs too.
    """

    def __init__(
        self,
        *,
        timeout_s: float,
        retries: int,
        max_backends: int = 64,
        max_answer_bytes: int = DEFAULT_MAX_ANSWER,
    ) -> None:
        self.timeout_s = timeout_s
        self.retries = retries
        self.max_answer_bytes = max_answer_bytes
        self._max = max_backends
        self._backends: OrderedDict[tuple[str, str, float, int], OpenAIBackend] = OrderedDict()
        self._closing: set[asyncio.Task[None]] = set()

    async def ask(
        self,
        experts: list[tuple[str, Upstream]],
        messages: list[dict[str, Any]],
        *,
        request_id: str,
        temperature: float,
        max_tokens: int,
    ) -> list[ExpertAnswer]:
        """Ask every (domain, upstream) concurrently; one failure never cancels the others."""
        request = ItemRequest(item_id=request_id, sample=0, messages=flatten_messages(messages))
        backends = [self._backend(up, temperature, max_tokens) for _, up in experts]
        done: list[Completion] = await asyncio.gather(*(b.complete(request) for b in backends))
        return [
            ExpertAnswer(domain, up.model, c.text, c.error, c.latency_s, c.attempts, c.usage)
            for (domain, up), c in zip(experts, done, strict=True)
        ]

    async def aclose(self) -> None:
        backends = list(self._backends.values())
        self._backends.clear()
        await asyncio.gather(*(b.aclose() for b in backends), return_exceptions=True)

    def _backend(self, up: Upstream, temperature: float, max_tokens: int) -> OpenAIBackend:
        key = (up.base_url, up.model, temperature, max_tokens)
        backend = self._backends.get(key)
        if backend is not None:
            self._backends.move_to_end(key)
            return backend
        backend = OpenAIBackend(
            OpenAIConfig(
                base_url=up.base_url,
                model=up.model,
                api_key=up.api_key,
                timeout_s=self.timeout_s,
                retries=self.retries,
                backoff_s=0.2,
                stream=False,
                temperature=temperature,
                max_tokens=max_tokens,
                max_answer_bytes=self.max_answer_bytes,
            ),
            concurrency=16,
        )
        self._backends[key] = backend
        if len(self._backends) > self._max:
            _, old = self._backends.popitem(last=False)
            # It may still be answering a request: close it once any call on it has ended.
            task = asyncio.get_running_loop().create_task(self._close_later(old))
            self._closing.add(task)
            task.add_done_callback(self._closing.discard)
        return backend

    async def _close_later(self, backend: OpenAIBackend) -> None:
        await asyncio.sleep(self.timeout_s * (self.retries + 1) + 5)
        await backend.aclose()


def synthesis_messages(
    config: RouterConfig, messages: list[dict[str, Any]], answers: list[ExpertAnswer]
) -> list[dict[str, Any]]:
    """The conversation so far (system prompts replaced) plus the specialists' answers to merge."""
    last_user = max((i for i, m in enumerate(messages) if m.get("role") == "user"), default=len(messages))
    history = [m for m in messages[:last_user] if m.get("role") != "system"]
    sections = [f"## Request\n{request_text(messages)}"]
    for a in answers:
        heading = config.expert_heading.format(model=a.model, domain=a.domain)
        sections.append(f"{heading}\n{a.text if a.ok else f'(no answer: {a.error})'}")
    return [
        {"role": "system", "content": config.synthesis_system},
        *history,
        {"role": "user", "content": "\n\n".join(sections)},
    ]
