"""Latency items: a short task that must be answered correctly *and* within the time budget.

The plan's target is under 2 s against the MoE's 4 s. The inner grading spec (any other kind)
keeps a fast wrong answer from counting.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from triforce.evaluate.graders import GradeContext, grade, spec_model
from triforce.evaluate.verdict import CheckResult, Verdict


class LatencySpec(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Literal["latency"]
    budget_s: float = Field(2.0, gt=0)
    baseline_s: float = Field(4.0, gt=0)
    inner: dict[str, Any] | None = None

    @field_validator("inner")
    @classmethod
    def _inner_valid(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None:
            if value.get("kind") == "latency":
                raise ValueError("a latency item cannot nest another latency item")
            spec_model(str(value.get("kind"))).model_validate(value)
        return value


def grade_latency(spec: LatencySpec, answer: str, ctx: GradeContext) -> Verdict:
    checks: list[CheckResult] = []
    if ctx.latency_s is None:
        checks.append(
            CheckResult(
                name="latency", passed=False, message="no timing recorded", details={"code": "too-slow"}
            )
        )
    else:
        ok = ctx.latency_s <= spec.budget_s
        checks.append(
            CheckResult(
                name="latency",
                passed=ok,
                message="" if ok else f"{ctx.latency_s:.2f} s exceeds the {spec.budget_s:.1f} s budget",
                details={"code": "too-slow", "latency_s": ctx.latency_s},
            )
        )
    if spec.inner is not None:
        inner = grade(spec.inner, answer, ctx)
        checks.append(
            CheckResult(
                name="answer",
                passed=inner.passed,
                message=inner.reason if not inner.passed else "",
                details={"code": inner.code},
            )
        )
    return Verdict.from_checks(checks, "too-slow")
