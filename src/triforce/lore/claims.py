"""The claim checker: each claimed triple is supported, contradicted or unknown, with the record
that decides it.

Rules, in order: the relation and both ends must be known and of the right kinds; a point the
story leaves open on purpose may only be called open; an ordering claim is decided by a path in
the event graph; otherwise the KB's values for (subject, relation), read forwards, through the
inverse and symmetrically, support the claim, and a functional relation (or a functional
inverse) with another value contradicts it.
"""

from __future__ import annotations

from collections.abc import Iterable

from triforce.errors import InputError
from triforce.lore.graph import OrderGraph, order_graph
from triforce.lore.kb import VANILLA, KnowledgeBase
from triforce.lore.model import OPEN, OPEN_SPELLINGS, Claim, ClaimResult, Record, Value
from triforce.lore.names import normalise, slug
from triforce.lore.schema import Relation, literal_value, relation


def say(kb: KnowledgeBase, subject: Value, rel: str, obj: Value) -> str:
    """The relation's prose template filled with names ("Armos Knights is the boss of Eastern Palace")."""
    spec = relation(rel)
    template = spec.say if spec and spec.say else "{s} " + rel.replace("_", " ") + " {o}"
    text = template.format(s=kb.name(subject), o=kb.name(obj))
    return text[:1].upper() + text[1:]


def cite(kb: KnowledgeBase, records: Iterable[Record]) -> str:
    """The deciding records as a person reads them: what each says, its id and its source."""
    return "; ".join(f'"{say(kb, r.subject, r.relation, r.object)}" [{r.id}; {r.source}]' for r in records)


def _a(kind: str) -> str:
    return ("an " if kind[:1] in "aeiou" else "a ") + kind


class ClaimChecker:
    """Checks claims against one scope of a KB (the order graph is built once)."""

    def __init__(self, kb: KnowledgeBase, scope: str = VANILLA) -> None:
        self.kb = kb
        self.scope = scope
        self._order: OrderGraph | None = None

    @property
    def order(self) -> OrderGraph:
        if self._order is None:
            self._order = order_graph(self.kb, self.scope)
        return self._order

    def check(self, claim: Claim) -> ClaimResult:
        kb, scope = self.kb, self.scope
        rel_name = slug(claim.relation)
        spec = relation(rel_name)
        # a name two kinds share ("Bow" the item, "Bow" a hack's save slot) means the kind the relation takes
        subject = (kb.resolve(claim.subject, scope, kinds=spec.domain) if spec else None) or kb.resolve(
            claim.subject, scope
        )
        if spec is None:
            return self._undeclared(claim, rel_name, subject.id if subject else None)
        if subject is None:
            return ClaimResult(claim, "unknown", f"no entity named {claim.subject!r} in the KB", "entity")
        if spec.domain and subject.kind not in spec.domain:
            return ClaimResult(
                claim,
                "contradicted",
                f"{subject.name} is {_a(subject.kind)}; '{rel_name}' applies to {' or '.join(spec.domain)}",
                "type",
                subject_id=subject.id,
            )
        ambiguous = [r for r in kb.facts(subject.id, rel_name, scope) if r.tier == "ambiguous"]
        if ambiguous:
            return self._ambiguous(claim, ambiguous, subject.id)
        obj, problem = self._object(claim, spec)
        if problem is not None:
            values = kb.values(subject.id, rel_name, scope)
            if spec.functional and values and problem.status == "unknown":
                recs = [r for rs in values.values() for r in rs]
                return ClaimResult(
                    claim,
                    "contradicted",
                    f"not {claim.object!r}: the KB says {cite(self.kb, recs)}",
                    "functional",
                    recs,
                    subject.id,
                )
            problem.subject_id = subject.id
            return problem
        assert obj is not None
        if spec.ordering:
            return self._ordered(claim, subject.id, obj)
        return self._decide(claim, spec, subject.id, obj)

    def check_all(self, claims: Iterable[Claim]) -> list[ClaimResult]:
        return [self.check(c) for c in claims]

    # -- the rules --------------------------------------------------------------------------------

    def _object(self, claim: Claim, spec: Relation) -> tuple[Value | None, ClaimResult | None]:
        if spec.literal:
            try:
                return literal_value(spec.literal, claim.object, field="object"), None
            except InputError as exc:
                return None, ClaimResult(claim, "contradicted", str(exc), "type")
        entity = self.kb.resolve(claim.object, self.scope, kinds=spec.range) or self.kb.resolve(
            claim.object, self.scope
        )
        if entity is None:
            return None, ClaimResult(
                claim, "unknown", f"no entity named {claim.object!r} in the KB", "entity"
            )
        if spec.range and entity.kind not in spec.range:
            return None, ClaimResult(
                claim,
                "contradicted",
                f"{entity.name} is {_a(entity.kind)}; '{spec.name}' names a {' or '.join(spec.range)}",
                "type",
            )
        return entity.id, None

    def _undeclared(self, claim: Claim, rel_name: str, subject: str | None) -> ClaimResult:
        """A relation outside the schema: only a hack's deliberately open points use one."""
        if subject is not None:
            ambiguous = [r for r in self.kb.facts(subject, rel_name, self.scope) if r.tier == "ambiguous"]
            if ambiguous:
                return self._ambiguous(claim, ambiguous, subject)
        return ClaimResult(claim, "unknown", f"relation {claim.relation!r} is not in the schema", "relation")

    def _ambiguous(self, claim: Claim, records: list[Record], subject: str) -> ClaimResult:
        if normalise(str(claim.object)) in OPEN_SPELLINGS:
            return ClaimResult(
                claim,
                "supported",
                f"left open on purpose: {cite(self.kb, records)}",
                "ambiguous",
                records,
                subject,
                OPEN,
            )
        return ClaimResult(
            claim,
            "contradicted",
            f"resolves a point the story leaves open on purpose ({claim.object!r}): {cite(self.kb, records)}",
            "ambiguous",
            records,
            subject,
        )

    def _ordered(self, claim: Claim, a: str, b: Value) -> ClaimResult:
        b = str(b)
        if a == b:
            return ClaimResult(claim, "contradicted", "an event cannot come before itself", "order", [], a, b)
        forward = self.order.path(a, b)
        if forward:
            recs = self.order.records_on(forward)
            return ClaimResult(
                claim, "supported", f"the event graph orders them: {cite(self.kb, recs)}", "order", recs, a, b
            )
        backward = self.order.path(b, a)
        if backward:
            recs = self.order.records_on(backward)
            return ClaimResult(
                claim,
                "contradicted",
                f"the event graph puts {self.kb.name(b)} first: {cite(self.kb, recs)}",
                "order",
                recs,
                a,
                b,
            )
        return ClaimResult(claim, "unknown", "the event graph does not order these two", "order", [], a, b)

    def _decide(self, claim: Claim, spec: Relation, s: str, o: Value) -> ClaimResult:
        kb, scope = self.kb, self.scope
        values = kb.values(s, spec.name, scope)
        if o in values:
            recs = values[o]
            rule = "record" if recs[0].subject == s and recs[0].relation == spec.name else "inverse"
            return ClaimResult(claim, "supported", f"stated by {cite(self.kb, recs)}", rule, recs, s, o)
        if spec.functional and values:
            recs = [r for rs in values.values() for r in rs]
            return ClaimResult(
                claim,
                "contradicted",
                f"not {kb.name(o)}: the KB says {cite(self.kb, recs)}",
                "functional",
                recs,
                s,
                o,
            )
        back_rel = spec.inverse if spec.inverse else (spec.name if spec.symmetric else None)
        back_spec = relation(back_rel) if back_rel else None
        if back_spec is not None and back_spec.functional and isinstance(o, str):
            back = kb.values(o, back_spec.name, scope)
            if back and s not in back:
                recs = [r for rs in back.values() for r in rs]
                return ClaimResult(
                    claim,
                    "contradicted",
                    f"not {kb.name(s)}: the KB says {cite(self.kb, recs)}",
                    "inverse",
                    recs,
                    s,
                    o,
                )
        if spec.closed and values:
            recs = [r for rs in values.values() for r in rs]
            return ClaimResult(
                claim,
                "contradicted",
                f"the KB lists every value: {cite(self.kb, recs)}",
                "closed",
                recs,
                s,
                o,
            )
        return ClaimResult(claim, "unknown", "the KB states nothing that decides this", "none", [], s, o)


def check_claims(kb: KnowledgeBase, claims: Iterable[Claim], scope: str = VANILLA) -> list[ClaimResult]:
    """Check each claim against the KB in `scope`."""
    return ClaimChecker(kb, scope).check_all(claims)
