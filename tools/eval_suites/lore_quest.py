"""The lore and quest suites: questions the canon KB answers, canon checks, and quest briefs.

Expected values come from the truth machines: a lore item names the (subject, relation) pairs to
answer and the claim checker decides any answer; a canon item's verdict is the checker's; a quest
item's reference is a quest from an evaluation-only template (quest_eval_templates.yaml) that the
quest model passes.

The lore suite is a knowledge test over canon the training rows also teach (a model cannot be
asked about facts it was never shown): its questions are phrased differently from the
generators', statements are given as bare triples, and references are bare claims, so the
suite measures recall under new wording and decontamination does not remove the training rows
that teach the facts. The quest suite is given only by characters the training generator holds
out (`held_out_givers` in quest/data/templates.yaml).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from triforce.lore import Claim, ClaimChecker, vanilla
from triforce.lore.claimtext import render_claims
from triforce.lore.mutate import wrong_claims
from triforce.quest.mutate import answer_text
from triforce.quest.templates import fill, givers, slots, template_names

# How the evaluation asks for each relation (not the training phrasing).
PHRASE = {
    "boss": "Which enemy must Link defeat at the end of {s}?",
    "prize": "What does clearing {s} earn Link: which pendant or crystal?",
    "prize_of": "Name the dungeon that guards the {s}.",
    "found_at": "Name the location where the {s} is obtained.",
    "given_by": "Which character hands Link the {s}?",
    "colour": "Of what colour is the {s}?",
    "level": "What is the level number of {s} on the Dark World map?",
    "held_in": "Which dungeon's crystal imprisons {s}?",
    "home": "Where in Hyrule does Link meet {s}?",
    "address": "Give the WRAM address of the save data entry '{s}'.",
    "world": "Does {s} belong to the Light World or the Dark World?",
    "counterpart": "Which place mirrors {s} in the other world?",
    "price": "What does the {s} cost in rupees?",
    "serves": "Whose servant is {s}?",
    "pendant_count": "Count the pendants Link gathers in {s}.",
    "crystal_count": "Count the crystals Link gathers in {s}.",
    "maiden_count": "Count the maidens sealed in crystals in {s}.",
    "timeline_placement": "Where does {s} itself place its story in the series timeline?",
    "elder_of": "Of which village is {s} the elder?",
}
PER_RELATION = {"found_at": 18, "address": 10, "world": 6, "home": 8, "counterpart": 5, "given_by": 6}
FORMAT = (
    "Answer in one or two sentences, then give a ```claims block: a JSON list of "
    '{{"s": subject, "r": relation, "o": object}} triples; use the relation name `{r}`.'
)


def _lore_items() -> list[dict[str, Any]]:
    kb = vanilla()
    items: list[dict[str, Any]] = []
    counts: dict[str, int] = {}
    subjects = sorted(e.id for e in kb.entities.values() if e.scope == "alttp")
    for rel, phrase in PHRASE.items():
        for subject in subjects:
            if counts.get(rel, 0) >= PER_RELATION.get(rel, 12):
                break
            values = kb.values(subject, rel)
            if len(values) != 1 or kb.entities[subject].kind not in (vanilla_rel_domain(rel)):
                continue
            counts[rel] = counts.get(rel, 0) + 1
            prompt = f"A Link to the Past canon. {phrase.format(s=kb.name(subject))} " + FORMAT.format(r=rel)
            items.append(
                {
                    "id": f"lore.{rel}.{subject}",
                    "category": "lore",
                    "prompt": prompt,
                    "reference": _bare_claims(kb, subject, rel, values),
                    "grading": {"kind": "lore-claims", "ask": [[subject, rel]]},
                    "tags": ["lore", "canon", rel],
                }
            )
    return items


def _bare_claims(kb: Any, subject: str, rel: str, values: dict[Any, Any]) -> str:
    """The shortest right answer: the claims as [s, r, o] lists, no prose, no citations."""
    rows = [[kb.name(subject), rel, v if isinstance(v, int) else kb.name(v)] for v in values]
    return "```claims\n" + json.dumps(rows, ensure_ascii=False) + "\n```\n"


def vanilla_rel_domain(rel: str) -> tuple[str, ...]:
    from triforce.lore.schema import relation

    spec = relation(rel)
    return spec.domain if spec else ()


def _canon_items() -> list[dict[str, Any]]:
    """Statements to verify: true ones, typical mistakes, an open point, an unordered pair."""
    kb = vanilla()
    checker = ClaimChecker(kb)
    picks = [
        Claim("Swamp Palace", "boss", "Arrghus"),
        Claim("Skull Woods", "prize", "Crystal 3"),
        Claim("Magic Mirror", "given_by", "Old Man"),
        Claim("Ganon", "final_battle_at", "Pyramid of Power"),
        Claim("Desert Palace", "requires", "Book of Mudora"),
        Claim("Pendant of Courage", "colour", "green"),
        Claim("Turtle Rock", "requires", "Cane of Somaria"),
        Claim("Zora's Flippers", "price", 500),
        Claim("Eastern Palace", "before", "Misery Mire"),
        Claim("Princess Zelda", "held_in", "Turtle Rock"),
        Claim("Blind the Thief", "impersonates", "Maiden of Thieves' Town"),
        Claim("Moon Pearl", "found_at", "Tower of Hera"),
        Claim("Ice Palace", "level", 5),
        Claim("Cane of Byrna", "found_at", "Spike Cave"),
        Claim("Sahasrahla", "elder_of", "Kakariko Village"),
    ]
    items: list[dict[str, Any]] = []
    for n, claim in enumerate(picks):
        # the second typical mistake: the training generator states the first one
        variants = [("true", claim), *wrong_claims(kb, claim, limit=2)[1:]]
        for op, variant in variants:
            result = checker.check(variant)
            assert result.status == ("supported" if op == "true" else "contradicted"), (
                variant,
                result.reason,
            )
            items.append(_canon_item(f"canon.{n:02d}.{op}", variant, result))
    open_point = Claim("A Link to the Past", "timeline_placement", "right after Ocarina of Time")
    items.append(_canon_item("canon.open.timeline", open_point, checker.check(open_point)))
    for a, b in (("Swamp Palace", "Ice Palace"), ("Thieves' Town", "Skull Woods")):
        claim = Claim(a, "before", b)
        items.append(_canon_item(f"canon.unordered.{a[:5].strip()}", claim, checker.check(claim)))
    return items


def _canon_item(iid: str, claim: Claim, result: Any) -> dict[str, Any]:
    triple = f"({claim.subject} | {claim.relation} | {claim.object})"
    verdict: dict[str, Any] = {
        "claim": [claim.subject, claim.relation, claim.object],
        "status": result.status,
    }
    if result.record is not None:
        verdict["record"] = result.record.id
    return {
        "id": iid,
        "category": "lore",
        "prompt": (
            f"A Link to the Past canon check of the triple {triple}. Is it supported, contradicted or undecided "
            'by canon? Explain briefly, then give a ```verdict block {"claim", "status", "record"} naming the KB '
            "record that decides it."
        ),
        "reference": "```verdict\n" + json.dumps(verdict, ensure_ascii=False) + "\n```\n",
        "grading": {"kind": "canon-verdict", "claim": [claim.subject, claim.relation, claim.object]},
        "tags": ["lore", "canon-verification", result.status],
    }


QUEST_FORMAT = (
    "Answer with the quest as one ```json object: {title, kind, giver, goal, start_items, steps: [{kind, "
    "location, summary, requires, grants, consumes, requires_flags, sets_flags}], reward, flags: [{name, "
    "address, mask}]}; step kinds story, talk, explore, fetch, deliver, trigger, puzzle, combat, escort, "
    "reward; locations must be places of the ALTTP map."
)
EVAL_TEMPLATES = yaml.safe_load(
    (Path(__file__).parent / "quest_eval_templates.yaml").read_text(encoding="utf-8")
)
EVAL_VARIANTS = (0, 1, 2)  # three fillings per held-out giver and template


def _quest_items() -> list[dict[str, Any]]:
    kb = vanilla()
    items: list[dict[str, Any]] = []
    for name in template_names():
        for giver, home in givers(kb, split="eval"):
            for variant in EVAL_VARIANTS:
                s = slots(kb, giver, home, variant)
                if s is None:
                    continue
                quest = fill(name, kb, s, spec=EVAL_TEMPLATES[name])
                rules = {
                    "kind": "quest-structure",
                    "min_steps": 5,
                    "max_steps": 8,
                    "start_items": quest.start_items,
                    "must_grant": quest.reward,
                    "must_include_kinds": EVAL_TEMPLATES[name]["include"],
                }
                prompt = (
                    f"Quest design brief ({name}): {quest.giver} at {kb.name(home)} needs help; the player holds the "
                    f"{quest.start_items[0]} and the quest must end by granting the {quest.reward[0]}. Write 5-8 steps "
                    f"that include {' and '.join(EVAL_TEMPLATES[name]['include'])} beats, vary the beats (no more than two of a kind "
                    f"in a row), set things up before any fight, and end on the reward. Any save flag must sit in free "
                    f"SRAM ($7EF38A-$7EF3C4). {QUEST_FORMAT}"
                )
                items.append(
                    {
                        "id": f"quest.{name}.{giver}.{variant}",
                        "category": "quest",
                        "prompt": prompt,
                        "reference": answer_text(quest),
                        "grading": rules,
                        "tags": ["quest", "pacing", name],
                    }
                )
    return items


LORE = _lore_items() + _canon_items()
QUEST = _quest_items()
# Lore items the latency suite reuses (short answers).
LATENCY_LORE = [i for i in LORE if i["id"] in ("lore.serves.agahnim", "lore.crystal_count.alttp")]
CLAIMS_EXAMPLE = render_claims([Claim("Eastern Palace", "boss", "Armos Knights")])
