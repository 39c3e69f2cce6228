"""narrative: samples from a hack's own design documents, given with `--source` (Oracle of Secrets'
layout; see lore/hack.py and quest/oos.py). Without a hack tree it has nothing to do.

- narrative.fact: a question the hack's documents answer, with claims in the hack's scope, each
  citing the record that states it (`path#L<line>` in its source);
- narrative.consistency: a place where the documents contradict themselves, the code or the
  vanilla game, with the records that show it;
- narrative.quest: a side quest of the hack read into the quest model, with the designer checks'
  findings and its pacing.
Provenance is `rom-hack`. `check` re-reads the documents (their root is recorded in meta; the
sample cannot be re-proven without them) and re-proves the assistant message against them.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from triforce.generate.domain import DomainGenerator, Source, Unit, UnitResult, checked, make_domain_sample
from triforce.generate.lore_text import (
    CLAIMS_INSTRUCTION,
    answer,
    answers,
    qa_pairs,
    question,
    recheck_claims,
)
from triforce.lore.hack import HackDocs, is_oos_tree, read_oos
from triforce.quest import QuestRules, check_quest, pacing
from triforce.quest.mutate import answer_text
from triforce.quest.oos import read_side_quests, to_quest
from triforce.sample import Provenance

SCOPE = "oos"


@lru_cache(maxsize=4)
def _docs(root: str) -> HackDocs:
    return read_oos(Path(root), scope=SCOPE)


def hack_rules(has_places: bool) -> QuestRules:
    """The designer checks for a hack's own quest: any length, places only when the table gives them."""
    return QuestRules(min_steps=1, max_steps=30, scope=SCOPE, known_locations=has_places)


def quest_review(docs: HackDocs, title: str) -> tuple[str, str] | None:
    """(user, assistant) for one side quest of the hack, or None when it has no step table."""
    for q in read_side_quests(docs.root):
        if q.title != title:
            continue
        quest = to_quest(q)
        if quest is None:
            return None
        report = check_quest(quest, hack_rules(q.has_places()), docs.kb)
        p = pacing(quest, docs.kb, SCOPE)
        lines = [f"- {f.check}: {f.message}" for f in report.failures] or ["- every designer check passes"]
        user = (
            f'Review the Oracle of Secrets side quest "{q.title}" ({q.cite}) as its design document lays it '
            "out: run the designer checks (completable, beats, set-up before conflict, payoff, places, flags) "
            "and report its pacing."
        )
        text = (
            f"Read as the quest model, the quest has {len(quest.steps)} steps.\n\nFindings:\n"
            + "\n".join(lines)
            + f"\n\nPacing: {p.beats} beats, {p.distinct_kinds} kinds, gating depth {p.gating_depth}.\n\n"
            + answer_text(quest)
        )
        return user, text
    return None


def consistency(docs: HackDocs, index: int) -> tuple[str, str] | None:
    problems = docs.problems()
    if index >= len(problems):
        return None
    p = problems[index]
    names = ", ".join(dict.fromkeys(docs.kb.name(n) for n in p.nodes)) or "the save flags"
    user = f"Check the Oracle of Secrets design documents for consistency about {names}. Cite the lines."
    cites = "\n".join(f"- {r.source}: {r.subject} {r.relation} {r.object}" for r in p.records)
    return (
        user,
        f"Inconsistent ({p.rule}): {p.message}.\n\nEvidence:\n{cites or '- (derived from the records above)'}",
    )


class NarrativeGenerator(DomainGenerator):
    name = "narrative"
    tasks = ("narrative.fact", "narrative.consistency", "narrative.quest")

    def units(self, sources: Sequence[Source], seed: int) -> list[Unit]:
        out: list[Unit] = []
        for src in sources:
            root = Path(src.path).resolve()
            if not root.is_dir() or not is_oos_tree(root):
                continue
            docs = _docs(str(root))
            mine = sorted(e.id for e in docs.kb.entities.values() if e.scope == SCOPE)
            out += [Unit(f"{root.name}:fact:{e}", (str(root), "fact", e)) for e in mine]
            out += [
                Unit(f"{root.name}:consistency:{i:03d}", (str(root), "consistency", i))
                for i in range(len(docs.problems()))
            ]
            out += [
                Unit(f"{root.name}:quest:{q.title}", (str(root), "quest", q.title))
                for q in read_side_quests(root)
            ]
        return out

    def run(self, unit: Unit, seed: int) -> UnitResult:
        root, kind, key = unit.payload
        docs = _docs(root)
        out = UnitResult()
        made: list[tuple[str, str, str, dict[str, Any]]] = []
        if kind == "fact":
            for rel, values in qa_pairs(docs.kb, key, SCOPE):
                if not any(r.scope == SCOPE for rs in values.values() for r in rs):
                    continue
                text = answer(docs.kb, key, rel, values)
                where = sorted({r.source for rs in values.values() for r in rs if r.scope == SCOPE})
                text = text.replace("\n\n```claims", f"\n\nDocumented at {', '.join(where)}.\n\n```claims", 1)
                made.append(
                    (
                        "narrative.fact",
                        f"{question(docs.kb, key, rel, SCOPE)}\n\n{CLAIMS_INSTRUCTION}",
                        text,
                        {"entity": key, "relation": rel},
                    )
                )
        elif kind == "consistency":
            got = consistency(docs, int(key))
            if got is not None:
                made.append(("narrative.consistency", got[0], got[1], {"problem": int(key)}))
        else:
            got = quest_review(docs, str(key))
            if got is not None:
                made.append(("narrative.quest", got[0], got[1], {"quest": key}))
        for task, user, text, meta in made:
            out.candidates += 1
            problems = self._prove(task, user, text, {**meta, "hack_root": root})
            if problems:
                out.reject("unproven", problems[0])
                continue
            out.samples.append(
                make_domain_sample(
                    self,
                    task=task,
                    domain="farore",
                    source="oos-narrative",
                    user=user,
                    assistant=text,
                    provenance=Provenance(corpus=f"{Path(root).name}-docs", origin="rom-hack", file=None),
                    verification=checked("hack-docs", {"scope": SCOPE}),
                    meta={**meta, "hack_root": root, "scope": SCOPE},
                    group=f"narrative:{unit.key.split(':')[0]}:{task}",
                )
            )
        return out

    @staticmethod
    def _prove(task: str, user: str, text: str, meta: dict[str, Any]) -> list[str]:
        root = Path(str(meta.get("hack_root", "")))
        if not root.is_dir() or not is_oos_tree(root):
            return [f"the hack's documents are not at {root}: this sample is re-proven against them"]
        docs = _docs(str(root))
        if task == "narrative.fact":
            entity, rel = str(meta.get("entity")), str(meta.get("relation"))
            problems = recheck_claims(docs.kb, text, SCOPE, context=[entity])
            if not problems and not answers(docs.kb, text, entity, rel, SCOPE):
                problems = [f"no claim answers {entity}/{rel}"]
            return problems
        if task == "narrative.consistency":
            got = consistency(docs, int(meta.get("problem", -1)))
            return [] if got == (user, text) else ["the documents no longer show this inconsistency"]
        got = quest_review(docs, str(meta.get("quest")))
        return [] if got == (user, text) else ["the quest review does not match the documents"]

    def check(self, sample: dict[str, Any]) -> list[str]:
        user = next((m["content"] for m in sample["messages"] if m["role"] == "user"), "")
        return self._prove(
            sample.get("task", ""), user, sample["messages"][-1]["content"], sample.get("meta", {})
        )
