"""Quest answers: a JSON quest outline checked for structure and pacing, never for wording.

Checks are the ones a designer applies: the quest can be completed in order (every requirement
is granted by an earlier step or held at the start: no softlock), it grants what it must, it ends
on a payoff, it varies its beats (no long run of the same kind of step), it opens with set-up
rather than a fight, and it names places that exist on the map.
"""

from __future__ import annotations

import itertools
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from triforce.evaluate.answers import extract_json
from triforce.evaluate.facts import locations, normalise
from triforce.evaluate.graders import GradeContext
from triforce.evaluate.verdict import CheckResult, Verdict

STEP_KINDS = ("story", "explore", "puzzle", "combat", "reward")


class QuestRules(BaseModel):
    model_config = ConfigDict(extra="forbid")
    min_steps: int = Field(3, ge=1)
    max_steps: int = Field(12, ge=1)
    start_items: list[str] = Field(default_factory=list)
    must_grant: list[str] = Field(default_factory=list)
    must_include_kinds: list[str] = Field(default_factory=list)
    max_same_kind_run: int = Field(2, ge=1)
    end_kind: str = "reward"
    opening_kinds: list[str] = Field(default_factory=lambda: ["story", "explore"])
    known_locations: bool = True


class QuestSpec(QuestRules):
    kind: Literal["quest-structure"]


def _items(step: dict[str, Any], key: str) -> list[str]:
    raw = step.get(key, [])
    return [normalise(str(x)) for x in raw] if isinstance(raw, list) else [normalise(str(raw))]


def quest_checks(rules: QuestRules, data: Any) -> list[CheckResult]:
    def check(name: str, ok: bool, message: str) -> CheckResult:
        return CheckResult(name=name, passed=ok, message="" if ok else message, details={"code": "structure"})

    steps = data.get("steps") if isinstance(data, dict) else None
    if not isinstance(steps, list) or not all(isinstance(s, dict) for s in steps):
        return [check("steps", False, "the answer has no 'steps' list of objects")]
    kinds = [str(s.get("kind", "")).lower() for s in steps]
    checks = [
        check(
            "step count",
            rules.min_steps <= len(steps) <= rules.max_steps,
            f"{len(steps)} steps, expected {rules.min_steps}-{rules.max_steps}",
        ),
        check(
            "step kinds",
            all(k in STEP_KINDS for k in kinds),
            f"unknown kind(s) {sorted(set(kinds) - set(STEP_KINDS))}; use {', '.join(STEP_KINDS)}",
        ),
    ]
    held = {normalise(i) for i in rules.start_items}
    softlock = ""
    for number, step in enumerate(steps, start=1):
        missing = [r for r in _items(step, "requires") if r not in held]
        if missing and not softlock:
            softlock = f"step {number} requires {missing} before any step grants it"
        held.update(_items(step, "grants"))
    checks.append(check("completable in order", not softlock, softlock))
    not_granted = [i for i in rules.must_grant if normalise(i) not in held]
    checks.append(check("grants", not not_granted, f"never grants {not_granted}"))
    absent = [k for k in rules.must_include_kinds if k not in kinds]
    checks.append(check("beat variety", not absent, f"no step of kind {absent}"))
    longest, run, worst = 1, 1, kinds[0] if kinds else ""
    for a, b in itertools.pairwise(kinds):
        run = run + 1 if a == b else 1
        if run > longest:
            longest, worst = run, b
    checks.append(
        check(
            "pacing",
            longest <= rules.max_same_kind_run,
            f"{longest} '{worst}' steps in a row (max {rules.max_same_kind_run})",
        )
    )
    checks.append(
        check(
            "opening",
            bool(kinds) and kinds[0] in rules.opening_kinds,
            f"opens with {kinds[:1]}, expected one of {rules.opening_kinds}",
        )
    )
    checks.append(
        check(
            "payoff",
            bool(kinds) and kinds[-1] == rules.end_kind,
            f"ends with {kinds[-1:]}, expected '{rules.end_kind}'",
        )
    )
    if rules.known_locations:
        known = locations()
        unknown = [
            str(s.get("location")) for s in steps if normalise(str(s.get("location", ""))) not in known
        ]
        checks.append(check("locations", not unknown, f"unknown location(s) {unknown[:3]}"))
    return checks


def grade_quest(spec: QuestSpec, answer: str, ctx: GradeContext) -> Verdict:
    data, error = extract_json(answer)
    if data is None:
        return Verdict.fail("parse-error", error)
    return Verdict.from_checks(quest_checks(spec, data), "structure")
