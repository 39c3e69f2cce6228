"""Cross-domain quest -> implementation answers, proven against the item's `CrossSpec` by
`triforce.romhack.prove`: asar assembles the patch onto the base image, the ROM diff stays in the
hook site and the free space, the hook JSLs to the declared routine, the hooked code behaves on
every scenario state (effects, game-routine calls with their arguments, only when due), the
messages fit the text box, the room data decodes and suits its tag, and (when asked) the quest
outline passes the quest checks.

The answer: an optional ```json block (`{"quest": {...}, "messages": {"$1A3": "text"}}`) and one
```asm block with the patch. `mutants` makes the typical wrong answers the sensitivity run grades.
"""

from __future__ import annotations

import json
import re
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict

from triforce.evaluate.graders import GradeContext
from triforce.evaluate.verdict import CheckResult, Verdict
from triforce.romhack.answer import answer_parts
from triforce.romhack.spec import CrossSpec
from triforce.snes.asmblocks import FENCE


class RomhackSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["romhack"]
    spec: CrossSpec


def grade_romhack(spec: RomhackSpec, answer: str, ctx: GradeContext, assembler: Any = None) -> Verdict:
    """`assembler(patch, base_rom)` may replace the sandboxed asar call (to keep its result)."""
    from triforce.romhack.prove import prove

    code, messages, quest, problem = answer_parts(answer, spec.spec.hook.routine)
    if code is None:
        return Verdict.fail("no-code", "no ```asm block with the patch")
    if problem:
        return Verdict.fail("parse-error", problem)
    proof = prove(spec.spec, code, messages=messages, quest=quest, assembler=assembler)
    checks = [
        CheckResult(name=c.name, passed=c.passed, message=c.message, details={"code": c.code, **c.details})
        for c in proof.checks
    ]
    if not checks:
        return Verdict.fail("structure", "nothing could be checked")
    return Verdict.from_checks(checks, "structure")


# --------------------------------------------------------------------------- mutants


def _with_asm(answer: str, old: str, new: str) -> str:
    return answer.replace(old, new, 1)


def _asm_block(answer: str) -> str:
    blocks = [m.group(3) for m in FENCE.finditer(answer) if m.group(2).lower() == "asm"]
    return blocks[-1] if blocks else ""


def _messages_block(answer: str) -> tuple[str, dict[str, Any]] | None:
    for m in FENCE.finditer(answer):
        if m.group(2).lower() == "json":
            try:
                return m.group(3), json.loads(m.group(3))
            except ValueError:
                return None
    return None


def _equivalent(m: Any, lines: list[str], s: CrossSpec) -> bool:
    """An `AND #mask` on the done flag's byte whose off-by-one only adds done-flag bits: the
    routine tests the done flag first, so those bits are known clear there (no input tells the
    two apart)."""
    if m.operator != "immediate-off-by-one" or m.line < 2 or m.line >= len(lines):
        return False
    line, before = lines[m.line - 1].split(";")[0].strip(), lines[m.line - 2].split(";")[0].strip()
    after = lines[m.line].split(";")[0].strip()
    old, _, new = m.description.partition(" -> ")
    # the counter's cap compares: at v = cap (first) or v + add = cap (second) both paths store cap
    if line.upper().startswith("CMP #") and (after.startswith("BCS .full") or after.startswith("BCC .store")):
        return True
    # an ORA on the done byte after the done flag was set: the added done bits are set already
    if line.upper().startswith("ORA #") and before.upper() == f"LDA.L ${s.done.address:06X}":
        added = int(new.lstrip("#$"), 16) ^ int(old.lstrip("#$"), 16)
        done_at = next(
            (i for i, ln in enumerate(lines) if "STA.l" in ln and f"${s.done.address:06X}" in ln), None
        )
        return added & ~s.done.mask == 0 and done_at is not None and done_at < m.line - 1
    if not line.upper().startswith("AND #") or before.upper() != f"LDA.L ${s.done.address:06X}":
        return False
    added = int(new.lstrip("#$"), 16) ^ int(old.lstrip("#$"), 16)
    done = f"${s.done.address:06X}"
    return added & ~s.done.mask == 0 and any(done in ln for ln in lines[: m.line - 2])


def mutants(reference: str, spec: RomhackSpec) -> list[tuple[str, str]]:
    """Typical wrong answers made from the reference: the 65816 slips of the ASM sensitivity
    operators on the patch, and cross-domain mistakes (wrong flag, missing or unconditional
    reward call, a write outside the declared ranges, an overflowing message, a hook to the wrong
    place, a hooked instruction lost, a wrong room tag or a missing door list)."""
    from triforce.evaluate.sensitivity import EQUIVALENT, mutants_of

    s = spec.spec
    code = _asm_block(reference)
    out: list[tuple[str, str]] = []
    lines = code.splitlines()
    for m in mutants_of("romhack", code):
        if ("romhack", m.description, m.line) in EQUIVALENT or _equivalent(m, lines, s):
            continue
        out.append((m.operator, _with_asm(reference, code, m.source.rstrip("\n") + "\n")))

    def edit(op: str, index: int, new: list[str]) -> None:
        changed = "\n".join([*lines[:index], *new, *lines[index + 1 :]]) + "\n"
        out.append((op, _with_asm(reference, code, changed)))

    done = f"${s.done.address:06X}"
    for i, line in enumerate(lines):
        stripped = line.strip()
        if done in line and "STA" in line:
            edit("wrong-flag", i, [line.replace(done, f"${s.done.address + 1:06X}")])
        if stripped.startswith("JSL") and ("ReceiveItem" in line or "Message" in line):
            edit("missing-call", i, [])
        if re.match(r"B(NE|EQ|CC|CS) \.skip", stripped):
            edit("condition-ignored", i, [])
        if stripped.startswith(f"JSL {s.hook.routine}"):
            edit("hook-elsewhere", i, [line.replace(s.hook.routine, f"{s.hook.routine}+4")])
        if stripped == ".skip":
            # the reward and messages run whatever the trigger says
            j = next(k for k, ln in enumerate(lines) if re.match(r"\s+BNE \.skip", ln))
            edit("reward-when-not-due", j, [])
        if re.match(r"db \$[0-9A-F]{2}, \$00\s+; tag", stripped):
            tag = int(stripped[4:6], 16)
            edit("wrong-tag", i, [line.replace(f"${tag:02X}, $00", f"${(tag + 1) % 65:02X}, $00", 1)])
        if stripped.startswith("db $F0, $FF"):
            edit("no-door-list", i, [])
        if stripped == "RTL" and i == max(k for k, ln in enumerate(lines) if ln.strip() == "RTL"):
            edit("hooked-instruction-lost", i - 1, [])
    out.append(
        ("write-outside-ranges", _with_asm(reference, code, f"{code.rstrip()}\n\norg $008000\n    db $42\n"))
    )
    found = _messages_block(reference)
    if found is not None:
        raw, data = found
        for key, text in (data.get("messages") or {}).items():
            longer = dict(data)
            longer["messages"] = {
                **data["messages"],
                key: text.replace("[2]", " and so the words run on[2]", 1),
            }
            out.append(
                (
                    "overflowing-message",
                    reference.replace(raw, json.dumps(longer, indent=2, ensure_ascii=False) + "\n", 1),
                )
            )
            missing = dict(data)
            missing["messages"] = {k: v for k, v in data["messages"].items() if k != key}
            out.append(
                (
                    "missing-message",
                    reference.replace(raw, json.dumps(missing, indent=2, ensure_ascii=False) + "\n", 1),
                )
            )
    return out
