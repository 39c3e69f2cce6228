"""lore: questions about the game answered from the canon KB, each answer carrying the claims the
checker supports (lore.qa), and short explanations of a place, item or character (lore.explain).

One unit per KB entity. `check` re-proves a sample from its assistant message: every claim in
the ```claims block must be supported (by the record it cites, when it cites one) and the prose
must name exactly the claims' entities; the question must be the one the KB asks.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from triforce.generate.domain import DomainGenerator, Source, Unit, UnitResult, checked, make_domain_sample
from triforce.generate.lore_text import (
    CLAIMS_INSTRUCTION,
    KB_PROVENANCE,
    answer,
    answers,
    explain,
    game_name,
    pick,
    qa_pairs,
    question,
    recheck_claims,
)
from triforce.lore import VANILLA, vanilla

LORE_KINDS = (
    "place",
    "dungeon",
    "item",
    "pendant",
    "crystal",
    "character",
    "boss",
    "event",
    "game",
    "flag",
    "ram",
)


def _user(text: str) -> str:
    return f"{text}\n\n{CLAIMS_INSTRUCTION}"


class LoreGenerator(DomainGenerator):
    name = "lore"
    tasks = ("lore.qa", "lore.explain")

    def units(self, sources: Sequence[Source], seed: int) -> list[Unit]:
        kb = vanilla()
        ids = sorted(e.id for e in kb.entities.values() if e.kind in LORE_KINDS and e.scope == VANILLA)
        return [Unit(i, i) for i in ids]

    def run(self, unit: Unit, seed: int) -> UnitResult:
        kb = vanilla()
        entity = str(unit.payload)
        out = UnitResult()
        for rel, values in qa_pairs(kb, entity):
            out.candidates += 1
            user = _user(question(kb, entity, rel))
            text = answer(kb, entity, rel, values)
            problems = recheck_claims(kb, text, context=[entity])
            if problems:
                out.reject("unsupported-claim", problems[0], f"{entity}/{rel}")
                continue
            out.samples.append(
                self._sample("lore.qa", user, text, entity, rel, [r.id for rs in values.values() for r in rs])
            )
        made = explain(kb, entity)
        if made is not None:
            out.candidates += 1
            text, ids = made
            verb = pick(
                entity,
                (
                    "Explain the role of",
                    "Tell me what the game establishes about",
                    "Summarise the canon facts about",
                ),
            )
            user = _user(f"{game_name(VANILLA)} lore. {verb} {kb.name(entity)}.")
            problems = recheck_claims(kb, text, context=[entity], min_claims=2)
            if problems:
                out.reject("unsupported-claim", problems[0], f"{entity}/explain")
            else:
                out.samples.append(self._sample("lore.explain", user, text, entity, "", ids))
        return out

    def _sample(self, task: str, user: str, text: str, entity: str, rel: str, ids: list[str]) -> Any:
        return make_domain_sample(
            self,
            task=task,
            domain="nayru",
            source="zelda-lore",
            user=user,
            assistant=text,
            provenance=KB_PROVENANCE,
            verification=checked("kb-claims", {"records": ids}),
            meta={"entity": entity, "relation": rel, "scope": VANILLA},
            group=f"lore:{entity}",
        )

    def check(self, sample: dict[str, Any]) -> list[str]:
        kb = vanilla()
        meta = sample.get("meta", {})
        entity, rel = str(meta.get("entity", "")), str(meta.get("relation", ""))
        if entity not in kb.entities:
            return [f"unknown entity {entity!r}"]
        user = next((m["content"] for m in sample["messages"] if m["role"] == "user"), "")
        text = sample["messages"][-1]["content"]
        explain = sample.get("task") == "lore.explain"
        problems = recheck_claims(kb, text, context=[entity], min_claims=2 if explain else 1)
        if problems or explain:
            return problems
        if question(kb, entity, rel) not in user:
            return [f"the question is not the KB's question about {entity}/{rel}"]
        if not answers(kb, text, entity, rel):
            return [f"no claim answers {entity}/{rel}"]
        return []
