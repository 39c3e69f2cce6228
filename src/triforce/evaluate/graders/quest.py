"""Quest answers: a JSON quest checked by the quest model (`triforce.quest`), never for wording.

The answer is parsed into the quest schema; every designer check (completable from the start
state, grants, known places, varied beats, set-up before conflict, payoff, flags) becomes one
check of the verdict, and the pacing metrics ride along in the details.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ValidationError

from triforce.evaluate.answers import extract_json
from triforce.evaluate.graders import GradeContext
from triforce.evaluate.verdict import CheckResult, Verdict
from triforce.quest import Quest, QuestRules, check_quest, pacing
from triforce.quest.model import STEP_KINDS


class QuestSpec(QuestRules):
    kind: Literal["quest-structure"]


def _schema_error(exc: ValidationError) -> str:
    first = exc.errors()[0]
    where = ".".join(str(p) for p in first["loc"])
    hint = f" (kinds: {', '.join(STEP_KINDS)})" if where.endswith("kind") else ""
    return f"{where}: {first['msg']}{hint}"


def quest_checks(rules: QuestRules, data: Any) -> list[CheckResult]:
    """The quest model's findings on an answer's JSON, as verdict checks."""
    try:
        quest = Quest.model_validate(data)
    except ValidationError as exc:
        return [
            CheckResult(
                name="schema", passed=False, message=_schema_error(exc), details={"code": "structure"}
            )
        ]
    report = check_quest(quest, rules)
    metrics = pacing(quest, scope=rules.scope).to_json()
    return [
        CheckResult(
            name=f.check,
            passed=f.passed,
            message="" if f.passed else f.message,
            details={"code": "structure", **({"pacing": metrics} if i == 0 else {})},
        )
        for i, f in enumerate(report.findings)
    ]


def grade_quest(spec: QuestSpec, answer: str, ctx: GradeContext) -> Verdict:
    data, error = extract_json(answer)
    if data is None:
        return Verdict.fail("parse-error", error)
    return Verdict.from_checks(quest_checks(spec, data), "structure")


def mutants(reference: str, spec: QuestSpec) -> list[tuple[str, str]]:
    """Typical wrong quests made from the reference, as (mistake, answer), for `triforce eval
    sensitivity`."""
    from triforce.quest.mutate import mutate_quest

    data, _ = extract_json(reference)
    if data is None:
        return []
    return [(op, text) for op, _, text in mutate_quest(Quest.model_validate(data), spec)]
