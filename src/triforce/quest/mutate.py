"""Typical mistakes in a quest design, made on purpose: each turns a good quest into a broken one.

Used to measure how sensitive the quest checks are (every mutant must be rejected) and to build
"find what is wrong with this quest" material. Each mutant is (operator, description, answer text).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from triforce.lore.kb import VANILLA, KnowledgeBase, vanilla
from triforce.lore.memory import uses
from triforce.lore.names import normalise
from triforce.quest.checks import QuestRules
from triforce.quest.model import CONFLICT, Flag, Quest, StepKind

INVENTED_PLACE = "the Sunken Bazaar of Nowhere"  # no KB knows it


def answer_text(quest: Quest) -> str:
    """A quest as an answer: one fenced JSON block."""
    return (
        "```json\n" + json.dumps(quest.model_dump(mode="json", exclude_defaults=True), indent=2) + "\n```\n"
    )


def _dependency(quest: Quest) -> tuple[int, int, str] | None:
    """(giver step, needing step, item): the first item a step grants and a later step requires."""
    for j, step in enumerate(quest.steps):
        for need in step.requires:
            for i in range(j):
                if normalise(need) in {normalise(g) for g in quest.steps[i].grants}:
                    return i, j, need
    return None


def mutate_quest(
    quest: Quest, rules: QuestRules | None = None, kb: KnowledgeBase | None = None
) -> list[tuple[str, str, str]]:
    """Every mutant as (operator, description, answer text)."""
    return [(op, what, answer_text(q)) for op, what, q in mutant_quests(quest, rules, kb)]


def mutant_quests(
    quest: Quest, rules: QuestRules | None = None, kb: KnowledgeBase | None = None
) -> list[tuple[str, str, Quest]]:
    """Every mutant as (operator, description, broken quest)."""
    rules = rules or QuestRules()
    kb = kb or vanilla()
    scope = rules.scope or VANILLA
    out: list[tuple[str, str, Quest]] = []

    def emit(op: str, what: str, change: Callable[[Quest], None]) -> None:
        q = Quest.model_validate(quest.model_dump())  # a deep copy, faster than copy.deepcopy
        change(q)
        out.append((op, what, q))

    dep = _dependency(quest)
    if dep is not None:
        i, j, item = dep

        def reorder(q: Quest) -> None:
            step = q.steps.pop(i)
            q.steps.insert(j, step)

        emit("wrong-order", f"step {i + 1} (grants {item}) moved after step {j + 1}", reorder)

        def drop(q: Quest) -> None:
            q.steps[i].grants = [g for g in q.steps[i].grants if normalise(g) != normalise(item)]

        emit("softlock", f"step {i + 1} no longer grants {item}", drop)

        if j - i > 1:

            def trade(q: Quest) -> None:
                q.steps[i + 1].consumes = [*q.steps[i + 1].consumes, item]

            emit("trade-softlock", f"step {i + 2} takes {item} away before step {j + 1} needs it", trade)
    musts = [m for m in [*rules.must_grant, *quest.reward] if m]
    if musts:
        target = normalise(musts[0])

        def no_reward(q: Quest) -> None:
            for s in q.steps:
                s.grants = [g for g in s.grants if normalise(g) != target]

        emit("missing-reward", f"nothing grants {musts[0]}", no_reward)

    def place(q: Quest) -> None:
        q.steps[len(q.steps) // 2].location = INVENTED_PLACE

    emit("unknown-place", f"step {len(quest.steps) // 2 + 1} happens in an invented place", place)

    if quest.steps[-1].kind == "reward":

        def no_payoff(q: Quest) -> None:
            q.steps[-1].kind = "explore" if q.steps[-2].kind != "explore" else "talk"

        emit("no-payoff", "the last step is no reward", no_payoff)
    conflict = next((k for k, s in enumerate(quest.steps) if s.kind in CONFLICT), None)
    if conflict not in (None, 0):

        def conflict_first(q: Quest) -> None:
            q.steps[0].kind = "combat"

        emit("conflict-first", "the quest opens with a fight", conflict_first)
    run = rules.max_same_kind_run + 1
    if len(quest.steps) >= run:

        def monotone(q: Quest) -> None:
            kind: StepKind = "combat" if q.steps[0].kind != "combat" else "puzzle"
            for s in q.steps[1 : 1 + run]:
                s.kind = kind

        emit("monotone-beats", f"{run} steps in a row of one kind", monotone)
    if quest.flags and rules.check_flags:
        used = [u for u in uses(kb, scope) if u.kind == "flag" or u.size == 1]
        victim = used[len(used) // 2]

        def collide(q: Quest) -> None:
            q.flags[0] = Flag(name=q.flags[0].name, address=victim.address, mask=q.flags[0].mask)

        emit("flag-collision", f"flag {quest.flags[0].name} moved onto {victim.entity}", collide)

        def undeclared(q: Quest) -> None:
            q.flags = q.flags[1:]

        if any(quest.flags[0].name in (*s.sets_flags, *s.requires_flags) for s in quest.steps):
            emit("undeclared-flag", f"flag {quest.flags[0].name} used but not declared", undeclared)
    return out
