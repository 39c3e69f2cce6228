"""Quest templates (data/templates.yaml) filled from the KB: a giver the KB places somewhere, places
near and far on the overworld graph, KB items as tools and rewards, and save flags put in save RAM
nobody uses. The filled quest is plain data; the quest model then checks it like any other.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from triforce.errors import ConfigError
from triforce.lore.graph import distances, map_graph
from triforce.lore.kb import VANILLA, KnowledgeBase
from triforce.lore.memory import free_bytes
from triforce.lore.names import load_yaml
from triforce.quest.model import Flag, Quest, Step

FREE_BLOCK = (0x7EF38A, 0x7EF3C4)  # the vanilla save file's documented unused bytes


@dataclass(frozen=True)
class Slots:
    giver: str
    home: str
    near: str
    far: str
    object: str
    tool: str
    reward: str
    token: str


@cache
def catalogue() -> dict[str, Any]:
    text = resources.files("triforce.quest").joinpath("data/templates.yaml").read_text("utf-8")
    data = load_yaml(text) or {}
    if not isinstance(data.get("templates"), dict):
        raise ConfigError("quest/data/templates.yaml: needs a `templates` mapping")
    return dict(data)


def template_names() -> list[str]:
    return list(catalogue()["templates"])


def _n(key: str) -> int:
    return int(hashlib.sha256(key.encode()).hexdigest()[:8], 16)


def held_out() -> set[str]:
    """Givers kept for evaluation (the training generator does not use them)."""
    return set(catalogue().get("held_out_givers", []))


def givers(kb: KnowledgeBase, scope: str = VANILLA, split: str = "all") -> list[tuple[str, str]]:
    """(character, home place) pairs the map graph can route from; `split` "train" leaves out
    the held-out givers, "eval" keeps only them."""
    adj = map_graph(kb, scope)
    out = []
    kept = held_out()
    for e in sorted(kb.of_kind("character", scope), key=lambda e: e.id):
        if (split == "train" and e.id in kept) or (split == "eval" and e.id not in kept):
            continue
        home = kb.facts(e.id, "home", scope)
        if home and str(home[0].object) in adj:
            out.append((e.id, str(home[0].object)))
    return out


def slots(kb: KnowledgeBase, giver: str, home: str, variant: int, scope: str = VANILLA) -> Slots | None:
    """Places and things for one filling; None when the map offers no near and far place."""
    adj = map_graph(kb, scope)
    by_distance: dict[int, list[str]] = {}
    reach = distances(adj, home)
    for place in sorted(reach):
        entity = kb.entities.get(place)
        if place == home or entity is None or entity.kind not in ("place", "dungeon"):
            continue
        by_distance.setdefault(reach[place], []).append(place)
    near = [p for d in (1, 2) for p in by_distance.get(d, [])]
    far = [p for d in sorted(by_distance) if d >= 3 for p in by_distance[d]]
    if not near or not far:
        return None
    cat = catalogue()
    key = f"{giver}:{variant}"
    return Slots(
        giver=giver,
        home=home,
        near=near[_n(key + "near") % len(near)],
        far=far[_n(key + "far") % len(far)],
        object=cat["objects"][_n(key + "object") % len(cat["objects"])],
        tool=cat["tools"][_n(key + "tool") % len(cat["tools"])],
        reward=cat["rewards"][_n(key + "reward") % len(cat["rewards"])],
        token=cat["tokens"][_n(key + "token") % len(cat["tokens"])],
    )


def _camel(text: str) -> str:
    return "".join(w[:1].upper() + w[1:] for w in text.replace("'", "").replace("-", " ").split())


def fill(
    name: str, kb: KnowledgeBase, s: Slots, scope: str = VANILLA, spec: dict[str, Any] | None = None
) -> Quest:
    """The template `name` (or the template `spec` given, in the same format) with these slots,
    as a quest (flags at free save-RAM addresses)."""
    spec = spec if spec is not None else catalogue()["templates"].get(name)
    if spec is None:
        raise ConfigError(f"unknown quest template {name!r}; choose from {', '.join(template_names())}")
    words = {
        "giver": kb.name(s.giver),
        "home": kb.name(s.home),
        "near": kb.name(s.near),
        "far": kb.name(s.far),
        "object": s.object,
        "tool": kb.name(s.tool),
        "reward": kb.name(s.reward),
        "token": s.token,
    }
    words |= {f"{k}_title": " ".join(w[:1].upper() + w[1:] for w in v.split()) for k, v in words.items()}
    where = {"home": words["home"], "near": words["near"], "far": words["far"]}
    prefix = _camel(words["giver"]) + _camel(name)
    flag_names = {f: prefix + f for f in spec.get("flags", [])}
    free = [a for a in free_bytes(kb, scope, *FREE_BLOCK)]
    if not free:
        raise ConfigError("no free save RAM left for quest flags")
    address = free[_n(prefix + s.near + s.far) % len(free)]
    flags = [
        Flag(name=n, address=address, mask=1 << i, meaning=f"{name} quest: {f.lower()}")
        for i, (f, n) in enumerate(flag_names.items())
    ]

    def text(value: str) -> str:
        return value.format(**words)

    steps = []
    for kind, loc, summary, extra in spec["steps"]:
        extra = extra or {}
        steps.append(
            Step(
                kind=kind,
                location=where[loc],
                summary=text(summary),
                npc=words["giver"] if extra.get("npc") == "giver" else None,
                requires=[text(x) for x in extra.get("requires", [])],
                grants=[text(x) for x in extra.get("grants", [])],
                consumes=[text(x) for x in extra.get("consumes", [])],
                requires_flags=[flag_names[f] for f in extra.get("requires_flags", [])],
                sets_flags=[flag_names[f] for f in extra.get("sets_flags", [])],
            )
        )
    return Quest(
        title=text(spec["title"]),
        kind=name,
        giver=words["giver"],
        goal=text(spec["goal"]),
        start_items=[words["tool"]],
        steps=steps,
        reward=[words["reward"]],
        flags=flags,
    )


def include_kinds(name: str) -> list[str]:
    return list(catalogue()["templates"][name].get("include", []))
