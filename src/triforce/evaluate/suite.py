"""Evaluation suites as data: one JSON item per line, validated before anything runs.

Items live in `triforce/evaluate/suites/<name>.jsonl` (bundled) or any user path. Every item has
`id`, `category`, `prompt`, `reference` (a correct answer, so the `reference` backend proves the
graders), `grading` (a spec whose `kind` picks the grader) and `tags`. A broken item is reported
with its file, line and field so the author can fix it without reading a traceback.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from triforce.errors import InputError
from triforce.evaluate.graders import spec_model
from triforce.evaluate.metrics import targets
from triforce.fsio import lines_bounded

# Categories are the rows of the plan's benchmark table, kept as data in data/targets.yaml.
CATEGORIES: tuple[str, ...] = tuple(targets())

SUITES_DIR = Path(__file__).parent / "suites"


class SuiteItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(min_length=1)
    category: str
    prompt: str = Field(min_length=1)
    reference: str
    grading: dict[str, Any]
    tags: list[str] = Field(default_factory=list)
    system: str | None = None  # optional system prompt for chat backends

    @field_validator("category")
    @classmethod
    def _known_category(cls, value: str) -> str:
        if value not in CATEGORIES:
            raise ValueError(
                f"unknown category {value!r}; one of {', '.join(CATEGORIES)} (evaluate/data/targets.yaml)"
            )
        return value

    def spec(self) -> BaseModel:
        """The grading spec parsed by the grader's own model (validated at load time)."""
        return spec_model(self.grading.get("kind", "")).model_validate(self.grading)


class Suite(BaseModel):
    name: str
    path: str
    items: list[SuiteItem]

    def by_id(self) -> dict[str, SuiteItem]:
        return {item.id: item for item in self.items}


def bundled_suites() -> list[str]:
    """Names of the suites shipped inside the package."""
    return sorted(p.stem for p in SUITES_DIR.glob("*.jsonl"))


def resolve_suite_path(name_or_path: str) -> Path:
    path = Path(name_or_path)
    if path.suffix == ".jsonl" or path.exists():
        if not path.exists():
            raise InputError(f"{path}: suite file does not exist")
        return path
    bundled = SUITES_DIR / f"{name_or_path}.jsonl"
    if not bundled.exists():
        raise InputError(
            f"unknown suite {name_or_path!r}: not a file and not bundled (bundled: {', '.join(bundled_suites())})"
        )
    return bundled


def _field_path(loc: Iterable[Any]) -> str:
    return ".".join(str(part) for part in loc) or "<item>"


def parse_item(raw: str, source: str, line: int) -> SuiteItem:
    """Parse and validate one line; errors name file:line and the offending field."""
    try:
        data = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise InputError(f"{source}:{line}: not valid JSON: {exc.msg} (column {exc.colno})") from exc
    if not isinstance(data, dict):
        raise InputError(f"{source}:{line}: an item must be a JSON object")
    try:
        item = SuiteItem.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(f"{source}:{line}: field '{_field_path(err['loc'])}': {err['msg']}") from exc
    kind = item.grading.get("kind")
    try:
        model = spec_model(str(kind))
    except KeyError as exc:
        raise InputError(f"{source}:{line}: field 'grading.kind': unknown grader {kind!r}") from exc
    try:
        model.model_validate(item.grading)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(
            f"{source}:{line}: item {item.id!r}: field 'grading.{_field_path(err['loc'])}': {err['msg']}"
        ) from exc
    return item


def load_suite(name_or_path: str | Path) -> Suite:
    """Load a bundled suite by name (`asm`) or a JSONL file from anywhere."""
    path = resolve_suite_path(str(name_or_path))
    items: list[SuiteItem] = []
    seen: dict[str, int] = {}
    with path.open(encoding="utf-8") as fh:
        for line_no, raw in enumerate(lines_bounded(fh, str(path)), start=1):
            if not raw.strip():
                continue
            item = parse_item(raw, str(path), line_no)
            if item.id in seen:
                raise InputError(
                    f"{path}:{line_no}: field 'id': duplicate id {item.id!r} (first on line {seen[item.id]})"
                )
            seen[item.id] = line_no
            items.append(item)
    if not items:
        raise InputError(f"{path}: suite has no items")
    return Suite(name=path.stem, path=str(path), items=items)


def load_suites(names: Iterable[str]) -> Suite:
    """Several suites merged into one run (ids must stay unique across them)."""
    suites = [load_suite(n) for n in names]
    items: list[SuiteItem] = []
    seen: set[str] = set()
    for suite in suites:
        for item in suite.items:
            if item.id in seen:
                raise InputError(f"{suite.path}: field 'id': {item.id!r} also appears in another suite")
            seen.add(item.id)
            items.append(item)
    return Suite(name="+".join(s.name for s in suites), path=";".join(s.path for s in suites), items=items)
