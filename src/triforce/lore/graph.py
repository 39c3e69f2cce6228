"""Graphs the KB implies: the event order (an acyclic `before` relation, plus edges that item
requirements imply) and the overworld map (`adjacent_to`, `part_of`) for travel distances."""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass, field

from triforce.lore.kb import VANILLA, KnowledgeBase
from triforce.lore.model import Record
from triforce.lore.schema import relations

NODE_KINDS = ("event", "dungeon")


@dataclass
class OrderGraph:
    """Directed edges a -> b ("a happens before b"), each with the record(s) that state it."""

    edges: dict[str, dict[str, list[Record]]] = field(default_factory=lambda: defaultdict(dict))

    def add(self, a: str, b: str, records: list[Record]) -> None:
        self.edges[a].setdefault(b, []).extend(records)

    def path(self, a: str, b: str) -> list[tuple[str, str]] | None:
        """A shortest chain of edges from a to b, or None."""
        prev: dict[str, str] = {}
        queue = deque([a])
        seen = {a}
        while queue:
            node = queue.popleft()
            for nxt in self.edges.get(node, {}):
                if nxt in seen:
                    continue
                prev[nxt] = node
                if nxt == b:
                    chain = [(node, nxt)]
                    while chain[0][0] != a:
                        chain.insert(0, (prev[chain[0][0]], chain[0][0]))
                    return chain
                seen.add(nxt)
                queue.append(nxt)
        return None

    def records_on(self, chain: list[tuple[str, str]]) -> list[Record]:
        return [self.edges[a][b][0] for a, b in chain]

    def cycles(self) -> list[list[str]]:
        """Each strongly connected set of more than one node (or a self-loop), as a node list."""
        index: dict[str, int] = {}
        low: dict[str, int] = {}
        stack: list[str] = []
        on: set[str] = set()
        out: list[list[str]] = []
        counter = [0]
        nodes = set(self.edges) | {b for t in self.edges.values() for b in t}

        def visit(v: str) -> None:  # Tarjan, iterative enough for KB sizes (hundreds of nodes)
            index[v] = low[v] = counter[0]
            counter[0] += 1
            stack.append(v)
            on.add(v)
            for w in self.edges.get(v, {}):
                if w not in index:
                    visit(w)
                    low[v] = min(low[v], low[w])
                elif w in on:
                    low[v] = min(low[v], index[w])
            if low[v] == index[v]:
                comp = []
                while True:
                    w = stack.pop()
                    on.discard(w)
                    comp.append(w)
                    if w == v:
                        break
                if len(comp) > 1 or v in self.edges.get(v, {}):
                    out.append(sorted(comp))

        for v in sorted(nodes):
            if v not in index:
                visit(v)
        return out


def obtained_at(kb: KnowledgeBase, token: str, scope: str = VANILLA) -> list[Record]:
    """Where an item, pendant or crystal is obtained, as records: found_at / prize_of (either way)."""
    out: list[Record] = []
    for rel in ("found_at", "prize_of"):
        for value, recs in kb.values(token, rel, scope).items():
            out += [r for r in recs if isinstance(value, str)]
    return out


def place_of(record: Record, token: str) -> str:
    """The place a found_at / prize_of / prize record names for `token`."""
    return str(record.object) if record.subject == token else record.subject


def order_graph(kb: KnowledgeBase, scope: str = VANILLA, implied: bool = True) -> OrderGraph:
    """The `before` edges of the scope; with `implied`, also D -> X whenever X requires something
    obtained in dungeon/event D (both ends being ordered nodes)."""
    graph = OrderGraph()
    ordering = [name for name, rel in relations().items() if rel.ordering]
    for r in kb.visible(scope):
        if r.relation in ordering and isinstance(r.object, str):
            graph.add(r.subject, r.object, [r])
    if implied:
        for r in kb.visible(scope):
            if r.relation != "requires" or not isinstance(r.object, str):
                continue
            subj = kb.entities.get(r.subject)
            if subj is None or subj.kind not in NODE_KINDS:
                continue
            for where in obtained_at(kb, r.object, scope):
                place = kb.entities.get(place_of(where, r.object))
                if place is not None and place.kind in NODE_KINDS and place.id != subj.id:
                    graph.add(place.id, subj.id, [where, r])
    return graph


def map_graph(kb: KnowledgeBase, scope: str = VANILLA) -> dict[str, set[str]]:
    """Undirected overworld graph: region borders and "is part of" links (computed once per KB state)."""
    graph: dict[str, set[str]] = kb.memo(("map", scope), lambda: _map_graph(kb, scope))
    return graph


def _map_graph(kb: KnowledgeBase, scope: str) -> dict[str, set[str]]:
    adj: dict[str, set[str]] = defaultdict(set)
    for r in kb.visible(scope):
        if r.relation in ("adjacent_to", "part_of", "contains") and isinstance(r.object, str):
            adj[r.subject].add(r.object)
            adj[r.object].add(r.subject)
    return adj


def distances(adj: dict[str, set[str]], a: str) -> dict[str, int]:
    """Fewest region borders from a to every place the map connects to it."""
    out = {a: 0}
    frontier = [a]
    while frontier:
        nxt = []
        for node in frontier:
            for n in adj.get(node, ()):
                if n not in out:
                    out[n] = out[node] + 1
                    nxt.append(n)
        frontier = nxt
    return out


def distance(adj: dict[str, set[str]], a: str, b: str) -> int | None:
    """Fewest region borders between a and b (None when the map does not connect them)."""
    if a == b:
        return 0
    seen = {a}
    frontier = [a]
    steps = 0
    while frontier:
        steps += 1
        nxt = []
        for node in frontier:
            for n in adj.get(node, ()):
                if n == b:
                    return steps
                if n not in seen:
                    seen.add(n)
                    nxt.append(n)
        frontier = nxt
    return None
