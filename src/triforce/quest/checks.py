"""The checks a designer applies to a quest, each one proven by a program.

- completable: played in order from the start state (items, flags, trades), no step needs what
  it does not hold; a miss says whether a later step grants it (wrong order), a trade took it,
  or nothing grants it (a softlock); a search over items and flags says whether any order works;
- grants: the reward (and whatever the brief demands) is granted;
- locations: every place exists in the KB (the hack's scope for a hack's quest);
- beats: no long run of one kind of step; enough different kinds;
- set-up before conflict: no fight, puzzle or escort before a story, talk or explore beat;
- payoff: the quest ends on a reward;
- flags: one address per flag, every flag a step uses is declared, addresses in WRAM, no bit
  shared with another flag of the quest or with memory the game or the hack already uses.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from pydantic import BaseModel, ConfigDict, Field

from triforce.lore.kb import VANILLA, KnowledgeBase, vanilla
from triforce.lore.memory import WRAM_END, WRAM_START, conflicts
from triforce.lore.names import normalise
from triforce.lore.progress import Step as SearchStep
from triforce.lore.progress import solve
from triforce.quest.model import CONFLICT, SETUP, STEP_KINDS, Quest


class QuestRules(BaseModel):
    """What a brief asks of a quest (the defaults are the designer's general rules)."""

    model_config = ConfigDict(extra="forbid")
    min_steps: int = Field(default=3, ge=1)
    max_steps: int = Field(default=12, ge=1)
    start_items: list[str] = Field(default_factory=list)
    must_grant: list[str] = Field(default_factory=list)
    must_include_kinds: list[str] = Field(default_factory=list)
    max_same_kind_run: int = Field(default=2, ge=1)
    min_distinct_kinds: int = Field(default=3, ge=1)  # for quests of 5 steps or more
    end_kind: str = "reward"
    opening_kinds: list[str] = Field(default_factory=lambda: sorted(SETUP))
    known_locations: bool = True
    check_flags: bool = True
    scope: str = VANILLA


@dataclass
class Finding:
    check: str
    passed: bool
    message: str = ""
    step: int | None = None  # 1-based step number the finding is about

    def to_json(self) -> dict[str, object]:
        return {"check": self.check, "passed": self.passed, "message": self.message, "step": self.step}


@dataclass
class QuestReport:
    findings: list[Finding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return all(f.passed for f in self.findings)

    @property
    def failures(self) -> list[Finding]:
        return [f for f in self.findings if not f.passed]


def _n(items: list[str]) -> set[str]:
    return {normalise(i) for i in items if normalise(i)}


def _completable(quest: Quest, rules: QuestRules) -> Finding:
    held = _n(quest.start_items) | _n(rules.start_items)
    flags = set(quest.start_flags)
    consumed: dict[str, int] = {}
    spelled = {normalise(x): x for s in quest.steps for x in (*s.requires, *s.grants, *s.consumes)}
    for number, step in enumerate(quest.steps, start=1):
        missing = sorted(_n(step.requires) - held)
        missing_flags = sorted(set(step.requires_flags) - flags)
        if missing or missing_flags:
            what = missing[0] if missing else missing_flags[0]
            later = [
                j
                for j, s in enumerate(quest.steps[number:], start=number + 1)
                if what in _n(s.grants) or what in s.sets_flags
            ]
            if what in consumed:
                why = f"step {consumed[what]} took it away (a trade) and nothing gives it back: a softlock"
            elif later:
                why = f"only step {later[0]} (later) grants it"
            else:
                why = "nothing grants it and the player does not start with it: a softlock"
            hint = ""
            if later and _any_order_works(quest, rules):
                hint = "; a search over items and flags finds an order that works"
            shown = spelled.get(what, what)
            return Finding("completable", False, f"step {number} needs {shown!r}, but {why}{hint}", number)
        for item in _n(step.consumes):
            held.discard(item)
            consumed[item] = number
        held |= _n(step.grants)
        flags |= set(step.sets_flags)
    return Finding("completable", True)


def _any_order_works(quest: Quest, rules: QuestRules) -> bool:
    steps = {
        f"s{i}": SearchStep(
            frozenset(_n(s.requires) | set(s.requires_flags)), frozenset(_n(s.grants) | set(s.sets_flags))
        )
        for i, s in enumerate(quest.steps)
    }
    return solve(steps, _n(quest.start_items) | _n(rules.start_items) | set(quest.start_flags)).complete


def granted(quest: Quest, rules: QuestRules | None = None) -> set[str]:
    start = _n(quest.start_items) | (_n(rules.start_items) if rules else set())
    return start | {g for s in quest.steps for g in _n(s.grants)}


def _beats(quest: Quest, rules: QuestRules) -> list[Finding]:
    kinds = [s.kind for s in quest.steps]
    longest, run, worst = 1, 1, kinds[0]
    for a, b in itertools.pairwise(kinds):
        run = run + 1 if a == b else 1
        if run > longest:
            longest, worst = run, b
    out = [
        Finding(
            "beats vary",
            longest <= rules.max_same_kind_run,
            f"{longest} '{worst}' steps in a row (at most {rules.max_same_kind_run})",
        )
    ]
    if len(kinds) >= 5:
        distinct = len(set(kinds))
        out.append(
            Finding(
                "beat variety",
                distinct >= rules.min_distinct_kinds,
                f"only {distinct} kind(s) of step in {len(kinds)} steps (at least {rules.min_distinct_kinds})",
            )
        )
    absent = [k for k in rules.must_include_kinds if k not in kinds]
    if rules.must_include_kinds:
        out.append(Finding("required beats", not absent, f"no step of kind {absent}"))
    return out


def _setup_and_payoff(quest: Quest, rules: QuestRules) -> list[Finding]:
    kinds = [s.kind for s in quest.steps]
    first_conflict = next((i for i, k in enumerate(kinds) if k in CONFLICT), None)
    setup_first = first_conflict is None or any(k in SETUP for k in kinds[:first_conflict])
    return [
        Finding(
            "opening",
            kinds[0] in rules.opening_kinds,
            f"opens with '{kinds[0]}'; open with one of {rules.opening_kinds}",
            1,
        ),
        Finding(
            "set-up before conflict",
            setup_first,
            f"step {(first_conflict or 0) + 1} is a '{kinds[first_conflict or 0]}' before any story, talk or explore beat",
            (first_conflict or 0) + 1,
        ),
        Finding(
            "payoff",
            kinds[-1] == rules.end_kind,
            f"ends with '{kinds[-1]}', not a '{rules.end_kind}'",
            len(kinds),
        ),
    ]


def _locations(quest: Quest, kb: KnowledgeBase, scope: str) -> Finding:
    unknown = [
        (i, s.location)
        for i, s in enumerate(quest.steps, start=1)
        if kb.resolve(s.location, scope, kinds=("place", "dungeon")) is None
    ]
    if unknown:
        i, loc = unknown[0]
        more = f" (and {len(unknown) - 1} more)" if len(unknown) > 1 else ""
        return Finding("locations", False, f"step {i}: {loc!r} is not a place in the KB ({scope}){more}", i)
    return Finding("locations", True)


def _flags(quest: Quest, kb: KnowledgeBase, scope: str) -> list[Finding]:
    problems: list[str] = []
    by_name: dict[str, set[int]] = {}
    for f in quest.flags:
        by_name.setdefault(f.name, set()).add(f.address)
    for name, addrs in by_name.items():
        if len(addrs) > 1:
            problems.append(f"flag {name!r} has {len(addrs)} addresses (one address per flag)")
    used = {n for s in quest.steps for n in (*s.requires_flags, *s.sets_flags)} | set(quest.start_flags)
    undeclared = sorted(used - set(by_name))
    if undeclared:
        problems.append(f"flag(s) {undeclared} are used by a step but not declared with an address")
    for f in quest.flags:
        if not WRAM_START <= f.address <= WRAM_END:
            problems.append(f"flag {f.name!r} at ${f.address:06X} is not in WRAM ($7E0000-$7FFFFF)")
            continue
        known = kb.resolve(f.name, scope, kinds=("flag", "ram"))
        if known is not None:
            addr = kb.facts(known.id, "address", scope)
            want = addr[0].object if addr else None
            if want is not None and want != f"${f.address:06X}":
                problems.append(f"flag {f.name!r} is {known.name} at {want} in the KB, not ${f.address:06X}")
                continue
        # a flag the game or hack already has is used knowingly; it must still not share bits with another
        hits = [
            u for u in conflicts(kb, f.address, f.bits, 1, scope) if known is None or u.entity != known.id
        ]
        if hits:
            problems.append(
                f"flag {f.name!r} (${f.address:06X}, mask ${f.bits:02X}) collides with {hits[0].describe(kb)}"
            )
    for a, b in itertools.combinations(quest.flags, 2):
        if a.name != b.name and a.address == b.address and a.bits & b.bits:
            problems.append(f"flags {a.name!r} and {b.name!r} share bits of ${a.address:06X}")
    return [Finding("flags", not problems, "; ".join(problems))]


def check_quest(
    quest: Quest, rules: QuestRules | None = None, kb: KnowledgeBase | None = None
) -> QuestReport:
    """Every designer check on one quest."""
    rules = rules or QuestRules()
    kb = kb or vanilla()
    n = len(quest.steps)
    findings = [
        Finding(
            "step count",
            rules.min_steps <= n <= rules.max_steps,
            f"{n} steps, expected {rules.min_steps}-{rules.max_steps}",
        ),
        _completable(quest, rules),
    ]
    have = granted(quest, rules)
    must = [*rules.must_grant, *quest.reward]
    not_granted = [i for i in must if normalise(i) not in have]
    findings.append(Finding("grants", not not_granted, f"never grants {not_granted}"))
    findings += _beats(quest, rules) + _setup_and_payoff(quest, rules)
    if rules.known_locations:
        findings.append(_locations(quest, kb, rules.scope))
    if rules.check_flags:
        findings += _flags(quest, kb, rules.scope)
    return QuestReport(findings)


__all__ = ["STEP_KINDS", "Finding", "QuestReport", "QuestRules", "check_quest", "granted"]
