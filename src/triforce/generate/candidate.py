"""What every generator shares: the candidate/judge protocol, catalogues and sample assembly.

A generator works in two steps so that asar can run once for many candidates: `propose`
returns candidate sources (texts to assemble), the synthesizer assembles all of them in one
batch, and `judge` turns each assembled candidate into a verified Sample or a Reject.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from importlib import resources
from typing import Any, Protocol

import yaml

from triforce.generate.context import Context, Reject
from triforce.generate.graphics.asm_tasks import assembled_hex
from triforce.sample import Message, Provenance, Sample, Verification


@dataclass
class Candidate:
    """A text to assemble (None when the generator needs no extra assembly) plus its payload."""

    generator: str
    source: str | None
    payload: dict[str, Any] = field(default_factory=dict)


class Generator(Protocol):
    name: str
    task: str

    def propose(self, ctx: Context) -> list[Candidate]: ...

    def judge(self, ctx: Context, cand: Candidate, assembled: Any) -> Sample | Reject | None: ...


@functools.cache
def catalog(name: str) -> dict[str, Any]:
    """A YAML catalogue shipped in triforce/generate/catalogs/."""
    text = resources.files("triforce.generate").joinpath("catalogs", name).read_text(encoding="utf-8")
    data = yaml.safe_load(text)
    assert isinstance(data, dict)
    return data


def io_registers() -> dict[str, dict[str, Any]]:
    """The SNES register catalogue (catalogs/io_registers.yaml): name -> {address, nondeterministic}."""
    regs = catalog("io_registers.yaml")["registers"]
    assert isinstance(regs, dict)
    return regs


def is_io(address: int) -> bool:
    """True for a memory-mapped register (PPU, APU ports, WRAM port, joypads, CPU, DMA)."""
    low, bank = address & 0xFFFF, address >> 16
    in_io_bank = bank <= 0x3F or 0x80 <= bank <= 0xBF
    return in_io_bank and (0x2100 <= low <= 0x21FF or 0x4016 <= low <= 0x4017 or 0x4200 <= low <= 0x43FF)


@functools.cache
def _register_names() -> dict[int, str]:
    return {int(v["address"]): name for name, v in io_registers().items()}


def register_text(address: int) -> str:
    """`JOY1L $4218` for a named register, `$4302` (a DMA channel register) otherwise."""
    low = address & 0xFFFF
    name = _register_names().get(low)
    return f"{name} ${low:04X}" if name else f"${low:04X}"


def system_prompt() -> str:
    return str(catalog("prompts.yaml")["system"]["default"]).strip()


def source_key(generator: str) -> str:
    return str(catalog("prompts.yaml")["sources"][generator])


def provenance_of(routine: Any) -> Provenance:
    prov = routine.provenance
    data = prov.model_dump() if hasattr(prov, "model_dump") else dict(prov)
    if not data.get("routine"):
        data["routine"] = routine.qualified_name
    return Provenance(**data)


def make_sample(
    ctx: Context,
    generator: str,
    task: str,
    user: str,
    assistant: str,
    verification: Verification,
    meta: dict[str, Any],
) -> Sample:
    r = ctx.subject.routine
    return Sample(
        messages=[
            Message(role="system", content=system_prompt()),
            Message(role="user", content=user),
            Message(role="assistant", content=assistant),
        ],
        domain="din",
        task=task,
        source=source_key(generator),
        provenance=provenance_of(r),
        verification=verification,
        meta={"generator": generator, "routine": r.qualified_name, **meta},
    )


def proven(method: str, states_tested: int, details: dict[str, Any]) -> Verification:
    """The verification record of a shipped sample: assembled, executed and passed on every state."""
    return Verification(
        assembled=True,
        executed=True,
        states_tested=states_tested,
        passed=True,
        method=method,
        details=details,
    )


def answer_hex(*images: Any) -> str:
    """The bytes asar produced for a sample's code, as one hex string (`meta["assembled_hex"]`,
    what dedup's bytes layer compares): each assembled image in the order given, e.g. the
    buggy listing then the fixed one, so two tasks about the same routine stay apart."""
    return "".join(assembled_hex(im) for im in images if im is not None and im.ok)


def fence(code: str) -> str:
    return "```asm\n" + code.rstrip("\n") + "\n```"


def width_text(m: int | None, x: int | None) -> str:
    parts = []
    parts.append(f"A {m}-bit (M={'0' if m == 16 else '1'})" if m else "A width not fixed at entry")
    parts.append(f"X/Y {x}-bit (X={'0' if x == 16 else '1'})" if x else "X/Y width not fixed at entry")
    return ", ".join(parts)


def call_text(convention: str) -> str:
    return "called with JSL, returns with RTL" if convention == "jsl" else "called with JSR, returns with RTS"
