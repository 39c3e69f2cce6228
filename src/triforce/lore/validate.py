"""Consistency of a knowledge base with itself: the checks that find a design document contradicting
itself or the game.

- functional: one value per (subject, relation), read either way (one dungeon per pendant);
- type: every record's ends are of the kinds its relation allows;
- cycle: the event graph (explicit and implied by requirements) is acyclic;
- obtainable: every dungeon, event and item can be reached from nothing by a search over items;
- order: nothing is ordered before the place that yields an item it requires;
- collision: no two flags of one scope share a bit (one flag per bit, one address per flag);
- count: stated counts (pendants, crystals, maidens) match the records.
"""

from __future__ import annotations

from collections import defaultdict

from triforce.lore.graph import NODE_KINDS, obtained_at, order_graph, place_of
from triforce.lore.kb import VANILLA, KnowledgeBase
from triforce.lore.memory import collisions
from triforce.lore.model import Problem, Record
from triforce.lore.progress import Step, solve
from triforce.lore.schema import relation


def _functional(kb: KnowledgeBase, scope: str, records: list[Record]) -> list[Problem]:
    out: list[Problem] = []
    seen: set[tuple[str, str]] = set()
    for r in records:
        spec = relation(r.relation)
        if spec is None:
            continue
        pairs = []
        if spec.functional:
            pairs.append((r.subject, r.relation))
        inv = relation(spec.inverse) if spec.inverse else None
        if inv is not None and inv.functional and isinstance(r.object, str):
            pairs.append((r.object, inv.name))
        for s, rel in pairs:
            if (s, rel) in seen:
                continue
            seen.add((s, rel))
            values = kb.values(s, rel, scope)
            if len(values) > 1:
                recs = tuple(x for xs in values.values() for x in xs)
                names = ", ".join(kb.name(v) for v in values)
                out.append(
                    Problem("functional", f"{kb.name(s)} has more than one {rel}: {names}", recs, (s,))
                )
    return out


def _types(kb: KnowledgeBase, records: list[Record]) -> list[Problem]:
    out = []
    for r in records:
        spec = relation(r.relation)
        subj = kb.entities.get(r.subject)
        if spec is None or subj is None:
            continue
        if spec.domain and subj.kind not in spec.domain:
            out.append(
                Problem("type", f"{subj.name} is a {subj.kind}; {r.relation} applies to {spec.domain}", (r,))
            )
        obj = kb.entities.get(str(r.object)) if not spec.literal else None
        if obj is not None and spec.range and obj.kind not in spec.range:
            out.append(
                Problem("type", f"{obj.name} is a {obj.kind}; {r.relation} names a {spec.range}", (r,))
            )
    return out


def progression_steps(
    kb: KnowledgeBase, scope: str = VANILLA
) -> tuple[dict[str, Step], dict[str, list[Record]]]:
    """Dungeons, events and items as search steps (needs/grants), and where each token comes from."""
    needs: dict[str, set[str]] = defaultdict(set)
    grants: dict[str, set[str]] = defaultdict(set)
    origin: dict[str, list[Record]] = defaultdict(list)
    visible = list(kb.visible(scope))
    nodes = {
        r.subject for r in visible if kb.entities.get(r.subject) and kb.entities[r.subject].kind in NODE_KINDS
    }
    nodes |= {str(r.object) for r in visible if r.relation == "before"}
    for r in visible:
        if r.relation == "requires":
            needs[r.subject].add(str(r.object))
        elif r.relation == "before":
            needs[str(r.object)].add(f"done:{r.subject}")
    for token in {e.id for e in kb.entities.values() if e.kind in ("item", "pendant", "crystal")}:
        where = obtained_at(kb, token, scope)
        homes = [
            w
            for w in where
            if kb.entities.get(place_of(w, token)) and kb.entities[place_of(w, token)].kind in NODE_KINDS
        ]
        if homes:
            for w in homes:
                place = place_of(w, token)
                nodes.add(place)
                origin[token].append(w)
                if needs.get(token):
                    needs[token].add(f"done:{place}")
                    grants[token].add(token)
                    nodes.add(token)
                else:
                    grants[place].add(token)
        elif where or needs.get(token) or kb.values(token, "given_by", scope):
            origin[token] += where
            grants[token].add(token)
            nodes.add(token)
    if scope != VANILLA:  # a hack's progression: its own dungeons, events and items only
        nodes = {n for n in nodes if n in kb.entities and kb.entities[n].scope == scope}
    steps = {n: Step(frozenset(needs.get(n, ())), frozenset(grants.get(n, ()))) for n in sorted(nodes)}
    return steps, origin


def _obtainable(kb: KnowledgeBase, scope: str) -> list[Problem]:
    steps, origin = progression_steps(kb, scope)
    result = solve(steps)
    out = []
    for node, missing in result.stuck.items():
        if all(t.startswith("done:") for t in missing):
            continue  # only waits for another stuck step: that step's problem is the cause
        whys = []
        for token in missing:
            if token.startswith("done:"):
                whys.append(f"waits for {kb.name(token[5:])}")
            elif origin.get(token):
                places = {place_of(r, token) for r in origin[token]}
                own = " (itself)" if node in places or token == node else ""
                whys.append(
                    f"needs the {kb.name(token)}, obtained only at {', '.join(kb.name(p) for p in places)}{own}"
                )
            else:
                whys.append(f"needs the {kb.name(token)}, which nothing in the KB grants")
        recs = tuple(r for r in kb.facts(node, "requires", scope) if r.object in missing)
        out.append(
            Problem("obtainable", f"{kb.name(node)} can never be reached: " + "; ".join(whys), recs, (node,))
        )
    return out


def _order(kb: KnowledgeBase, scope: str) -> list[Problem]:
    explicit = order_graph(kb, scope, implied=False)
    out = []
    for r in kb.visible(scope):
        if r.relation != "requires" or not isinstance(r.object, str):
            continue
        for where in obtained_at(kb, r.object, scope):
            place = place_of(where, r.object)
            if place == r.subject:
                out.append(
                    Problem(
                        "order",
                        f"{kb.name(r.subject)} requires the {kb.name(r.object)}, found inside it",
                        (r, where),
                    )
                )
                continue
            chain = explicit.path(r.subject, place)
            if chain:
                out.append(
                    Problem(
                        "order",
                        f"{kb.name(r.subject)} requires the {kb.name(r.object)}, but comes before "
                        f"{kb.name(place)} where it is obtained",
                        (r, where, *explicit.records_on(chain)),
                        (r.subject, r.object, place),
                    )
                )
    return out


def _counts(kb: KnowledgeBase, scope: str) -> list[Problem]:
    out = []
    for rel, kind, via in (
        ("pendant_count", "pendant", "prize_of"),
        ("crystal_count", "crystal", "prize_of"),
    ):
        for r in (x for x in kb.visible(scope) if x.relation == rel):
            have = [e for e in kb.of_kind(kind, scope) if kb.values(e.id, via, scope)]
            if isinstance(r.object, int) and len(have) != r.object:
                out.append(
                    Problem("count", f"{rel} is {r.object} but the KB places {len(have)} {kind}s", (r,))
                )
    return out


def validate(kb: KnowledgeBase, scope: str = VANILLA) -> list[Problem]:
    """Every consistency problem of the KB in this scope (empty: consistent)."""
    records = list(kb.visible(scope))
    problems = _functional(kb, scope, records) + _types(kb, records)
    for cycle in order_graph(kb, scope).cycles():
        problems.append(
            Problem(
                "cycle", "the event graph loops: " + " -> ".join(kb.name(n) for n in cycle), (), tuple(cycle)
            )
        )
    problems += _obtainable(kb, scope) + _order(kb, scope) + _counts(kb, scope)
    for a, b in collisions(kb, scope):
        problems.append(
            Problem(
                "collision",
                f"{a.describe(kb)} and {b.describe(kb)} share bits",
                tuple(x for x in (a.record, b.record) if x),
            )
        )
    return problems
