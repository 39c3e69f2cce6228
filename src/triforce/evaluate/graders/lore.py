"""Lore answers: structured claims checked against the canon fact table, field by field.

The prompt asks for a JSON object; each field is bound to a fact id. A field that disagrees with
canon is a contradiction, a missing field is a miss. No word-overlap scoring.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from triforce.evaluate.answers import extract_json
from triforce.evaluate.facts import facts, matches_fact
from triforce.evaluate.graders import GradeContext
from triforce.evaluate.verdict import CheckResult, Verdict


class LoreSpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["lore-facts"]
    fields: dict[str, str] = Field(min_length=1)  # answer field -> fact id

    @field_validator("fields")
    @classmethod
    def _known(cls, value: dict[str, str]) -> dict[str, str]:
        unknown = sorted(set(value.values()) - set(facts()))
        if unknown:
            raise ValueError(f"unknown fact id(s): {', '.join(unknown)}")
        return value


def lore_checks(spec_fields: dict[str, str], data: object) -> list[CheckResult]:
    checks: list[CheckResult] = []
    for field, fact_id in spec_fields.items():
        if not isinstance(data, dict) or field not in data:
            checks.append(
                CheckResult(name=field, passed=False, message="field missing", details={"code": "structure"})
            )
            continue
        ok, expected = matches_fact(fact_id, data[field])
        checks.append(
            CheckResult(
                name=field,
                passed=ok,
                message=""
                if ok
                else f"contradicts canon ({fact_id}): expected {expected!r}, got {data[field]!r}",
                details={"code": "fact-contradiction"},
            )
        )
    return checks


def grade_lore(spec: LoreSpec, answer: str, ctx: GradeContext) -> Verdict:
    data, error = extract_json(answer)
    if data is None:
        return Verdict.fail("parse-error", error)
    return Verdict.from_checks(lore_checks(spec.fields, data), "fact-contradiction")
