"""What every backend returns, and the interface the runner drives."""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, Field

from triforce.errors import TriforceError

DEFAULT_SYSTEM = (
    "You are an expert SNES 65816 assembly programmer and ALTTP ROM hacker. "
    "Answer exactly to the contract in the request. Put assembly in a ```asm block (asar syntax)."
)


class Completion(BaseModel):
    """One answer: its text, how long it took, and what went wrong if it failed."""

    text: str = ""
    latency_s: float | None = None
    ttft_s: float | None = None  # time to first token (streamed backends only)
    error: str | None = None
    attempts: int = 1
    usage: dict[str, Any] = Field(default_factory=dict)


class ItemRequest(BaseModel):
    """What the runner asks for: the chat plus the ids the offline backends look answers up by."""

    item_id: str
    sample: int
    messages: list[dict[str, str]]
    reference: str = ""
    category: str = ""


class BackendUnavailable(TriforceError):
    """The backend cannot answer at all (refused connection, no route, rejected credentials)."""


class Backend(Protocol):
    name: str
    # False for backends whose timings say nothing about a model (reference answers, replays)
    measures_latency: bool

    async def complete(self, request: ItemRequest) -> Completion: ...

    async def check(self) -> None:
        """One cheap request before a run; raises BackendUnavailable when nothing can answer."""
        ...

    def identity(self) -> dict[str, Any]:
        """What decides the answers (kind, endpoint or file and its digest, model, sampling):
        two runs mix records only when this is equal."""
        ...

    async def aclose(self) -> None: ...


def messages_for(prompt: str, system: str | None) -> list[dict[str, str]]:
    return [{"role": "system", "content": system or DEFAULT_SYSTEM}, {"role": "user", "content": prompt}]
