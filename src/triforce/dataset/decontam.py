"""Decontamination: drop training samples that overlap an evaluation item.

An item contaminates a sample when any of these match:

- routine: a normalized code block of the sample equals a normalized code block of the item's
  reference or prompt (comments, layout, number notation and local label names do not matter);
- bytes: the sample's ``meta["assembled_hex"]`` equals the item's assembled reference (from
  the item's own ``assembled_hex`` field, or assembled with asar when the assembler is there);
- ngram: the sample shares a long word n-gram (13 words by default) with the item's prompt or
  reference; texts shorter than n words match when the sample contains them whole. An n-gram of
  fewer than `min_distinct_words` different words (a run of `db $00, $00, ...`, a fill pattern)
  says nothing about where a text came from and does not count.

Suites are JSONL files in the evaluation format (docs/architecture.md); any file works.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from triforce.dataset import normalize
from triforce.dataset.dedup import ASSEMBLED_HEX, Tick, assembled_hex
from triforce.errors import InputError, TriforceError
from triforce.fsio import MAX_DATA_BYTES, read_text_bounded
from triforce.sample import Sample


class DecontamConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ngram_words: int = Field(default=13, ge=4, le=64)
    min_short_words: int = Field(default=8, ge=1)  # shorter item texts are too generic to match whole
    min_code_statements: int = Field(default=3, ge=1)
    # a run of this many consecutive normalized statements shared with an item's code counts as
    # the item's routine embedded in a larger block (a hook around it, extra setup…)
    code_window: int = Field(default=8, ge=3)
    min_bytes: int = Field(default=4, ge=1)
    assemble_references: bool = True  # use asar (triforce.snes.asar) for items without bytes
    # an n-gram found in this many different items is suite boilerplate, not a fingerprint
    boilerplate_items: int = Field(default=3, ge=2)
    # n-grams with fewer different words are data runs (`db $00, $00, ...`), not fingerprints
    min_distinct_words: int = Field(default=4, ge=1)


@dataclass(frozen=True)
class EvalItem:
    suite: str
    id: str
    prompt: str
    reference: str
    category: str = ""
    assembled_hex: str | None = None


@dataclass(frozen=True)
class Hit:
    """A removed sample and the evaluation item it matched."""

    sample_id: str
    suite: str
    item_id: str
    kind: str  # "routine" | "bytes" | "ngram"
    detail: str = ""


@dataclass
class DecontamReport:
    input_count: int = 0
    kept_count: int = 0
    suites: list[str] = field(default_factory=list)
    items: int = 0
    hits: list[Hit] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input_count,
            "kept": self.kept_count,
            "removed": len({h.sample_id for h in self.hits}),
            "suites": self.suites,
            "items": self.items,
            "hits_by_kind": dict(Counter(h.kind for h in self.hits)),
            "hits_by_item": dict(Counter(f"{h.suite}/{h.item_id}" for h in self.hits)),
            "notes": self.notes,
        }


def load_suite(path: Path) -> list[EvalItem]:
    """Read evaluation items from a suite JSONL file; errors name the line and field."""
    suite = path.stem
    items = []
    try:
        lines = read_text_bounded(path, MAX_DATA_BYTES).splitlines()
    except OSError as exc:
        raise InputError(f"{path}: cannot read suite: {exc.strerror}") from exc
    for lineno, raw in enumerate(lines, start=1):
        if not raw.strip():
            continue
        try:
            obj = json.loads(raw)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{lineno}: invalid JSON: {exc.msg} (column {exc.colno})") from exc
        if not isinstance(obj, dict):
            raise InputError(f"{path}:{lineno}: expected a JSON object")
        for key in ("id", "prompt", "reference"):
            if not isinstance(obj.get(key), str):
                raise InputError(f"{path}:{lineno}: field {key}: missing or not a string")
        hx = obj.get(ASSEMBLED_HEX)
        items.append(
            EvalItem(
                suite=suite,
                id=obj["id"],
                prompt=obj["prompt"],
                reference=obj["reference"],
                category=str(obj.get("category", "")),
                assembled_hex="".join(hx.split()).lower() if isinstance(hx, str) and hx.strip() else None,
            )
        )
    return items


def bundled_suite_paths() -> list[Path]:
    """The package's own evaluation suites (`triforce/evaluate/suites/*.jsonl`), if any exist."""
    # located through the top package so that dataset never imports triforce.evaluate
    root = resources.files("triforce").joinpath("evaluate", "suites")
    if not root.is_dir():
        return []
    return sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith(".jsonl"))


def _assemble_references(items: list[EvalItem], report: DecontamReport) -> list[EvalItem]:
    """Fill in assembled bytes for ASM references with asar, when the assembler API is present."""
    todo = [
        i for i, it in enumerate(items) if it.assembled_hex is None and normalize.looks_like_asm(it.reference)
    ]
    if not todo:
        return items
    try:
        from triforce.snes.asar import assemble_batch
    except ImportError:
        report.notes.append(
            f"bytes check skipped for {len(todo)} item(s): triforce.snes.asar.assemble_batch unavailable"
        )
        return items
    try:
        # one asar process for all references; stubs stand in for routines the item calls
        results = assemble_batch([items[i].reference for i in todo], org=0x008000, stubs=True)
    except TriforceError as exc:  # no asar here: report it and go on with the other checks
        report.notes.append(f"bytes check skipped: assembling references failed: {exc}")
        return items
    out = list(items)
    failed = 0
    for i, res in zip(todo, results, strict=True):
        if not res.ok:
            failed += 1
            continue
        data = b"".join(c.data for c in sorted(res.chunks, key=lambda c: c.address))
        it = items[i]
        out[i] = EvalItem(it.suite, it.id, it.prompt, it.reference, it.category, data.hex())
    if failed:
        report.notes.append(f"{failed} reference(s) did not assemble: no bytes check for them")
    return out


def _conversation(s: Sample) -> str:
    """The text an evaluation prompt could leak into: system prompts are shared boilerplate."""
    return "\n".join(m.content for m in s.messages if m.role != "system")


_CANON_LABEL = re.compile(r"(?<![\w.])(?:\.l\d+|g\d+)(?![\w])")


# Keys are listed in text order, never as a set: `hash()` of a string is salted per process, so
# a set's order (and with it the first match, the item a removal is blamed on) changed from run
# to run. The first key of the sample's text that an item owns decides, the same every time.


def _windows(norm_code: str, size: int) -> list[int]:
    """Keys of every run of `size` consecutive statements, label names blanked (the canonical
    names count from the start of a block, so they differ when the routine is embedded)."""
    lines = [_CANON_LABEL.sub("@", ln) for ln in norm_code.splitlines() if ln]
    return list(dict.fromkeys(hash("\n".join(lines[i : i + size])) for i in range(len(lines) - size + 1)))


def _gram_keys(tokens: list[str], cfg: DecontamConfig) -> list[int]:
    """`normalize.gram_keys` in text order, without the n-grams of fewer than
    `min_distinct_words` different words."""
    n, least = cfg.ngram_words, cfg.min_distinct_words
    if least <= 1 or len(tokens) < n:
        return list(dict.fromkeys(hash(" ".join(tokens[i : i + n])) for i in range(len(tokens) - n + 1)))
    counts = Counter(tokens[:n])
    keys: dict[int, None] = {}
    for i in range(len(tokens) - n + 1):
        if i:
            old = tokens[i - 1]
            counts[old] -= 1
            if not counts[old]:
                del counts[old]
            counts[tokens[i + n - 1]] += 1
        if len(counts) >= least:
            keys.setdefault(hash(" ".join(tokens[i : i + n])))
    return list(keys)


class _Index:
    def __init__(self, items: Sequence[EvalItem], cfg: DecontamConfig) -> None:
        self.cfg = cfg
        self.code: dict[str, EvalItem] = {}
        self.windows: dict[int, EvalItem] = {}
        self.bytes: dict[str, EvalItem] = {}
        self.grams: dict[int, EvalItem] = {}
        self.short: list[tuple[str, EvalItem]] = []
        owners: dict[int, set[str]] = {}
        window_owners: dict[int, set[str]] = {}
        for it in items:
            for text in (it.reference, it.prompt):
                for lang, code in normalize.code_blocks(text):
                    norm = normalize.normalize_code(lang, code)
                    if normalize.statement_count(norm) >= cfg.min_code_statements:
                        self.code.setdefault(norm, it)
                    for h in _windows(norm, cfg.code_window):
                        self.windows.setdefault(h, it)
                        window_owners.setdefault(h, set()).add(f"{it.suite}/{it.id}")
                toks = normalize.words(text)
                if len(toks) >= cfg.ngram_words:
                    for h in _gram_keys(toks, cfg):
                        self.grams.setdefault(h, it)
                        owners.setdefault(h, set()).add(f"{it.suite}/{it.id}")
                elif len(toks) >= cfg.min_short_words:
                    self.short.append((" ".join(toks), it))
            if it.assembled_hex and len(it.assembled_hex) >= 2 * cfg.min_bytes:
                self.bytes.setdefault(it.assembled_hex, it)
        common = [h for h, who in owners.items() if len(who) >= cfg.boilerplate_items]
        for h in common:
            del self.grams[h]
        common_code = [h for h, who in window_owners.items() if len(who) >= cfg.boilerplate_items]
        for h in common_code:
            del self.windows[h]
        self.boilerplate = len(common) + len(common_code)

    def match(self, s: Sample) -> Hit | None:
        for m in s.messages:
            for lang, code in normalize.code_blocks(m.content):
                norm = normalize.normalize_code(lang, code)
                it = self.code.get(norm)
                if it is not None:
                    return Hit(s.id, it.suite, it.id, "routine", f"code block in {m.role} message")
                if self.windows:
                    for h in _windows(norm, self.cfg.code_window):
                        if (it := self.windows.get(h)) is not None:
                            detail = f"{self.cfg.code_window} consecutive statements in {m.role} message"
                            return Hit(s.id, it.suite, it.id, "routine", detail)
        hx = assembled_hex(s)
        if hx and (it := self.bytes.get(hx)) is not None:
            return Hit(s.id, it.suite, it.id, "bytes", f"{len(hx) // 2} identical bytes")
        toks = normalize.words(_conversation(s))
        for h in _gram_keys(toks, self.cfg):
            if (it := self.grams.get(h)) is not None:
                return Hit(s.id, it.suite, it.id, "ngram", f"shared {self.cfg.ngram_words}-word n-gram")
        if self.short:
            joined = " " + " ".join(toks) + " "
            for text, it in self.short:
                if f" {text} " in joined:
                    return Hit(s.id, it.suite, it.id, "ngram", "contains the whole item text")
        return None


def decontaminate(
    samples: Sequence[Sample],
    suites: Sequence[Path] | None = None,
    items: Sequence[EvalItem] | None = None,
    config: DecontamConfig | None = None,
    progress: Tick | None = None,
) -> tuple[list[Sample], DecontamReport]:
    """Remove samples matching any item of the given suite files (or items); report each hit."""
    cfg = config or DecontamConfig()
    report = DecontamReport(input_count=len(samples))
    all_items: list[EvalItem] = list(items or [])
    for path in suites or []:
        all_items.extend(load_suite(path))
        report.suites.append(str(path))
    report.items = len(all_items)
    if cfg.assemble_references:
        all_items = _assemble_references(all_items, report)
    if not all_items:
        report.kept_count = len(samples)
        report.notes.append("no evaluation items: nothing to decontaminate against")
        return list(samples), report
    index = _Index(all_items, cfg)
    if index.boilerplate:
        report.notes.append(
            f"ignored {index.boilerplate} n-gram(s)/code run(s) shared by {cfg.boilerplate_items}+ items (suite boilerplate)"
        )
    kept = []
    for done, s in enumerate(samples):
        if progress is not None and done % 2000 == 0:
            progress("decontaminate", done, len(samples))
        hit = index.match(s)
        if hit is None:
            kept.append(s)
        else:
            report.hits.append(hit)
    if progress is not None:
        progress("decontaminate", len(samples), len(samples))
    report.kept_count = len(kept)
    return kept, report
