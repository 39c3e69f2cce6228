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

An answer with no assembly is `unchecked` (an explanation needs no code); a hook that only
patches (`org` + `JML` back, no return) is proven to assemble.
"""

from __future__ import annotations

import re

from triforce.serve.verify import CheckContext, CheckOutcome

_LABEL = re.compile(r"^[ \t]*([A-Za-z_]\w*)[ \t]*:(?!:)", re.MULTILINE)
_RETURN = re.compile(r"^[^;\n]*\b(RTS|RTL)\b", re.IGNORECASE | re.MULTILINE)
_NEUTRAL_STATE = {"name": "neutral state (8-bit registers, DB=$7E)", "initial": {}, "expect": {}}
MAX_INSTRUCTIONS = 100_000


def _has_code(code: str) -> bool:
    from triforce.snes.opcodes import MNEMONICS

    for line in code.splitlines():
        words = line.split(";", 1)[0].replace(":", " ").split()
        if any(w.split(".")[0].upper() in MNEMONICS for w in words[:2]):
            return True
    return False


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
    entry = labels[0]
    convention = "jsl" if returns[-1].upper() == "RTL" else "jsr"
    spec = AsmSpec.model_validate(
        {
            "entry": entry,
            "convention": convention,
            "states": [_NEUTRAL_STATE],
            "max_instructions": MAX_INSTRUCTIONS,
            "guard_writes": False,
        }
    )
    verdict = grade_assembled(spec, result)
    checks = [{"name": "asar", "passed": True}] + [c.model_dump() for c in verdict.checks]
    if not verdict.passed:
        first = next((c.message for c in verdict.checks if not c.passed), verdict.reason)
        reason = f"{note}: {entry} (called by {convention.upper()}) {first}"
        return CheckOutcome("asm", "failed", verdict.code, reason, checks)
    return CheckOutcome(
        "asm",
        "passed",
        "ok",
        f"{note} assembles and {entry} returns to its {convention.upper()} caller",
        checks,
    )
