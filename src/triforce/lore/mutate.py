"""Wrong claims made on purpose from right ones: the mistakes a model makes about canon.

- wrong-entity: the object swapped for another entity of the same kind (another dungeon, boss...);
- off-by-one: a number or an address one off;
- reversed-order: an ordering claim turned around;
- resolved-ambiguity: a point the story leaves open given a definite answer.
Each mutant is checked to be contradicted by the KB before it is returned, so it is a real
mistake and not an equally true statement.
"""

from __future__ import annotations

from triforce.lore.claims import ClaimChecker
from triforce.lore.kb import VANILLA, KnowledgeBase
from triforce.lore.model import OPEN, Claim
from triforce.lore.schema import relation
from triforce.snes.addresses import format_address, parse_address


def wrong_claims(
    kb: KnowledgeBase, claim: Claim, scope: str = VANILLA, limit: int = 2
) -> list[tuple[str, Claim]]:
    """Up to `limit` contradicted variants of a supported claim, each with its operator name."""
    checker = ClaimChecker(kb, scope)
    result = checker.check(claim)
    if result.status != "supported":
        return []
    spec = relation(result.claim.relation.replace(" ", "_"))
    out: list[tuple[str, Claim]] = []

    def keep(op: str, variant: Claim) -> None:
        if len(out) < limit and checker.check(variant).status == "contradicted":
            out.append((op, variant))

    if result.rule == "ambiguous" or result.object_value == OPEN:
        keep(
            "resolved-ambiguity",
            Claim(claim.subject, claim.relation, "settled: it happens right after the previous game"),
        )
        return out
    if spec is not None and spec.ordering:
        keep("reversed-order", Claim(str(claim.object), claim.relation, claim.subject))
        return out
    if spec is not None and spec.literal == "int":
        value = result.object_value
        if isinstance(value, int):
            keep("off-by-one", Claim(claim.subject, claim.relation, value + 1))
            keep("off-by-one", Claim(claim.subject, claim.relation, max(0, value - 1)))
        return out
    if spec is not None and spec.literal == "address":
        addr = parse_address(str(result.object_value))
        keep("off-by-one", Claim(claim.subject, claim.relation, format_address(addr + 1)))
        return out
    if spec is not None and spec.literal == "colour":
        for colour in ("red", "blue", "green", "gold"):
            keep("wrong-entity", Claim(claim.subject, claim.relation, colour))
        return out
    target = kb.entities.get(str(result.object_value))
    if target is None:
        return out
    chain = kb.scope_chain(scope)
    same_kind = sorted(
        (e for e in kb.entities.values() if e.kind == target.kind and e.id != target.id and e.scope in chain),
        key=lambda e: e.id,
    )
    # start after the true value, so different claims get different wrong answers
    start = next((i for i, e in enumerate(same_kind) if e.id > target.id), 0)
    for e in same_kind[start:] + same_kind[:start]:
        keep("wrong-entity", Claim(claim.subject, claim.relation, e.name))
        if len(out) >= limit:
            break
    return out
