"""The checkers verify-then-escalate uses when a request carries no grading spec of its own.

`check_asm` proves what can be proven about an assembly answer without knowing its contract:
1. the answer has assembly (the block chosen the way evaluation chooses it: fences of any name,
   thinking stripped, blocks fenced as another language ignored; the last block with code);
2. it assembles with the real asar in the sandbox (labels it uses but does not define become
   stubs, as in grading);
3. when it defines a label and ends in RTS or RTL, that routine is called with the matching
   convention on the 65816 core from a neutral state (8-bit A/X/Y, data bank $7E) and must return
   to its caller, with the stack where the caller left it, within 100,000 instructions, without
   BRK/COP/STP or running into I/O space. The execution check is `triforce.evaluate`'s ASM grader
   with no expected values: it says "this routine returns", never "this routine is right".

What the request says about the call overrides the neutral guesses (`asm_context`): the routine
it names (`routine AddTen`, a backticked name) is the entry when the answer defines it; "called
with JSL" / "(JSR)" fixes the convention (an RTS answer to a JSL request fails: the core sees it
return to the wrong place); "16-bit A", "8-bit X/Y", "entered with REP #$20", "M=0" set the
register widths; "DB=$7F" / "data bank $01" and "D=$0300" / "direct page $0300" the data bank and
direct page. The evidence names each value and where it came from.

An answer with no assembly is `unchecked` (an explanation needs no code); a hook that only
patches (`org` + `JML` back, no return) is proven to assemble.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from triforce.serve.router import request_text
from triforce.serve.verify import CheckContext, CheckOutcome

_LABEL = re.compile(r"^[ \t]*([A-Za-z_]\w*)[ \t]*:(?!:)", re.MULTILINE)
_RETURN = re.compile(r"^[^;\n]*\b(RTS|RTL)\b", re.IGNORECASE | re.MULTILINE)
_NEUTRAL_STATE = {"name": "neutral state (8-bit registers, DB=$7E)", "initial": {}, "expect": {}}
MAX_INSTRUCTIONS = 100_000

_NAMED = (
    re.compile(r"`([A-Za-z_][\w.]*)`"),
    re.compile(
        r"\b(?:routine|subroutine|label|function|entry(?: point)?|hook)\s+(?:named\s+|called\s+)?([A-Za-z_]\w*)"
    ),
)
_CONVENTION = (
    re.compile(
        r"\b(?:called|invoked|entered|reached|run)\s+(?:with|by|via|through|from)\s+(?:an?\s+)?(JSL|JSR)\b",
        re.IGNORECASE,
    ),
    re.compile(r"\((?:called\s+(?:with|by)\s+)?(JSL|JSR)\)", re.IGNORECASE),
    re.compile(r"\b(JSL|JSR)[- ](?:called|routine|subroutine)\b", re.IGNORECASE),
)
_BOTH_WIDTH = re.compile(r"\b(8|16)[- ]bit\s+(?:registers|mode|A/X/Y|A, X and Y)\b", re.IGNORECASE)
_A_WIDTH = (
    re.compile(r"\b(8|16)[- ]bit\s+(?:A\b|accumulator|memory\b)", re.IGNORECASE),
    re.compile(r"\b(?:A|accumulator)\s+(?:is|in|=|as)\s+(8|16)[- ]bit", re.IGNORECASE),
)
_X_WIDTH = (
    re.compile(r"\b(8|16)[- ]bit\s+(?:X/Y|X and Y|index(?:es| registers?)?|X\b)", re.IGNORECASE),
    re.compile(r"\b(?:X/Y|X and Y|index registers?)\s+(?:are|is|in|=|as)\s+(8|16)[- ]bit", re.IGNORECASE),
)
_FLAG = re.compile(r"\b([MX])\s*=\s*([01])\b")  # capital M/X: the P flags (x=1 is a register)
_REP_SEP = re.compile(
    r"\b(?:with|after|following|under|in)\s+(?:a\s+)?(REP|SEP)\s+#\$([0-9A-Fa-f]{1,2})\b", re.IGNORECASE
)
_DB = re.compile(
    r"\b(?:DB|DBR|[Dd]ata [Bb]ank(?: register)?)\s*(?:=|is|:|at|on|of)?\s*(?:bank\s*)?\$([0-9A-Fa-f]{2})\b(?!:?[0-9A-Fa-f])"
)
_DP = re.compile(
    r"\b(?:D|DP|direct page(?: register)?)\s*(?:=|is|:|at|of)?\s*\$([0-9A-Fa-f]{4})\b", re.IGNORECASE
)


def _has_code(code: str) -> bool:
    from triforce.snes.opcodes import MNEMONICS

    for line in code.splitlines():
        words = line.split(";", 1)[0].replace(":", " ").split()
        if any(w.split(".")[0].upper() in MNEMONICS for w in words[:2]):
            return True
    return False


@dataclass(frozen=True)
class AsmContext:
    """What the request says about how its routine is called (None: it does not say)."""

    entry: str | None = None
    names: tuple[str, ...] = ()  # routine names the request mentions
    convention: str | None = None  # "jsl" | "jsr"
    a16: bool | None = None
    x16: bool | None = None
    db: int | None = None
    d: int | None = None

    def initial(self) -> dict[str, int]:
        p = 0x30 & ~(0x20 if self.a16 else 0) & ~(0x10 if self.x16 else 0)
        out = {"p": p}
        if self.db is not None:
            out["db"] = self.db
        if self.d is not None:
            out["d"] = self.d
        return out

    def describe(self, entry: str, convention: str) -> str:
        said = []
        if self.convention:
            said.append(f"called with {self.convention.upper()}")
        if self.a16 is not None:
            said.append(f"{16 if self.a16 else 8}-bit A")
        if self.x16 is not None:
            said.append(f"{16 if self.x16 else 8}-bit X/Y")
        if self.db is not None:
            said.append(f"DB=${self.db:02X}")
        if self.d is not None:
            said.append(f"D=${self.d:04X}")
        if self.entry:
            said.append(f"entry {self.entry}")
        state = (
            f"{entry} by {convention.upper()} with {16 if self.a16 else 8}-bit A, "
            f"{16 if self.x16 else 8}-bit X/Y, DB=${self.db if self.db is not None else 0x7E:02X}"
            + (f", D=${self.d:04X}" if self.d is not None else "")
        )
        return state + (
            f" (the request says: {', '.join(said)})" if said else " (neutral: the request says nothing)"
        )


def _width(patterns: tuple[re.Pattern[str], ...], text: str) -> bool | None:
    for pattern in patterns:
        m = pattern.search(text)
        if m:
            return m.group(1) == "16"
    return None


def asm_context(messages: list[dict[str, Any]], labels: list[str]) -> AsmContext:
    """Read the call's context from the request (the last user turn): see the module docstring."""
    text = request_text(messages)
    names: list[str] = []
    for pattern in _NAMED:
        names += [n for n in pattern.findall(text) if n not in names]
    entry = next((n for n in names if n in labels), None)
    convention = None
    for pattern in _CONVENTION:
        m = pattern.search(text)
        if m:
            convention = m.group(1).lower()
            break
    both = _BOTH_WIDTH.search(text)
    a16 = _width(_A_WIDTH, text)
    x16 = _width(_X_WIDTH, text)
    if both:
        a16 = (both.group(1) == "16") if a16 is None else a16
        x16 = (both.group(1) == "16") if x16 is None else x16
    for flag, value in _FLAG.findall(text):
        if flag == "M" and a16 is None:
            a16 = value == "0"
        if flag == "X" and x16 is None:
            x16 = value == "0"
    for op, value in _REP_SEP.findall(text):
        bits = int(value, 16)
        wide = op.upper() == "REP"
        if bits & 0x20 and a16 is None:
            a16 = wide
        if bits & 0x10 and x16 is None:
            x16 = wide
    db = _DB.search(text)
    dp = _DP.search(text)
    return AsmContext(
        entry=entry,
        names=tuple(names),
        convention=convention,
        a16=a16,
        x16=x16,
        db=int(db.group(1), 16) if db else None,
        d=int(dp.group(1), 16) if dp else None,
    )


def check_asm(answer: str, ctx: CheckContext) -> CheckOutcome:
    from triforce.evaluate.answers import asm_blocks
    from triforce.evaluate.graders.asm import AsmSpec, grade_assembled
    from triforce.snes.asar import SandboxLimits, assemble

    blocks = [b for b in asm_blocks(answer) if _has_code(b.code)]
    if not blocks:
        return CheckOutcome("asm", "unchecked", "no-code", "no assembly in the answer")
    code = blocks[-1].code
    note = f"block {len(blocks)} of {len(blocks)} with code" if len(blocks) > 1 else "the answer's code"
    result = assemble(code, org=0x008000, stubs=True, limits=SandboxLimits(timeout_s=ctx.timeout_s))
    labels = _LABEL.findall(code)
    returns = _RETURN.findall(code)
    if not result.ok or not labels or not returns:
        # No routine to call: what asar says is the whole proof (grade_assembled words its errors).
        spec = AsmSpec.model_validate(
            {"entry": labels[0] if labels else "_", "convention": "jsl", "states": [_NEUTRAL_STATE]}
        )
        verdict = grade_assembled(spec, result) if not result.ok else None
        if verdict is not None:
            return CheckOutcome("asm", "failed", verdict.code, f"{note}: {verdict.reason}")
        why = "defines no label" if not labels else "has no RTS/RTL"
        return CheckOutcome(
            "asm",
            "passed",
            "ok",
            f"{note} assembles with asar ({why}: not run)",
            [{"name": "asar", "passed": True}],
        )
    context = asm_context(ctx.messages, labels)
    entry = context.entry or labels[0]
    convention = context.convention or ("jsl" if returns[-1].upper() == "RTL" else "jsr")
    how = context.describe(entry, convention)
    state = {"name": how, "initial": context.initial(), "expect": {}}
    spec = AsmSpec.model_validate(
        {
            "entry": entry,
            "convention": convention,
            "states": [state],
            "max_instructions": MAX_INSTRUCTIONS,
            "guard_writes": False,
        }
    )
    verdict = grade_assembled(spec, result)
    checks = [{"name": "asar", "passed": True}, {"name": "call", "passed": True, "message": how}]
    checks += [c.model_dump() for c in verdict.checks]
    if not verdict.passed:
        first = next((c.message for c in verdict.checks if not c.passed), verdict.reason)
        reason = f"{note}: {entry} (called by {convention.upper()}) {first}"
        return CheckOutcome("asm", "failed", verdict.code, reason, checks)
    return CheckOutcome(
        "asm",
        "passed",
        "ok",
        f"{note} assembles and {entry} returns to its {convention.upper()} caller: {how}",
        checks,
    )
