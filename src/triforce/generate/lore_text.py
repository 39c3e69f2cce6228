"""The text of lore samples, built from KB records: questions, answers whose prose stands on a
```claims block, and the re-proof every lore sample goes through (generators, teacher, suites).

Answers are written from the records themselves (each sentence is a relation's `say` template),
so a template answer never states more than the KB does; a teacher's answer is held to the same
re-proof.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable

from triforce.lore import VANILLA, Claim, ClaimChecker, KnowledgeBase, say
from triforce.lore.claimtext import extract_claims, prose_problems, render_claims
from triforce.lore.model import OPEN, Record, Value
from triforce.lore.schema import relation, relations
from triforce.sample import Provenance

KB_PROVENANCE = Provenance(
    corpus="triforce-lore-kb", origin="original", file="src/triforce/lore/data/vanilla.yaml", license="MIT"
)
CLAIMS_INSTRUCTION = (
    'Answer in prose, then list every fact you state in a ```claims block: a JSON list of {"s", "r", "o"} '
    "triples using the KB's relation names."
)
GAME = {VANILLA: "A Link to the Past", "oos": "Oracle of Secrets"}
# Relations whose answers are lists of map neighbours: too generic for a question of their own.
SKIP_QA = frozenset({"adjacent_to", "contains", "before"})
EXPLAIN_SKIP = frozenset({"adjacent_to", "contains", "before", "holds_item", "gives"})
MAX_EXPLAIN = 8


def pick(key: str, options: list[str] | tuple[str, ...]) -> str:
    """A stable choice among phrasings (same key, same choice; no RNG state)."""
    return options[int(hashlib.sha256(key.encode()).hexdigest()[:8], 16) % len(options)]


def game_name(scope: str) -> str:
    return GAME.get(scope, scope)


def qa_pairs(
    kb: KnowledgeBase, entity: str, scope: str = VANILLA
) -> list[tuple[str, dict[Value, list[Record]]]]:
    """(relation, values) the KB can answer about an entity, in schema order."""
    kind = kb.entities[entity].kind
    out = []
    for name, rel in relations().items():
        if not rel.ask or name in SKIP_QA or kind not in rel.domain:
            continue
        values = kb.values(entity, name, scope)
        if values:
            out.append((name, values))
    return out


def question(kb: KnowledgeBase, entity: str, rel: str, scope: str = VANILLA) -> str:
    spec = relation(rel)
    assert spec is not None and spec.ask
    prefix = pick(
        f"{entity}/{rel}",
        (f"In {game_name(scope)}: ", f"{game_name(scope)} lore. ", f"About {game_name(scope)}: "),
    )
    return prefix + spec.ask.format(s=kb.name(entity), o="")


def claims_for(kb: KnowledgeBase, entity: str, rel: str, values: dict[Value, list[Record]]) -> list[Claim]:
    out = []
    for value, recs in values.items():
        rec = recs[0]
        obj: str | int = value if isinstance(value, int) else kb.name(value)
        out.append(Claim(kb.name(entity), rel, obj, rec.id))
    return out


def sentence(kb: KnowledgeBase, entity: str, rel: str, value: Value) -> str:
    if value == OPEN:
        return f"{game_name(VANILLA) if entity == 'alttp' else kb.name(entity)} leaves its {rel.replace('_', ' ')} open on purpose; no answer is canon."
    return say(kb, entity, rel, value) + "."


def answer(kb: KnowledgeBase, entity: str, rel: str, values: dict[Value, list[Record]]) -> str:
    """Prose (one sentence per value) and the claims block, each claim citing its record (the
    record's id leads to its source)."""
    prose = " ".join(sentence(kb, entity, rel, v) for v in values)
    return prose + "\n\n" + render_claims(claims_for(kb, entity, rel, values))


def explain(kb: KnowledgeBase, entity: str, scope: str = VANILLA) -> tuple[str, list[str]] | None:
    """A short explanation of an entity from everything the KB says of it (at most MAX_EXPLAIN
    facts), or None when it says too little (fewer than two facts)."""
    facts: list[tuple[str, Value, Record]] = []
    for rel, values in qa_pairs(kb, entity, scope):
        if rel in EXPLAIN_SKIP:
            continue
        for value, recs in values.items():
            if value != OPEN:
                facts.append((rel, value, recs[0]))
    if len(facts) < 2:
        return None
    facts = facts[:MAX_EXPLAIN]
    prose = " ".join(say(kb, entity, rel, value) + "." for rel, value, _ in facts)
    claims = [
        Claim(kb.name(entity), rel, v if isinstance(v, int) else kb.name(v), r.id) for rel, v, r in facts
    ]
    return prose + "\n\n" + render_claims(claims), [r.id for _, _, r in facts]


def recheck_claims(
    kb: KnowledgeBase, text: str, scope: str = VANILLA, context: Iterable[str] = (), min_claims: int = 1
) -> list[str]:
    """Problems with an answer's claims: none may be unsupported, a cited record must be one that
    decides the claim, and the prose must name exactly the claims' entities."""
    claims, error = extract_claims(text)
    if claims is None:
        return [error]
    if len(claims) < min_claims:
        return [f"{len(claims)} claim(s); at least {min_claims} expected"]
    problems = []
    for result in ClaimChecker(kb, scope).check_all(claims):
        c = result.claim
        if result.status != "supported":
            problems.append(
                f"claim ({c.subject}, {c.relation}, {c.object}) is {result.status}: {result.reason}"
            )
        elif c.cites and c.cites not in {r.id for r in result.records}:
            problems.append(
                f"claim ({c.subject}, {c.relation}, {c.object}) cites {c.cites}, which does not decide it"
            )
    return problems + prose_problems(kb, text, claims, context, scope)


def answers(kb: KnowledgeBase, text: str, entity: str, rel: str, scope: str = VANILLA) -> bool:
    """Does some claim of the answer state (entity, rel, *), forwards or through the inverse?"""
    claims, _ = extract_claims(text)
    spec = relation(rel)
    for c in claims or []:
        s = kb.resolve(c.subject, scope)
        o = kb.resolve(c.object, scope) if isinstance(c.object, str) else None
        if s is not None and s.id == entity and c.relation.replace(" ", "_") == rel:
            return True
        if spec and spec.inverse == c.relation.replace(" ", "_") and o is not None and o.id == entity:
            return True
    return False
