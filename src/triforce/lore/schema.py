"""The relation schema (data/relations.yaml) and the literal value types relations range over."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from triforce.errors import ConfigError, InputError
from triforce.lore.model import KINDS
from triforce.lore.names import load_yaml, normalise
from triforce.snes.addresses import format_address, parse_address

LITERALS = ("int", "address", "colour", "text")


@dataclass(frozen=True)
class Relation:
    name: str
    domain: tuple[str, ...]
    range: tuple[str, ...]  # entity kinds, or one literal type
    functional: bool = False
    inverse: str | None = None
    symmetric: bool = False
    ordering: bool = False
    closed: bool = False
    say: str = ""
    ask: str = ""

    @property
    def literal(self) -> str | None:
        """The literal type of the object ("int", "address", ...), None when it is an entity."""
        return self.range[0] if self.range and self.range[0] in LITERALS else None


def _relation(name: str, spec: Any) -> Relation:
    if not isinstance(spec, dict):
        raise ConfigError(f"relations.yaml: {name}: expected a mapping")
    rng = spec.get("range", [])
    rng = (rng,) if isinstance(rng, str) else tuple(rng)
    domain = tuple(spec.get("domain", []))
    for kind in (*domain, *(r for r in rng if r not in LITERALS)):
        if kind not in KINDS:
            raise ConfigError(f"relations.yaml: {name}: unknown kind {kind!r}")
    return Relation(
        name=name,
        domain=domain,
        range=rng,
        functional=bool(spec.get("functional", False)),
        inverse=spec.get("inverse"),
        symmetric=bool(spec.get("symmetric", False)),
        ordering=bool(spec.get("ordering", False)),
        closed=bool(spec.get("closed", False)),
        say=str(spec.get("say", "")),
        ask=str(spec.get("ask", "")),
    )


@cache
def relations() -> dict[str, Relation]:
    """Every relation of the schema, by name (ConfigError when the file is inconsistent)."""
    text = resources.files("triforce.lore").joinpath("data/relations.yaml").read_text("utf-8")
    data = load_yaml(text) or {}
    out = {str(k): _relation(str(k), v) for k, v in data.items()}
    for rel in out.values():
        if rel.inverse and rel.inverse not in out:
            raise ConfigError(f"relations.yaml: {rel.name}: inverse {rel.inverse!r} is not defined")
    return out


def relation(name: str) -> Relation | None:
    return relations().get(name)


def literal_value(kind: str, value: Any, *, field: str = "value") -> str | int:
    """The canonical form of a literal: ints as int, addresses as `$7EF340`, colours and text
    normalised. InputError when the value is not of that type."""
    if kind == "int":
        if isinstance(value, bool):
            raise InputError(f"{field}: {value!r} is not a number")
        if isinstance(value, int):
            return value
        text = str(value).strip()
        try:
            return int(text[1:], 16) if text.startswith("$") else int(text, 0)
        except ValueError:
            raise InputError(f"{field}: {value!r} is not a number") from None
    if kind == "address":
        return format_address(parse_address(value if isinstance(value, int) else str(value), field=field))
    return normalise(str(value))
