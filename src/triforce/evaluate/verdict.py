"""The outcome of grading one answer: pass/fail, partial credit, and why.

A verdict always says *why* in words a person can act on ("did not assemble: ...", "state 3
'empty wallet': register A expected $0000, got $0001") and carries a short `code` so a report can
count failure reasons without parsing sentences.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

# Reason codes a report groups by. "ok" is the only passing code.
REASON_CODES = (
    "ok",
    "backend-error",
    "no-code",
    "entry-missing",
    "assemble-error",
    "wrong-register",
    "wrong-memory",
    "wrong-flag",
    "instruction-limit",
    "bad-stop",
    "parse-error",
    "invalid-format",
    "wrong-content",
    "fact-contradiction",
    "structure",
    "too-slow",
    # C++ (graders/cpp.py): refused by the sandbox scan, signature changed, g++ errors, wrong bytes
    *("refused", "signature", "compile-error", "build-error", "wrong-output"),
)


class CheckResult(BaseModel):
    """One test state (or one rubric check): did it pass, and the first mismatch if not."""

    model_config = ConfigDict(extra="forbid")
    name: str
    passed: bool
    message: str = ""
    details: dict[str, Any] = Field(default_factory=dict)


class Verdict(BaseModel):
    model_config = ConfigDict(extra="forbid")
    passed: bool
    score: float = 0.0  # partial credit in [0, 1]: fraction of states/checks passed
    code: str = "ok"
    reason: str = ""
    checks: list[CheckResult] = Field(default_factory=list)

    @field_validator("code")
    @classmethod
    def _known_code(cls, value: str) -> str:
        if value not in REASON_CODES:
            raise ValueError(f"unknown reason code {value!r}")
        return value

    @classmethod
    def fail(cls, code: str, reason: str, checks: list[CheckResult] | None = None) -> Verdict:
        checks = checks or []
        score = sum(c.passed for c in checks) / len(checks) if checks else 0.0
        return cls(passed=False, score=score, code=code, reason=reason, checks=checks)

    @classmethod
    def from_checks(cls, checks: list[CheckResult], fail_code: str) -> Verdict:
        """Pass when every check passed; the reason names the first failing check."""
        if not checks:
            return cls.fail(fail_code, "no checks were run")
        failed = [c for c in checks if not c.passed]
        score = (len(checks) - len(failed)) / len(checks)
        if not failed:
            return cls(
                passed=True, score=1.0, code="ok", reason=f"all {len(checks)} checks passed", checks=checks
            )
        first = failed[0]
        code = str(first.details.get("code", fail_code))
        reason = f"{len(failed)}/{len(checks)} failed; first: {first.name}: {first.message}"
        return cls(passed=False, score=score, code=code, reason=reason, checks=checks)
