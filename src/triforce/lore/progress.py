"""Progression by search: which steps can be done, in which order, from a start state.

A step needs tokens (items, flags, "done:<step>" markers) and grants tokens. Starting from what
the player holds, every step whose needs are met is done and its grants added, until nothing
changes. What is left undone is stuck, with what it still misses. The KB uses it to prove that
every item is obtainable before it is required; the quest model to prove that a quest cannot
softlock.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Step:
    needs: frozenset[str] = frozenset()
    grants: frozenset[str] = frozenset()


@dataclass
class Progress:
    order: list[str] = field(default_factory=list)  # steps in the order the search could do them
    held: set[str] = field(default_factory=set)  # every token held at the end
    stuck: dict[str, list[str]] = field(default_factory=dict)  # step -> tokens it still misses
    granted_by: dict[str, list[str]] = field(default_factory=dict)  # token -> steps that grant it

    @property
    def complete(self) -> bool:
        return not self.stuck


def solve(steps: Mapping[str, Step], start: Iterable[str] = ()) -> Progress:
    """Do every step that can be done (in a stable order: the earliest-listed ready step first)."""
    out = Progress(held=set(start))
    for name, step in steps.items():
        for token in step.grants:
            out.granted_by.setdefault(token, []).append(name)
    pending = list(steps)
    progressed = True
    while pending and progressed:
        progressed = False
        for name in list(pending):
            if steps[name].needs <= out.held:
                out.order.append(name)
                out.held |= steps[name].grants | {f"done:{name}"}
                pending.remove(name)
                progressed = True
                break
    out.stuck = {name: sorted(steps[name].needs - out.held) for name in pending}
    return out
