"""canon: "is this statement consistent with canon?", answered with the checker's verdict and the
record that decides it (canon.verify).

From every KB record: the true statement (supported), a typical mistake made from it (another
boss, a number one off, a reversed order, an open point given an answer: contradicted, naming the
record that contradicts it), and statements the KB cannot decide (unknown). `check` re-proves the
```verdict block of the assistant message against the KB and requires the user's statement to be
the verdict's claim.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import combinations
from typing import Any

from triforce.generate.domain import DomainGenerator, Source, Unit, UnitResult, checked, make_domain_sample
from triforce.generate.lore_text import KB_PROVENANCE, game_name, pick
from triforce.lore import VANILLA, Claim, ClaimChecker, ClaimResult, KnowledgeBase, say, vanilla
from triforce.lore.claimtext import extract_verdict, render_verdict
from triforce.lore.model import OPEN, Record
from triforce.lore.mutate import wrong_claims
from triforce.lore.names import slug
from triforce.lore.schema import relation

SKIP = frozenset({"adjacent_to", "contains"})
VERDICT_INSTRUCTION = (
    'Answer in prose, then give a ```verdict block: {"claim": {"s", "r", "o"}, "status": "supported" | '
    '"contradicted" | "unknown", "record": the id of the KB record that decides it}.'
)


def statement(kb: KnowledgeBase, claim: Claim, scope: str = VANILLA) -> str | None:
    """The claim as a sentence (names resolved), or None when its ends are not in the KB."""
    s = kb.resolve(claim.subject, scope)
    if s is None:
        return None
    spec = relation(slug(claim.relation))
    if spec is not None and spec.literal:
        obj: str | int = claim.object
    else:
        o = kb.resolve(claim.object, scope)
        obj = o.id if o is not None else str(claim.object)
    if obj == OPEN:
        return None
    return say(kb, s.id, slug(claim.relation), obj)


def prompt(kb: KnowledgeBase, text: str, key: str, scope: str = VANILLA) -> str:
    ask = pick(
        key,
        (
            f"Is this statement consistent with {game_name(scope)} canon?",
            f"Check this against {game_name(scope)} canon:",
            f"Canon check ({game_name(scope)}):",
        ),
    )
    return f'{ask} "{text}."\n\n{VERDICT_INSTRUCTION}'


def reply(kb: KnowledgeBase, result: ClaimResult, scope: str = VANILLA) -> str:
    rec = result.record
    if result.status == "supported" and rec is not None:
        prose = f'Yes, it is consistent. The KB states it: "{say(kb, rec.subject, rec.relation, rec.object)}" ({rec.source}).'
    elif result.status == "contradicted" and rec is not None and result.rule == "ambiguous":
        prose = (
            f"No. {game_name(scope)} leaves this point open on purpose ({rec.source}); "
            "an answer that settles it contradicts canon."
        )
    elif result.status == "contradicted" and rec is not None:
        prose = f'No. The KB says "{say(kb, rec.subject, rec.relation, rec.object)}" ({rec.source}), so the statement is wrong.'
    else:
        prose = f"Canon as recorded does not decide this: {result.reason}. It is neither supported nor contradicted."
    return prose + "\n\n" + render_verdict(result.claim, result.status, rec.id if rec else None, result.rule)


def _claim(kb: KnowledgeBase, r: Record) -> Claim:
    return Claim(kb.name(r.subject), r.relation, r.object if isinstance(r.object, int) else kb.name(r.object))


class CanonGenerator(DomainGenerator):
    name = "canon"
    tasks = ("canon.verify",)

    def units(self, sources: Sequence[Source], seed: int) -> list[Unit]:
        kb = vanilla()
        subjects = sorted({r.subject for r in kb.records if r.scope == VANILLA and r.relation not in SKIP})
        return [*(Unit(s, s) for s in subjects), Unit("~unordered", "~unordered")]

    def _claims(self, kb: KnowledgeBase, subject: str) -> list[tuple[str, Claim]]:
        if subject == "~unordered":
            # Dark World dungeons the story does not order among themselves: the KB cannot say.
            checker = ClaimChecker(kb)
            dark = sorted(e.id for e in kb.of_kind("dungeon") if kb.facts(e.id, "level"))
            out = []
            for a, b in combinations(dark, 2):
                claim = Claim(kb.name(a), "before", kb.name(b))
                if checker.check(claim).status == "unknown":
                    out.append(("unknown", claim))
            return out
        out = []
        for r in kb.about(subject):
            if r.relation in SKIP or r.scope != VANILLA:
                continue
            if r.object == OPEN:
                out.append(("open", Claim(kb.name(r.subject), r.relation, "open")))
            else:
                out.append(("true", _claim(kb, r)))
            for op, variant in wrong_claims(
                kb,
                _claim(kb, r) if r.object != OPEN else Claim(kb.name(r.subject), r.relation, "open"),
                limit=1,
            ):
                out.append((op, variant))
        return out

    def run(self, unit: Unit, seed: int) -> UnitResult:
        kb = vanilla()
        checker = ClaimChecker(kb)
        out = UnitResult()
        for op, claim in self._claims(kb, str(unit.payload)):
            out.candidates += 1
            result = checker.check(claim)
            text = statement(kb, claim) if op != "open" else None
            if op == "open":
                text = f"{game_name(VANILLA)} deliberately leaves its {claim.relation.replace('_', ' ')} open"
            if text is None:
                out.reject("unrenderable", f"{claim} has no sentence form", str(unit.key))
                continue
            key = f"{claim.subject}|{claim.relation}|{claim.object}"
            out.samples.append(
                make_domain_sample(
                    self,
                    task="canon.verify",
                    domain="nayru",
                    source="canon-verification",
                    user=prompt(kb, text, key),
                    assistant=reply(kb, result),
                    provenance=KB_PROVENANCE,
                    verification=checked("kb-claims", {"status": result.status, "rule": result.rule}),
                    meta={"statement": text, "mistake": op, "scope": VANILLA},
                    group=f"lore:{unit.payload}",
                )
            )
        return out

    def check(self, sample: dict[str, Any]) -> list[str]:
        return recheck_verdict(vanilla(), sample)


def recheck_verdict(kb: KnowledgeBase, sample: dict[str, Any], scope: str = VANILLA) -> list[str]:
    data, error = extract_verdict(sample["messages"][-1]["content"])
    if data is None:
        return [error]
    raw = data.get("claim") or {}
    try:
        claim = Claim(str(raw["s"]), str(raw["r"]), raw["o"] if isinstance(raw["o"], int) else str(raw["o"]))
    except (KeyError, TypeError):
        return ['the verdict has no {"claim": {"s", "r", "o"}}']
    result = ClaimChecker(kb, scope).check(claim)
    problems = []
    if data.get("status") != result.status:
        problems.append(
            f"the verdict says {data.get('status')!r}; the checker says {result.status} ({result.reason})"
        )
    ids = {r.id for r in result.records}
    if result.status != "unknown" and data.get("record") not in ids:
        problems.append(f"the verdict cites {data.get('record')!r}, not a deciding record ({sorted(ids)})")
    user = next((m["content"] for m in sample["messages"] if m["role"] == "user"), "")
    text = statement(kb, claim, scope)
    if result.rule == "ambiguous" and text is None:
        text = f"{game_name(scope)} deliberately leaves its {claim.relation.replace('_', ' ')} open"
    if text is None or f'"{text}."' not in user:
        problems.append("the verdict's claim is not the statement the user asked about")
    return problems
