"""What the review page shows of an item: the chat, the verifier's evidence, and diffs.

Plain functions from queue items to plain data for the templates, so the pages stay free of
logic and the evidence shown is exactly what the verifier recorded.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field
from typing import Any

from triforce.refine.queue import QueueItem


@dataclass
class StateView:
    name: str
    initial: list[str]
    expect: list[str]
    passed: bool | None  # None: the verdict has no check of this name
    message: str = ""


@dataclass
class ItemView:
    id: str
    iteration: int
    status: str
    prompt: str
    answer: str
    verdict_passed: bool
    verdict_code: str
    verdict_reason: str
    assembled: list[str]  # hex dump lines, 16 bytes each
    entry: str
    convention: str
    states: list[StateView]
    other_checks: list[StateView]
    decisions: list[dict[str, Any]] = field(default_factory=list)
    final_answer: str | None = None
    reason: str = ""


def _pairs(values: dict[str, Any] | None) -> list[str]:
    out = []
    for key, value in (values or {}).items():
        if isinstance(value, dict):
            out += [f"{key} {k}={v}" for k, v in value.items()]
        else:
            out.append(f"{key}={value}")
    return out


def hex_lines(hex_text: str | None, width: int = 16) -> list[str]:
    data = bytes.fromhex("".join((hex_text or "").split()))
    return [
        f"+{i:04X}  " + " ".join(f"{b:02X}" for b in data[i : i + width]) for i in range(0, len(data), width)
    ]


def item_view(item: QueueItem) -> ItemView:
    sample = item.sample
    grading = sample.meta.get("grading") or {}
    asm = grading.get("asm", grading) if isinstance(grading, dict) else {}
    checks = {str(c.get("name")): c for c in item.verdict.get("checks", []) if isinstance(c, dict)}
    states = []
    for st in asm.get("states", []) if isinstance(asm, dict) else []:
        name = str(st.get("name", "?"))
        # graders name a state's check "state N 'name'" or just the name: match either
        check = checks.pop(name, None) or next(
            (checks.pop(k) for k in list(checks) if k.endswith(f"'{name}'")), None
        )
        states.append(
            StateView(
                name=name,
                initial=_pairs(st.get("initial")),
                expect=_pairs(st.get("expect")),
                passed=None if check is None else bool(check.get("passed")),
                message="" if check is None else str(check.get("message", "")),
            )
        )
    others = [
        StateView(
            name=n, initial=[], expect=[], passed=bool(c.get("passed")), message=str(c.get("message", ""))
        )
        for n, c in checks.items()
    ]
    final = (
        item.final_sample.answer() if item.final_sample is not None and item.status == "corrected" else None
    )
    return ItemView(
        id=item.id,
        iteration=item.iteration,
        status=item.status,
        prompt=sample.prompt(),
        answer=sample.answer(),
        verdict_passed=bool(item.verdict.get("passed")),
        verdict_code=str(item.verdict.get("code", "")),
        verdict_reason=str(item.verdict.get("reason", "")),
        assembled=hex_lines(sample.meta.get("assembled_hex")),
        entry=str(asm.get("entry", "")) if isinstance(asm, dict) else "",
        convention=str(asm.get("convention", "")) if isinstance(asm, dict) else "",
        states=states,
        other_checks=others,
        decisions=item.decisions,
        final_answer=final,
        reason=item.reason,
    )


def diff_lines(before: str, after: str) -> list[tuple[str, str]]:
    """A unified diff of the model's answer against a correction: (kind, line) with kind one of
    'add', 'del', 'hunk', 'same'."""
    out: list[tuple[str, str]] = []
    lines = difflib.unified_diff(
        before.splitlines(), after.splitlines(), "model answer", "correction", lineterm="", n=2
    )
    for line in lines:
        if line.startswith(("---", "+++")):
            continue
        kind = {"+": "add", "-": "del", "@": "hunk"}.get(line[:1], "same")
        out.append((kind, line))
    return out
