"""Verify, then escalate: check a specialist's answer with a truth machine before the caller sees it.

The plan's "use triforce-sage when..." made checkable. For a request in a domain Triforce can check
(a checker is registered for it in `checkers.yaml`), with `x_triforce: {"verify": true}` in the
request or `triforce serve --verify`:

1. the routed model answers (with its fallbacks, as any request);
2. the checker proves or refutes the answer (ASM: asar in the sandbox, then execution on the
   65816 core; a request may carry a full evaluation grading spec instead, `{"verify":
   {"grading": {...}}}`, graded by `triforce.evaluate`'s grader of that kind);
3. when it fails, the unified model (triforce-sage) is asked again with the failed answer and the
   checker's finding in the conversation, up to `max_escalations` times;
4. the first answer that passes is returned; when none does, the last one, marked failed. The
   evidence (each attempt's model, verdict, reason, checks and time) is in `x_triforce.verify`.

A checker is one function `(answer, CheckContext) -> CheckOutcome` and one line in
`checkers.yaml` (`router-domain: module:function`); checks run in worker threads (asar is a
subprocess, execution is CPU work) so the event loop keeps serving other requests.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from importlib import import_module, resources
from typing import Any, Literal

import yaml

from triforce.errors import ConfigError

Status = Literal["passed", "failed", "unchecked"]


@dataclass(frozen=True)
class CheckContext:
    messages: list[dict[str, Any]]  # the caller's conversation
    timeout_s: float = 10.0  # wall-clock limit for one sandboxed tool run


@dataclass
class CheckOutcome:
    checker: str
    status: Status  # unchecked: nothing in the answer this checker can prove either way
    code: str = "ok"
    reason: str = ""
    checks: list[dict[str, Any]] = field(default_factory=list)
    elapsed_s: float = 0.0

    @property
    def passed(self) -> bool:
        return self.status == "passed"

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "checker": self.checker,
            "status": self.status,
            "code": self.code,
            "reason": self.reason,
            "elapsed_s": round(self.elapsed_s, 4),
        }
        if self.checks:
            out["checks"] = self.checks
        return out


CheckFn = Callable[[str, CheckContext], CheckOutcome]


@dataclass(frozen=True)
class VerifyRequest:
    """What a request asked for: verification on or off, optionally with a grading spec."""

    enabled: bool
    grading: dict[str, Any] | None = None


def parse_request(x_triforce: Any, server_default: bool) -> VerifyRequest:
    """`x_triforce.verify`: true | false | {"grading": {...}}; absent → the server's `--verify`."""
    from triforce.serve.protocol import bad_request

    if x_triforce is None:
        return VerifyRequest(server_default)
    if not isinstance(x_triforce, dict):
        raise bad_request("'x_triforce' must be an object", param="x_triforce")
    value = x_triforce.get("verify", server_default)
    if isinstance(value, bool):
        return VerifyRequest(value)
    if isinstance(value, dict) and set(value) <= {"grading"} and isinstance(value.get("grading"), dict):
        grading = value["grading"]
        from pydantic import ValidationError

        from triforce.evaluate.graders import GRADER_KINDS, spec_model

        if grading.get("kind") not in GRADER_KINDS:
            raise bad_request(
                f"x_triforce.verify.grading.kind must be one of {', '.join(GRADER_KINDS)}",
                param="x_triforce.verify.grading.kind",
            )
        try:
            spec_model(str(grading["kind"])).model_validate(grading)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first["loc"])
            raise bad_request(
                f"x_triforce.verify.grading.{where}: {first['msg']}",
                param=f"x_triforce.verify.grading.{where}",
            ) from None
        return VerifyRequest(True, grading)
    raise bad_request(
        "'x_triforce.verify' must be true, false or {\"grading\": {...}}", param="x_triforce.verify"
    )


@cache
def checkers() -> dict[str, tuple[str, CheckFn]]:
    """router domain -> (checker name, function), from `checkers.yaml`."""
    text = (resources.files("triforce.serve") / "checkers.yaml").read_text(encoding="utf-8")
    out: dict[str, tuple[str, CheckFn]] = {}
    for domain, target in (yaml.safe_load(text) or {}).items():
        module, _, name = str(target).partition(":")
        try:
            fn = getattr(import_module(module), name)
        except (ImportError, AttributeError) as exc:
            raise ConfigError(f"checkers.yaml: {domain}: cannot load {target} ({exc})") from exc
        out[str(domain)] = (f"{domain}", fn)
    return out


class Verifier:
    """Chooses the checker for a request and runs it off the event loop, a few at a time."""

    def __init__(self, *, parallel: int = 2, timeout_s: float = 10.0) -> None:
        self.timeout_s = timeout_s
        self._gate = asyncio.Semaphore(max(1, parallel))

    def select(self, request: VerifyRequest, domains: tuple[str, ...]) -> tuple[str, CheckFn] | None:
        """The checker for this request: its grading spec, else the first of its routed domains
        that has a checker (so a cross-domain answer with assembly in it gets the ASM check)."""
        if not request.enabled:
            return None
        if request.grading is not None:
            spec = request.grading
            return f"grading:{spec['kind']}", lambda answer, ctx: graded(spec, answer, ctx)
        table = checkers()
        found = [table[d] for d in dict.fromkeys(domains) if d in table]
        if len(found) <= 1:
            return found[0] if found else None
        # A model of several checkable domains (seph-tilesmith: graphics and compression): the
        # first checker that finds a task it knows in the request decides.
        return "+".join(name for name, _ in found), lambda answer, ctx: _first_applicable(found, answer, ctx)

    async def check(self, checker: tuple[str, CheckFn], answer: str, ctx: CheckContext) -> CheckOutcome:
        name, fn = checker
        async with self._gate:
            start = time.perf_counter()
            try:
                outcome = await asyncio.to_thread(fn, answer, ctx)
            except Exception as exc:  # a checker bug must not fail the request: say so instead
                outcome = CheckOutcome(name, "unchecked", "checker-error", f"{exc.__class__.__name__}: {exc}")
            outcome.checker = outcome.checker or name
            outcome.elapsed_s = time.perf_counter() - start
        return outcome


def _first_applicable(found: list[tuple[str, CheckFn]], answer: str, ctx: CheckContext) -> CheckOutcome:
    outcome = CheckOutcome("", "unchecked", "no-task", "")
    reasons = []
    for name, fn in found:
        outcome = fn(answer, ctx)
        outcome.checker = outcome.checker or name
        if outcome.code != "no-task":
            return outcome
        reasons.append(f"{name}: {outcome.reason}")
    outcome.checker = "+".join(name for name, _ in found)
    outcome.reason = "; ".join(reasons)
    return outcome


def graded(spec: dict[str, Any], answer: str, ctx: CheckContext) -> CheckOutcome:
    """The answer graded by `triforce.evaluate`'s grader of `spec['kind']` (a request's own spec,
    or one a checker read from the request: `domain_checks.py`)."""
    from triforce.evaluate.graders import GradeContext, grade

    try:
        verdict = grade(spec, answer, GradeContext(asm_timeout_s=ctx.timeout_s))
    except ValueError as exc:  # pydantic: the spec itself is wrong
        return CheckOutcome(f"grading:{spec.get('kind')}", "unchecked", "bad-spec", str(exc)[:500])
    return CheckOutcome(
        f"grading:{spec.get('kind')}",
        "passed" if verdict.passed else "failed",
        verdict.code,
        verdict.reason,
        [c.model_dump() for c in verdict.checks[:16]],
    )


def escalation_messages(
    messages: list[dict[str, Any]], answer: str, outcome: CheckOutcome
) -> list[dict[str, Any]]:
    """The conversation plus the failed answer and what the check found, for the next model."""
    finding = outcome.reason or outcome.code
    failing = [c for c in outcome.checks if not c.get("passed", True)]
    if failing:
        finding += "\n" + "\n".join(f"- {c.get('name')}: {c.get('message')}" for c in failing[:4])
    return [
        *messages,
        {"role": "assistant", "content": answer},
        {
            "role": "user",
            "content": (
                f"Triforce checked the answer above ({outcome.checker}) and it failed:\n{finding}\n\n"
                "Write a corrected, complete answer to the original request, in the same format."
            ),
        },
    ]
