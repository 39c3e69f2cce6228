"""Model backends: where answers come from, picked by a spec string, and `ask_many` to ask them.

Used by evaluation, refinement, serving (MoE legs) and the narrative generators' teachers.

`reference` | `replay:FILE` | `hf:PATH` | `http(s)://host:port[/v1]` (OpenAI-compatible).
"""

from __future__ import annotations

from pathlib import Path

from triforce.errors import ConfigError
from triforce.models.ask import ask_many
from triforce.models.base import Backend, BackendUnavailable, Completion, ItemRequest, messages_for
from triforce.models.offline import ReferenceBackend, ReplayBackend
from triforce.models.openai import OpenAIBackend, OpenAIConfig

__all__ = [
    "Backend",
    "BackendUnavailable",
    "Completion",
    "ItemRequest",
    "OpenAIBackend",
    "OpenAIConfig",
    "ReferenceBackend",
    "ReplayBackend",
    "ask_many",
    "make_backend",
    "messages_for",
]


def make_backend(
    spec: str,
    *,
    concurrency: int = 8,
    model: str = "default",
    api_key: str | None = None,
    timeout_s: float = 120.0,
    retries: int = 3,
    stream: bool = True,
    max_tokens: int = 1024,
    temperature: float = 0.0,
) -> Backend:
    """Build the backend a `--backend` string names (`temperature` applies to every sample)."""
    if spec == "reference":
        return ReferenceBackend()
    if spec.startswith("replay:"):
        return ReplayBackend(Path(spec[len("replay:") :]))
    if spec.startswith("hf:"):
        from triforce.models.hf import HFBackend

        return HFBackend(Path(spec[len("hf:") :]), max_new_tokens=max_tokens, temperature=temperature)
    if spec.startswith(("http://", "https://")):
        config = OpenAIConfig(
            base_url=spec,
            model=model,
            api_key=api_key,
            timeout_s=timeout_s,
            retries=retries,
            stream=stream,
            max_tokens=max_tokens,
            temperature=temperature,
        )
        return OpenAIBackend(config, concurrency=concurrency)
    raise ConfigError(f"--backend {spec!r}: expected reference, replay:FILE, hf:PATH or an http(s):// URL")
