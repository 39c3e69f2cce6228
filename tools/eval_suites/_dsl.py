"""A tiny DSL for writing ASM suite items: a contract, a reference, states and a Python model.

The expected outputs of every state come from a Python model of the contract, written
independently of the assembly reference; the build only writes the suite, and the test
`tests/test_eval_asm_suite.py` proves the reference passes every state by execution.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

WIDTHS = {"m16x16": 0x00, "m8x8": 0x30, "m16x8": 0x10, "m8x16": 0x20}
WIDTH_TEXT = {
    "m16x16": "A is 16-bit and X/Y are 16-bit (M=0, X=0)",
    "m8x8": "A is 8-bit and X/Y are 8-bit (M=1, X=1)",
    "m16x8": "A is 16-bit and X/Y are 8-bit (M=0, X=1)",
    "m8x16": "A is 8-bit and X/Y are 16-bit (M=1, X=0)",
}
# Stale flags from the caller: odd states enter with N, V, Z and C set, so an answer that relies
# on flags it never set (a missing CLC/SEC, a BMI on an unloaded A) fails somewhere.
STALE = 0xC3


def w(addr: int, value: int) -> dict[int, int]:
    """A little-endian 16-bit value as two memory bytes."""
    return {addr: value & 0xFF, addr + 1: (value >> 8) & 0xFF}


def l24(addr: int, value: int) -> dict[int, int]:
    return {addr: value & 0xFF, addr + 1: (value >> 8) & 0xFF, addr + 2: (value >> 16) & 0xFF}


def bytes_at(addr: int, data: list[int] | bytes) -> dict[int, int]:
    return {addr + i: b & 0xFF for i, b in enumerate(data)}


def rd16(mem: dict[int, int], addr: int) -> int:
    return mem.get(addr, 0) | (mem.get(addr + 1, 0) << 8)


@dataclass
class S:
    """One test state: registers and memory at entry (expected values come from the model)."""

    name: str
    a: int = 0
    x: int = 0
    y: int = 0
    mem: dict[int, int] = field(default_factory=dict)
    p: int | None = None  # overrides the width-derived P (width-discipline items)
    d: int = 0
    db: int = 0x7E
    stale: bool | None = None  # None: alternate by index


Model = Callable[[S], dict[str, Any]]


@dataclass
class Item:
    id: str
    topic: str
    entry: str
    task: str
    reference: str
    states: list[S]
    model: Model
    width: str = "m16x16"
    convention: str = "jsl"
    support: str = ""
    support_text: str = ""
    max_instructions: int = 20_000
    entry_text: str | None = None  # replaces the standard width sentence
    keep_widths: bool = True  # expect the entry M/X at return
    writable: list[str] = field(default_factory=list)  # memory ranges the routine may change
    tags: list[str] = field(default_factory=list)


ITEMS: list[Item] = []


def item(**kwargs: Any) -> Item:
    it = Item(**kwargs)
    ITEMS.append(it)
    return it


def _h(value: int, digits: int) -> str:
    return f"${value:0{digits}X}"


def prompt_for(it: Item) -> str:
    call = (
        "It is called with JSL and must return with RTL."
        if it.convention == "jsl"
        else "It is called with JSR from the same bank and must return with RTS."
    )
    widths = it.entry_text or f"At entry {WIDTH_TEXT[it.width]}."
    back = (
        " Return with the same register widths as at entry."
        if it.keep_widths and it.entry_text is None
        else ""
    )
    lines = [
        "Write a 65816 routine in asar syntax.",
        f"Entry label: `{it.entry}`. {call}",
        f"{widths} D = $0000 and DB = $7E unless stated otherwise, decimal mode is off, and the "
        f"incoming carry and other flags are undefined.{back}",
        "",
        it.task.strip(),
        "",
        "You may use $7E0000-$7E000F as scratch RAM; any other memory the task does not name as an "
        "output must keep its value. Registers not named as outputs may be changed unless the task "
        "says they must be preserved. Give the complete routine in one ```asm block.",
    ]
    if it.support_text:
        lines.insert(4, it.support_text.strip() + "\n")
    return "\n".join(lines)


def state_json(it: Item, index: int, st: S) -> dict[str, Any]:
    p = st.p if st.p is not None else WIDTHS[it.width]
    stale = (index % 2 == 1) if st.stale is None else st.stale
    if stale:
        p |= STALE
    m8 = bool(p & 0x20)
    x8 = bool(p & 0x10)
    a = st.a & 0xFFFF
    x = st.x & (0xFF if x8 else 0xFFFF)
    y = st.y & (0xFF if x8 else 0xFFFF)
    initial: dict[str, Any] = {
        "a": _h(a, 4),
        "x": _h(x, 4),
        "y": _h(y, 4),
        "p": _h(p, 2),
        "d": _h(st.d, 4),
        "db": _h(st.db, 2),
    }
    if st.mem:
        initial["memory"] = {_h(k, 6): _h(v, 2) for k, v in sorted(st.mem.items())}
    st_for_model = S(st.name, a=a, x=x, y=y, mem=dict(st.mem), p=p, d=st.d, db=st.db)
    raw = it.model(st_for_model)
    expect: dict[str, Any] = {}
    for reg in ("a", "a8", "x", "x8", "y", "y8", "s", "d", "db"):
        if reg in raw:
            expect[reg] = _h(
                raw[reg] & (0xFF if reg.endswith("8") or reg == "db" else 0xFFFF),
                2 if reg.endswith("8") or reg == "db" else 4,
            )
    if "mem" in raw:
        expect["mem"] = {_h(k, 6): _h(v & 0xFF, 2) for k, v in sorted(raw["mem"].items())}
    flags = dict(raw.get("flags", {}))
    if it.keep_widths:
        flags.setdefault("m", 1 if m8 else 0)
        flags.setdefault("x", 1 if x8 else 0)
    flags.setdefault("d", 0)
    expect["flags"] = {k: int(v) for k, v in flags.items()}
    return {"name": st.name, "initial": initial, "expect": expect}


def to_record(it: Item) -> dict[str, Any]:
    return {
        "id": f"asm.{it.topic}.{it.id}",
        "category": "asm",
        "prompt": prompt_for(it),
        "reference": it.reference.strip("\n") + "\n",
        "grading": {
            "kind": "asm-exec",
            "entry": it.entry,
            "convention": it.convention,
            "max_instructions": it.max_instructions,
            **({"writable": it.writable} if it.writable else {}),
            "support": it.support.strip("\n") + "\n" if it.support else "",
            "states": [state_json(it, i, st) for i, st in enumerate(it.states)],
        },
        "tags": [it.topic, it.width, it.convention, *it.tags],
    }
