"""Pacing metrics of a quest: its beats, how deep its gating goes, how far it sends the player back.

- beats: steps per kind, distinct kinds, the longest run of one kind;
- gating depth: the longest chain of steps each needing what an earlier one granted;
- backtracking: region borders crossed between consecutive steps over the KB's overworld graph,
  and how many steps return to a place already left.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass, field

from triforce.lore.graph import distance, map_graph
from triforce.lore.kb import VANILLA, KnowledgeBase, vanilla
from triforce.lore.names import normalise
from triforce.quest.model import Quest


@dataclass
class Pacing:
    beats: int
    kinds: dict[str, int]
    distinct_kinds: int
    longest_run: int
    gating_depth: int
    travel: int  # region borders crossed in total (steps whose places the map does not connect count 0)
    backtracks: int  # steps that return to a place the quest had already left
    unmapped: list[str] = field(default_factory=list)  # places the map graph cannot place

    def to_json(self) -> dict[str, object]:
        return {
            "beats": self.beats,
            "kinds": self.kinds,
            "distinct_kinds": self.distinct_kinds,
            "longest_run": self.longest_run,
            "gating_depth": self.gating_depth,
            "travel": self.travel,
            "backtracks": self.backtracks,
            "unmapped": self.unmapped,
        }


def gating_depth(quest: Quest) -> int:
    """Longest chain i1 < i2 < ... where each step needs an item or flag an earlier one in the
    chain granted (1 for a quest whose steps need nothing)."""
    depth: list[int] = []
    for j, step in enumerate(quest.steps):
        needs = {normalise(x) for x in step.requires} | set(step.requires_flags)
        best = 0
        for i in range(j):
            gives = {normalise(x) for x in quest.steps[i].grants} | set(quest.steps[i].sets_flags)
            if needs & gives:
                best = max(best, depth[i])
        depth.append(best + 1)
    return max(depth, default=0)


def pacing(quest: Quest, kb: KnowledgeBase | None = None, scope: str = VANILLA) -> Pacing:
    kb = kb or vanilla()
    kinds = [s.kind for s in quest.steps]
    longest = run = 1
    for k1, k2 in itertools.pairwise(kinds):
        run = run + 1 if k1 == k2 else 1
        longest = max(longest, run)
    adj = map_graph(kb, scope)
    places: list[str | None] = []
    unmapped: list[str] = []
    for s in quest.steps:
        entity = kb.resolve(s.location, scope, kinds=("place", "dungeon"))
        places.append(entity.id if entity and entity.id in adj else None)
        if places[-1] is None and s.location not in unmapped:
            unmapped.append(s.location)
    travel = 0
    for a, b in itertools.pairwise(places):
        if a is not None and b is not None:
            travel += distance(adj, a, b) or 0
    backtracks = 0
    left: set[str] = set()
    for a, b in itertools.pairwise(places):
        if a is not None and b is not None and a != b:
            if b in left:
                backtracks += 1
            left.add(a)
    return Pacing(
        beats=len(kinds),
        kinds=dict(Counter(kinds)),
        distinct_kinds=len(set(kinds)),
        longest_run=longest,
        gating_depth=gating_depth(quest),
        travel=travel,
        backtracks=backtracks,
        unmapped=unmapped,
    )
