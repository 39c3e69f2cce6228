"""quest: side quests from the six templates (fetch, talk, trigger, puzzle, combat, escort) filled
from the KB and proven by the quest model (quest.<kind>), and design reviews: a broken quest (a
softlock, a wrong order, an unknown place, a flag collision...) with the checks that catch it and
the fixed quest (quest.review).

`check` parses the quest JSON of the assistant message and runs the quest model on it with the
brief's rules; the pacing line must state the measured metrics; a review must list exactly the
checks the broken quest (quoted in the user message) fails.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Sequence
from typing import Any

from pydantic import ValidationError

from triforce.generate.domain import DomainGenerator, Source, Unit, UnitResult, checked, make_domain_sample
from triforce.lore import vanilla
from triforce.quest import Quest, QuestRules, check_quest, pacing
from triforce.quest.mutate import answer_text, mutant_quests
from triforce.quest.templates import fill, givers, include_kinds, slots, template_names
from triforce.sample import Provenance

VARIANTS = 3
PROVENANCE = Provenance(
    corpus="triforce-quest-templates",
    origin="original",
    file="src/triforce/quest/data/templates.yaml",
    license="MIT",
)
SCHEMA_HINT = (
    "Answer with a short summary, a pacing line, then the quest as one ```json object: {title, kind, giver, "
    "goal, start_items, steps: [{kind, location, summary, npc, requires, grants, consumes, requires_flags, "
    "sets_flags}], reward, flags: [{name, address, mask}]}. Step kinds: story, talk, explore, fetch, deliver, "
    "trigger, puzzle, combat, escort, reward."
)
_JSON = re.compile(r"```json\n(.*?)\n```", re.DOTALL)
_PACING = re.compile(
    r"Pacing: (\d+) beats, (\d+) kinds, gating depth (\d+), (\d+) region borders travelled, (\d+) backtracks?\."
)


def _spread(key: str) -> int:
    """A stable index from a unit key, so every kind of mistake gets used across units."""
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)


def rules_for(quest: Quest) -> QuestRules:
    return QuestRules(
        min_steps=5,
        max_steps=8,
        start_items=list(quest.start_items),
        must_grant=list(quest.reward),
        must_include_kinds=include_kinds(quest.kind) if quest.kind in template_names() else [],
    )


def brief(quest: Quest, home: str) -> str:
    return (
        f"Design a {quest.kind} side quest for an A Link to the Past ROM hack, given by {quest.giver} at {home}. "
        f"The player starts with the {', '.join(quest.start_items)}; the quest must end by granting the "
        f"{', '.join(quest.reward)}. Use 5-8 steps with varied beats, set up before any conflict, end on the "
        f"reward, and keep its save flags in free SRAM ($7EF38A-$7EF3C4), one address per flag.\n\n{SCHEMA_HINT}"
    )


def pacing_line(quest: Quest) -> str:
    p = pacing(quest)
    return (
        f"Pacing: {p.beats} beats, {p.distinct_kinds} kinds, gating depth {p.gating_depth}, "
        f"{p.travel} region borders travelled, {p.backtracks} backtrack{'s' if p.backtracks != 1 else ''}."
    )


def design_answer(quest: Quest) -> str:
    steps = "\n".join(f"{i}. {s.summary}" for i, s in enumerate(quest.steps, start=1))
    return f"**{quest.title}**: {quest.goal}\n\n{steps}\n\n{pacing_line(quest)}\n\n{answer_text(quest)}"


def parse_quest(text: str) -> tuple[Quest | None, str]:
    found = _JSON.findall(text)
    if not found:
        return None, "no ```json quest in the message"
    try:
        return Quest.model_validate(json.loads(found[-1])), ""
    except (json.JSONDecodeError, ValidationError) as exc:
        return None, f"the quest JSON does not fit the schema: {str(exc).splitlines()[0]}"


def review_answer(broken: Quest, fixed: Quest, rules: QuestRules) -> str:
    failures = check_quest(broken, rules).failures
    lines = "\n".join(f"- {f.check}: {f.message}" for f in failures)
    return f"The design fails {len(failures)} check(s):\n{lines}\n\nA version that passes every check:\n\n{answer_text(fixed)}"


class QuestGenerator(DomainGenerator):
    name = "quest"
    tasks = (*(f"quest.{k}" for k in template_names()), "quest.review")

    def units(self, sources: Sequence[Source], seed: int) -> list[Unit]:
        kb = vanilla()
        return [
            Unit(f"{name}:{giver}:{v}", (name, giver, home, v))
            for name in template_names()
            for giver, home in givers(kb, split="train")
            for v in range(VARIANTS)
        ]

    def run(self, unit: Unit, seed: int) -> UnitResult:
        kb = vanilla()
        name, giver, home, variant = unit.payload
        out = UnitResult(candidates=1)
        s = slots(kb, giver, home, variant)
        if s is None:
            out.reject("no-places", f"the map has no near and far place around {home}")
            return out
        quest = fill(name, kb, s)
        rules = rules_for(quest)
        report = check_quest(quest, rules, kb)
        if not report.passed:
            out.reject("quest-check", "; ".join(f"{f.check}: {f.message}" for f in report.failures))
            return out
        meta = {"rules": rules.model_dump(mode="json"), "home": kb.name(home)}
        group = f"quest:{name}:{giver}:{variant}"
        out.samples.append(
            self._sample(
                f"quest.{name}", brief(quest, kb.name(home)), design_answer(quest), meta, group, report
            )
        )
        mutants = mutant_quests(quest, rules, kb)
        if mutants:
            op, what, broken = mutants[_spread(unit.key) % len(mutants)]
            text = answer_text(broken)
            out.candidates += 1
            if check_quest(broken, rules, kb).passed:
                out.reject("mutant-passes", f"{op}: {what}")
            else:
                user = (
                    f"Review this side quest design for an A Link to the Past ROM hack (the player starts with the "
                    f"{', '.join(quest.start_items)}; it must grant the {', '.join(quest.reward)}). Name every designer "
                    f"check it fails, then give a fixed version as one ```json object.\n\n{text}"
                )
                out.samples.append(
                    self._sample(
                        "quest.review",
                        user,
                        review_answer(broken, quest, rules),
                        {**meta, "mistake": op},
                        group,
                        report,
                    )
                )
        return out

    def _sample(self, task: str, user: str, text: str, meta: dict[str, Any], group: str, report: Any) -> Any:
        return make_domain_sample(
            self,
            task=task,
            domain="farore",
            source="quest-templates",
            user=user,
            assistant=text,
            provenance=PROVENANCE,
            verification=checked("quest-model", {"checks": len(report.findings)}),
            meta=meta,
            group=group,
        )

    def check(self, sample: dict[str, Any]) -> list[str]:
        rules = QuestRules.model_validate(sample.get("meta", {}).get("rules", {}))
        user = next((m["content"] for m in sample["messages"] if m["role"] == "user"), "")
        text = sample["messages"][-1]["content"]
        missing = [x for x in (*rules.start_items, *rules.must_grant) if x not in user]
        if missing:
            return [f"the brief does not state {missing}"]
        quest, error = parse_quest(text)
        if quest is None:
            return [error]
        report = check_quest(quest, rules)
        problems = [f"{f.check}: {f.message}" for f in report.failures]
        if sample.get("task") == "quest.review":
            broken, error = parse_quest(user)
            if broken is None:
                return [f"the reviewed quest: {error}"]
            want = {f.check for f in check_quest(broken, rules).failures}
            said = set(re.findall(r"^- ([\w -]+?): ", text, re.MULTILINE))
            if not want or said != want:
                problems.append(f"the review names {sorted(said)}; the quest model finds {sorted(want)}")
            return problems
        m = _PACING.search(text)
        if m is None or m.group(0) != pacing_line(quest):
            problems.append(f"the pacing line does not match the measured pacing ({pacing_line(quest)})")
        return problems
