"""Cross-domain answers: a quest outline *and* its ASM implementation, both graded for truth.

The quest part is checked with the quest rubric, the code by execution; the item passes only when
both do, and partial credit counts every check of both halves.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict

from triforce.evaluate.answers import extract_json
from triforce.evaluate.graders import GradeContext
from triforce.evaluate.graders.asm import AsmSpec, grade_asm
from triforce.evaluate.graders.quest import QuestRules, quest_checks
from triforce.evaluate.verdict import CheckResult, Verdict


class CrossSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["cross"]
    quest: QuestRules
    asm: AsmSpec


def grade_cross(spec: CrossSpec, answer: str, ctx: GradeContext) -> Verdict:
    data, error = extract_json(answer)
    quest = (
        quest_checks(spec.quest, data)
        if data is not None
        else [CheckResult(name="quest outline", passed=False, message=error, details={"code": "parse-error"})]
    )
    code_verdict = grade_asm(spec.asm, answer, ctx)
    asm_checks = code_verdict.checks or [
        CheckResult(
            name="implementation",
            passed=False,
            message=code_verdict.reason,
            details={"code": code_verdict.code},
        )
    ]
    checks = [
        *(c.model_copy(update={"name": f"quest: {c.name}"}) for c in quest),
        *(c.model_copy(update={"name": f"asm: {c.name}"}) for c in asm_checks),
    ]
    return Verdict.from_checks(checks, "structure")
