"""The one sample record every generator writes and every dataset stage reads.

A sample is a chat (`messages`) plus what a curator needs to trust it: which plan domain and
task it serves, where it came from (provenance, with an origin tag so commercial-ROM-derived
material can be excluded), how it was verified, and a stable id derived from its content.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

Role = Literal["system", "user", "assistant"]
# The plan's four dataset domains: oracle-din (technical), oracle-nayru (knowledge),
# oracle-farore (creation) and cross-domain integration.
Domain = Literal["din", "nayru", "farore", "cross"]
# Where the underlying material comes from. "commercial-derived" covers disassemblies of the
# commercial ROM and leaked sources: excludable by flag.
Origin = Literal["original", "vanilla-disassembly", "rom-hack", "commercial-derived", "synthetic"]


class Message(BaseModel):
    model_config = ConfigDict(extra="forbid")
    role: Role
    content: str


class Provenance(BaseModel):
    model_config = ConfigDict(extra="forbid")
    corpus: str
    origin: Origin
    file: str | None = None
    line_start: int | None = None
    line_end: int | None = None
    routine: str | None = None
    commit: str | None = None
    license: str | None = None


class Verification(BaseModel):
    """What was proven about the sample. `passed` is the verdict; the rest is the evidence."""

    model_config = ConfigDict(extra="forbid")
    assembled: bool = False
    executed: bool = False
    states_tested: int = 0
    passed: bool = False
    method: str = ""  # e.g. "asar+exec", "asar", "schema", "manual-review"
    details: dict[str, Any] = Field(default_factory=dict)


class Sample(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = ""
    messages: list[Message]
    domain: Domain
    task: str  # e.g. "asm.base", "asm.debug", "lore.canon", "quest.implementation"
    source: str  # key of the plan's dataset table row, e.g. "alttp-asm-base"
    provenance: Provenance
    verification: Verification | None = None
    # Samples sharing a group (same routine, same source item) must land in the same split.
    group: str = ""
    meta: dict[str, Any] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _fill_derived(self) -> Sample:
        if not self.messages:
            raise ValueError("messages must not be empty")
        if not self.id:
            self.id = content_id(self)
        if not self.group:
            p = self.provenance
            self.group = f"{p.corpus}:{p.file or ''}:{p.routine or self.id}"
        return self

    def prompt(self) -> str:
        """All non-assistant text, in order (what a model is asked)."""
        return "\n".join(m.content for m in self.messages if m.role != "assistant")

    def answer(self) -> str:
        """All assistant text, in order (what a model is taught to say)."""
        return "\n".join(m.content for m in self.messages if m.role == "assistant")


def content_id(sample: Sample) -> str:
    """Stable id: a hash of the task and the conversation, independent of metadata."""
    payload = json.dumps(
        {"task": sample.task, "messages": [[m.role, m.content] for m in sample.messages]},
        sort_keys=True,
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]
