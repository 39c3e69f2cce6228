"""The knowledge base: entities and sourced records, indexed for the claim checker and the quest model.

Records hold within a scope. The vanilla game is `alttp`; a hack's scope (`oos`) inherits every
vanilla record whose (subject, relation) it does not restate, so a hack that moves the Hookshot
overrides where it is found without touching the rest of the game.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from triforce.errors import InputError
from triforce.lore.model import OPEN, TIERS, Entity, Record, Tier, Value
from triforce.lore.names import load_yaml, normalise, slug
from triforce.lore.schema import LITERALS, Relation, literal_value, relation, relations

VANILLA = "alttp"


@dataclass
class KnowledgeBase:
    entities: dict[str, Entity] = field(default_factory=dict)
    records: list[Record] = field(default_factory=list)
    parents: dict[str, str] = field(default_factory=dict)  # scope -> the scope it inherits from

    def __post_init__(self) -> None:
        self._names: dict[str, list[str]] = defaultdict(list)
        self._forward: dict[tuple[str, str, str], list[Record]] = defaultdict(list)
        self._backward: dict[tuple[str, str, Value], list[Record]] = defaultdict(list)
        self._relations_of: dict[str, set[str]] = defaultdict(set)  # subject -> relations stated
        self._memo: dict[Any, Any] = {}  # derived views (memory map, graphs); cleared on every change
        self._seen: set[tuple[str, str, str, Value]] = set()
        for entity in list(self.entities.values()):
            self._index_entity(entity)
        records, self.records = self.records, []
        for r in records:
            self.add(r)

    # -- building -------------------------------------------------------------------------------

    def _index_entity(self, entity: Entity) -> None:
        for name in (entity.name, *entity.aliases, entity.id):
            key = normalise(name)
            if key and entity.id not in self._names[key]:
                self._names[key].append(entity.id)

    def add_entity(self, entity: Entity) -> Entity:
        """Add an entity (or return the one already there under that id)."""
        have = self.entities.get(entity.id)
        if have is not None:
            return have
        self.entities[entity.id] = entity
        self._index_entity(entity)
        self._memo.clear()
        return entity

    def add_alias(self, entity_id: str, name: str) -> None:
        """Let another name resolve to an entity (a document's second name for the same flag)."""
        key = normalise(name)
        if key and entity_id not in self._names[key]:
            self._names[key].append(entity_id)
            self._memo.clear()

    def add(self, record: Record) -> bool:
        """Add a record (False when the same triple is already there in that scope)."""
        key = (record.scope, record.subject, record.relation, record.object)
        if key in self._seen:
            return False
        self._seen.add(key)
        self.records.append(record)
        self._forward[(record.scope, record.subject, record.relation)].append(record)
        self._backward[(record.scope, record.relation, record.object)].append(record)
        self._relations_of[record.subject].add(record.relation)
        self._memo.clear()
        return True

    def memo(self, key: Any, make: Callable[[], Any]) -> Any:
        """A derived view of the KB, computed once until the KB changes."""
        if key not in self._memo:
            self._memo[key] = make()
        return self._memo[key]

    def scope_chain(self, scope: str) -> list[str]:
        chain = [scope]
        while chain[-1] in self.parents and len(chain) < 8:
            chain.append(self.parents[chain[-1]])
        if chain[-1] != VANILLA:
            chain.append(VANILLA)
        return chain

    def copy(self) -> KnowledgeBase:
        return KnowledgeBase(dict(self.entities), list(self.records), dict(self.parents))

    # -- reading --------------------------------------------------------------------------------

    def resolve(self, name: str | int, scope: str = VANILLA, kinds: Iterable[str] = ()) -> Entity | None:
        """The entity a name (or alias, or id) means in this scope; None when there is none.
        Entities of the scope win over inherited ones; `kinds` narrows the choice."""
        ids = self._names.get(normalise(str(name)), [])
        wanted = set(kinds)
        candidates = [self.entities[i] for i in ids if not wanted or self.entities[i].kind in wanted]
        if not candidates:
            return None
        order = {s: n for n, s in enumerate(self.scope_chain(scope))}
        candidates.sort(key=lambda e: order.get(e.scope, 99))
        return candidates[0] if order.get(candidates[0].scope, 99) < 99 else None

    def name(self, value: Value) -> str:
        """How prose writes a value: the entity's name, or the literal itself."""
        entity = self.entities.get(str(value)) if isinstance(value, str) else None
        return entity.name if entity else str(value)

    def facts(self, subject: str, rel: str, scope: str = VANILLA) -> list[Record]:
        """Records (subject, rel, *) visible in the scope: the nearest scope that states any."""
        for s in self.scope_chain(scope):
            found = self._forward.get((s, subject, rel))
            if found:
                return list(found)
        return []

    def record(self, record_id: str) -> Record | None:
        """The record with this id ("alttp:eastern_palace/boss/armos_knights"), if any."""
        index: dict[str, Record] = self.memo("ids", lambda: {r.id: r for r in self.records})
        return index.get(record_id)

    def about(self, subject: str, scope: str = VANILLA) -> list[Record]:
        """Every record visible in the scope whose subject this is (all relations)."""
        out: list[Record] = []
        for rel in sorted(self._relations_of.get(subject, ())):
            out += self.facts(subject, rel, scope)
        return out

    def facts_about(self, obj: Value, rel: str, scope: str = VANILLA) -> list[Record]:
        """Records (*, rel, obj) visible in the scope (each subject's nearest statement)."""
        out: list[Record] = []
        for s in self.scope_chain(scope):
            for r in self._backward.get((s, rel, obj), []):
                if r not in out and r in self.facts(r.subject, rel, scope):
                    out.append(r)
        return out

    def values(self, subject: str, rel: str, scope: str = VANILLA) -> dict[Value, list[Record]]:
        """Every object the KB gives (subject, rel), read forwards, through the inverse and, for a
        symmetric relation, backwards; each with the records that state it."""
        out: dict[Value, list[Record]] = defaultdict(list)
        for r in self.facts(subject, rel, scope):
            out[r.object].append(r)
        spec = relation(rel)
        if spec is not None and spec.inverse:
            for r in self.facts_about(subject, spec.inverse, scope):
                out[r.subject].append(r)
        if spec is not None and spec.symmetric:
            for r in self.facts_about(subject, rel, scope):
                out[r.subject].append(r)
        return dict(out)

    def visible(self, scope: str = VANILLA) -> Iterator[Record]:
        """Every record that holds in the scope (inherited ones included unless overridden)."""
        chain = self.scope_chain(scope)
        stated: set[tuple[str, str]] = set()
        for s in chain:
            mine = [r for r in self.records if r.scope == s]
            keys = {(r.subject, r.relation) for r in mine}
            for r in mine:
                if (r.subject, r.relation) not in stated:
                    yield r
            stated |= keys

    def of_kind(self, kind: str, scope: str = VANILLA) -> list[Entity]:
        chain = set(self.scope_chain(scope))
        return [e for e in self.entities.values() if e.kind == kind and e.scope in chain]

    def scopes(self) -> list[str]:
        return sorted({r.scope for r in self.records} | {VANILLA})


# -- loading ---------------------------------------------------------------------------------------


def make_record(
    kb: KnowledgeBase,
    subject: str,
    rel: str,
    obj: Any,
    *,
    source: str,
    tier: Tier,
    scope: str,
    where: str = "",
    note: str = "",
) -> Record:
    """A record whose entity ids exist and whose literal object is in canonical form (InputError
    naming `where` otherwise). Ambiguous records may use relations the schema does not define."""
    spec = relation(rel)
    if spec is None and tier != "ambiguous":
        raise InputError(f"{where}: unknown relation {rel!r}")
    if subject not in kb.entities:
        raise InputError(f"{where}: unknown entity {subject!r}")
    value: Value
    if tier == "ambiguous" and (spec is None or normalise(str(obj)) == OPEN):
        value = OPEN
    elif spec is not None and spec.literal:
        value = literal_value(spec.literal, obj, field=where or rel)
    else:
        value = str(obj)
        if value not in kb.entities:
            raise InputError(f"{where}: unknown entity {value!r}")
    return Record(subject, rel, value, source=source, tier=tier, scope=scope, note=note)


def _refuse_shared_name(kb: KnowledgeBase, entity: Entity, where: str) -> None:
    """A name (or alias) of a file's entity must not already name another entity of its scope:
    `resolve` could not tell them apart, and a claim written with that name would be read as
    being about whichever entity came first."""
    if entity.id in kb.entities:
        return
    for name in (entity.name, *entity.aliases, entity.id):
        others = [i for i in kb._names.get(normalise(name), []) if kb.entities[i].scope == entity.scope]
        if others:
            raise InputError(
                f"{where}: entity {entity.id}: the name {name!r} already names {others[0]!r} "
                f"in scope {entity.scope!r}"
            )


def load_kb_file(
    path: Path | None = None, text: str | None = None, kb: KnowledgeBase | None = None
) -> KnowledgeBase:
    """Read a KB file (the bundled vanilla file's format) into `kb` (a new one by default)."""
    where = str(path) if path else "kb"
    if text is None:
        if path is None:
            raise InputError("load_kb_file needs a path or text")
        text = path.read_text(encoding="utf-8")
    try:
        data = load_yaml(text) or {}
    except yaml.YAMLError as exc:
        raise InputError(f"{where}: invalid YAML: {exc}") from exc
    kb = kb if kb is not None else KnowledgeBase()
    scope = str(data.get("scope", VANILLA))
    tier = data.get("tier", "vanilla")
    if scope != VANILLA:
        kb.parents.setdefault(scope, str(data.get("inherits", VANILLA)))
    for eid, spec in (data.get("entities") or {}).items():
        if not isinstance(spec, dict) or "kind" not in spec:
            raise InputError(f"{where}: entity {eid}: needs kind and name")
        entity = Entity(
            str(eid), str(spec.get("name", eid)), str(spec["kind"]), tuple(spec.get("aliases", [])), scope
        )
        _refuse_shared_name(kb, entity, where)
        kb.add_entity(entity)
    for n, group in enumerate(data.get("facts") or []):
        source = str(group.get("source", ""))
        gtier = group.get("tier", tier)
        if gtier not in TIERS:
            raise InputError(f"{where}: facts[{n}]: tier {gtier!r} must be one of {', '.join(TIERS)}")
        if not source:
            raise InputError(f"{where}: facts[{n}]: every group needs a source")
        for m, row in enumerate(group.get("records") or []):
            if not isinstance(row, list) or len(row) not in (3, 4):
                raise InputError(f"{where}: facts[{n}].records[{m}]: expected [subject, relation, object]")
            kb.add(
                make_record(
                    kb,
                    str(row[0]),
                    str(row[1]),
                    row[2],
                    source=source,
                    tier=gtier,
                    scope=scope,
                    where=f"{where}: facts[{n}].records[{m}]",
                    note=str(row[3]) if len(row) == 4 else "",
                )
            )
    return kb


@cache
def _vanilla() -> KnowledgeBase:
    text = resources.files("triforce.lore").joinpath("data/vanilla.yaml").read_text("utf-8")
    return load_kb_file(text=text)


def load_vanilla() -> KnowledgeBase:
    """The bundled vanilla KB (a fresh copy: callers may extend it)."""
    return _vanilla().copy()


def vanilla() -> KnowledgeBase:
    """The bundled vanilla KB, shared (do not extend it; use `load_vanilla()` for that)."""
    return _vanilla()


def entity_for(kb: KnowledgeBase, name: str, kind: str, scope: str, aliases: Iterable[str] = ()) -> Entity:
    """The entity of this kind `name` means in `scope` (the hack's own, else an inherited one),
    added as a new entity when there is none (used by the readers of a hack's documents). A name
    the scope already uses for another kind ("Hammer" the save slot, "Hammer" the item) gets an
    entity of its own."""
    found = kb.resolve(name, scope, kinds=(kind,))
    if found is not None:
        return found
    base = slug(name) or "entity"
    eid = base if base not in kb.entities else f"{scope}_{base}"
    if eid in kb.entities:
        eid = f"{scope}_{base}_{kind}"
    return kb.add_entity(Entity(eid, name.strip(), kind, tuple(aliases), scope))


def relation_kinds(rel: Relation) -> set[str]:
    return {k for k in rel.range if k not in LITERALS}


__all__ = [
    "VANILLA",
    "KnowledgeBase",
    "entity_for",
    "load_kb_file",
    "load_vanilla",
    "make_record",
    "relation_kinds",
    "relations",
    "vanilla",
]
