"""The canon fact table (data/alttp_facts.yaml) and the name normalisation graders share."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

import yaml

_FACTS_FILE = Path(__file__).parent / "data" / "alttp_facts.yaml"


def normalise(text: str) -> str:
    """Lower case, no punctuation or leading article: "the Tower of Hera!" -> "tower of hera"."""
    text = re.sub(r"[^a-z0-9 ]+", "", text.lower().replace("-", " "))
    text = re.sub(r"\s+", " ", text).strip()
    return re.sub(r"^(the|a|an) ", "", text)


@cache
def _table() -> dict[str, Any]:
    data: dict[str, Any] = yaml.safe_load(_FACTS_FILE.read_text(encoding="utf-8"))
    return data


def facts() -> dict[str, dict[str, Any]]:
    table: dict[str, dict[str, Any]] = _table()["facts"]
    return table


def locations() -> frozenset[str]:
    return frozenset(normalise(name) for name in _table()["locations"])


def matches_fact(fact_id: str, answer: Any) -> tuple[bool, str]:
    """Does an answer value agree with the fact? Returns (ok, expected-as-text)."""
    fact = facts()[fact_id]
    value = fact["value"]
    aliases = {normalise(a) for a in fact.get("aliases", [])}
    if isinstance(value, bool | int):
        try:
            return int(answer) == value, str(value)
        except (TypeError, ValueError):
            return False, str(value)
    if isinstance(value, list):
        if not isinstance(answer, list):
            return False, ", ".join(value)
        want = {normalise(v) for v in value}
        got = {normalise(str(a)) for a in answer}
        got = {_canonical_member(g, want, aliases) for g in got}
        return got == want, ", ".join(value)
    got_text = normalise(str(answer))
    return got_text == normalise(value) or got_text in aliases, str(value)


def _canonical_member(name: str, want: set[str], aliases: set[str]) -> str:
    """Map an aliased list member ("thieves town") onto its canonical spelling when unambiguous."""
    if name in want:
        return name
    for canonical in want:
        if name.replace(" ", "") == canonical.replace(" ", ""):
            return canonical
    return name if name not in aliases else next((w for w in want if w.startswith(name.split()[0])), name)
