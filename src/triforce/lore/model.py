"""The records a knowledge base is made of: entities, sourced facts, claims and the checker's verdicts.

A fact is a typed triple (subject, relation, object) with the source that states it and a tier
saying how much weight it carries: the vanilla game, a hack's canon, a hack's design notes (plans
that may change), or a point the story leaves open on purpose. Facts hold within a scope: the
vanilla game (`alttp`) or a hack (`oos`, ...) that inherits the vanilla facts it does not restate.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Tier = Literal["vanilla", "hack-canon", "hack-design", "ambiguous"]
TIERS: tuple[Tier, ...] = ("vanilla", "hack-canon", "hack-design", "ambiguous")
Status = Literal["supported", "contradicted", "unknown"]

# Entity kinds: places and dungeons have map positions, items and prizes are obtained, events are
# ordered, flags and RAM blocks have addresses.
KINDS = (
    "game",
    "world",
    "place",
    "dungeon",
    "item",
    "pendant",
    "crystal",
    "character",
    "boss",
    "event",
    "flag",
    "ram",
)

# The object of an ambiguous record: the story leaves this open on purpose.
OPEN = "open"
# How an answer may say that a point is left open (normalised).
OPEN_SPELLINGS = frozenset(
    {"open", "ambiguous", "unresolved", "left open", "unknown", "unspecified", "unstated"}
)

Value = str | int  # an entity id, or a literal (number, address, colour, text)


@dataclass(frozen=True)
class Entity:
    id: str
    name: str
    kind: str
    aliases: tuple[str, ...] = ()
    scope: str = "alttp"


@dataclass(frozen=True)
class Record:
    """One sourced fact. `source` is a citable note ("path#line" for a hack's documents)."""

    subject: str
    relation: str
    object: Value
    source: str
    tier: Tier = "vanilla"
    scope: str = "alttp"
    note: str = ""

    @property
    def id(self) -> str:
        """Stable and readable: the scope and the triple itself."""
        return f"{self.scope}:{self.subject}/{self.relation}/{self.object}"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "subject": self.subject,
            "relation": self.relation,
            "object": self.object,
            "source": self.source,
            "tier": self.tier,
            "scope": self.scope,
            **({"note": self.note} if self.note else {}),
        }


@dataclass(frozen=True)
class Claim:
    """A triple as an answer states it: names as written, before resolution."""

    subject: str
    relation: str
    object: str | int
    cites: str = ""  # the record id the answer says it relies on (optional)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"s": self.subject, "r": self.relation, "o": self.object}
        if self.cites:
            out["cite"] = self.cites
        return out


@dataclass
class ClaimResult:
    """The checker's verdict on one claim, with the record(s) that decided it."""

    claim: Claim
    status: Status
    reason: str
    rule: str = ""  # "record", "inverse", "functional", "order", "ambiguous", "type", "closed", ...
    records: list[Record] = field(default_factory=list)
    subject_id: str | None = None
    object_value: Value | None = None

    @property
    def record(self) -> Record | None:
        return self.records[0] if self.records else None

    def to_json(self) -> dict[str, Any]:
        return {
            "claim": self.claim.to_json(),
            "status": self.status,
            "rule": self.rule,
            "reason": self.reason,
            "records": [r.to_json() for r in self.records],
        }


@dataclass(frozen=True)
class Problem:
    """A consistency problem inside the knowledge base itself (a document contradicting itself)."""

    rule: str  # "functional", "inverse", "cycle", "obtainable", "order", "collision", "type", "count"
    message: str
    records: tuple[Record, ...] = ()
    nodes: tuple[str, ...] = ()  # the entities the problem is about

    def to_json(self) -> dict[str, Any]:
        return {
            "rule": self.rule,
            "message": self.message,
            "nodes": list(self.nodes),
            "records": [r.to_json() for r in self.records],
        }
