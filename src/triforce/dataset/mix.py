"""Mixing to quotas: the plan's domain/source table (and specialist presets) as data.

A preset gives a target per domain and per source row; `sources.yaml` says which samples fill
each row. Over-full rows are cut to target, preferring better-verified samples and spreading
picks across groups; short rows are reported loudly and either left short or upsampled with a
cap on copies (never silently). Everything random is drawn from one seeded generator.
"""

from __future__ import annotations

import fnmatch
import random
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from triforce.dataset.quality import rank
from triforce.errors import ConfigError
from triforce.fsio import MAX_CONFIG_BYTES, read_text_bounded
from triforce.sample import Domain, Sample

UPSAMPLE_KEY = "upsample_copy"  # meta key marking the k-th extra copy of an upsampled sample
_PRESETS = "triforce.dataset.presets"


def _corpus_name(name: str) -> str:
    """Corpus names compare loosely: `Oracle_of_Secrets`, `oracle of secrets` and
    `oracle-of-secrets` are one corpus."""
    return "-".join(name.lower().replace("_", " ").split())


class SourceRow(BaseModel):
    """One row of the plan's tables and the rule that fills it."""

    model_config = ConfigDict(extra="forbid")
    key: str
    domain: Domain
    label: str
    tasks: list[str] = Field(default_factory=list)  # fnmatch patterns on Sample.task
    corpora: list[str] = Field(default_factory=list)  # Sample.provenance.corpus values
    aliases: list[str] = Field(default_factory=list)  # other Sample.source values that mean this row
    priority: bool = False  # tried before ordinary rows (corpus-specific rows)
    fill: str = ""  # what fills this row, and what it takes when it is short (shown on the card)

    def matches_by_rule(self, s: Sample) -> bool:
        if s.domain != self.domain:
            return False
        if self.corpora and _corpus_name(s.provenance.corpus) not in {_corpus_name(c) for c in self.corpora}:
            return False
        if self.tasks and not any(fnmatch.fnmatchcase(s.task, p) for p in self.tasks):
            return False
        return bool(self.tasks or self.corpora)


class MixConfig(BaseModel):
    """A mix: targets per domain and per source row, and what to do with short rows."""

    model_config = ConfigDict(extra="forbid")
    name: str
    description: str = ""
    domains: dict[Domain, int]
    sources: dict[str, int]
    short: Literal["leave", "upsample"] = "leave"
    upsample_cap: float = Field(
        default=2.0, ge=1.0
    )  # at most this many copies of one sample, original included
    domain_fill: Literal["none", "scale"] = "none"  # scale rows up/down to their domain target
    unassigned: Literal["drop", "keep"] = "drop"  # samples no row of this preset takes
    seed: int = 0


@dataclass
class RowResult:
    key: str
    domain: str
    label: str
    target: int
    available: int
    selected: int = 0
    upsampled: int = 0
    fill: str = ""

    @property
    def why(self) -> str:
        """Why a short row is short: what fills it (sources.yaml), or that nothing did."""
        if not self.short:
            return ""
        if self.available == 0 and not self.fill:
            return "nothing in this dataset fills it yet"
        return self.fill or f"only {self.available:,} sample(s) of this kind in the dataset"

    @property
    def short(self) -> bool:
        return self.available < self.target

    @property
    def shortfall(self) -> int:
        return max(0, self.target - self.selected)


@dataclass
class MixReport:
    preset: str
    rows: list[RowResult] = field(default_factory=list)
    domain_targets: dict[str, int] = field(default_factory=dict)
    unassigned: int = 0
    unassigned_kept: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def selected(self) -> int:
        return sum(r.selected for r in self.rows) + self.unassigned_kept

    def short_rows(self) -> list[RowResult]:
        return [r for r in self.rows if r.short]

    def to_dict(self) -> dict[str, Any]:
        return {
            "preset": self.preset,
            "selected": self.selected,
            "domain_targets": self.domain_targets,
            "rows": [
                {
                    "key": r.key,
                    "domain": r.domain,
                    "label": r.label,
                    "target": r.target,
                    "available": r.available,
                    "selected": r.selected,
                    "upsampled": r.upsampled,
                    "short": r.short,
                    "shortfall": r.shortfall,
                    "why": r.why,
                }
                for r in self.rows
            ],
            "unassigned": self.unassigned,
            "unassigned_kept": self.unassigned_kept,
            "warnings": self.warnings,
        }


def _load_yaml(text: str, where: str) -> Any:
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: invalid YAML: {exc}") from exc


def source_catalogue() -> list[SourceRow]:
    """Every source row, in matching order (priority rows first, then file order)."""
    text = resources.files(_PRESETS).joinpath("sources.yaml").read_text(encoding="utf-8")
    data = _load_yaml(text, "presets/sources.yaml")
    rows = []
    for domain, table in data.items():
        for key, spec in table.items():
            try:
                rows.append(SourceRow(key=key, domain=domain, **spec))
            except ValidationError as exc:
                raise ConfigError(f"presets/sources.yaml: row {key}: {exc}") from exc
    return sorted(rows, key=lambda r: not r.priority)


def preset_names() -> list[str]:
    root = resources.files(_PRESETS)
    return sorted(
        p.name.removesuffix(".yaml")
        for p in root.iterdir()
        if p.name.endswith(".yaml") and p.name != "sources.yaml"
    )


def load_mix_config(name_or_path: str | Path, **overrides: Any) -> MixConfig:
    """Load a preset by name (`triforce-sage-60k`) or a mix YAML file by path; validate it."""
    path = Path(name_or_path)
    if path.suffix in (".yaml", ".yml") and path.exists():
        where, text = str(path), read_text_bounded(path, MAX_CONFIG_BYTES)
    else:
        name = str(name_or_path)
        if name not in preset_names():
            raise ConfigError(f"unknown mix preset {name!r}; presets: {', '.join(preset_names())}")
        where = f"presets/{name}.yaml"
        text = resources.files(_PRESETS).joinpath(f"{name}.yaml").read_text(encoding="utf-8")
    data = _load_yaml(text, where)
    if not isinstance(data, dict):
        raise ConfigError(f"{where}: expected a mapping")
    data.update({k: v for k, v in overrides.items() if v is not None})
    try:
        cfg = MixConfig.model_validate(data)
    except ValidationError as exc:
        err = exc.errors()[0]
        loc = ".".join(str(p) for p in err["loc"])
        raise ConfigError(f"{where}: field {loc}: {err['msg']}") from exc
    rows = {r.key: r for r in source_catalogue()}
    for key in cfg.sources:
        if key not in rows:
            raise ConfigError(f"{where}: field sources.{key}: not a source row (see presets/sources.yaml)")
        if rows[key].domain not in cfg.domains:
            raise ConfigError(f"{where}: field sources.{key}: its domain {rows[key].domain} has no target")
    return cfg


def assign_rows(samples: Sequence[Sample], rows: Sequence[SourceRow]) -> list[str | None]:
    """The row key each sample fills (None when no row takes it).

    Corpus rows (`priority: true`, e.g. gigaleak, oracle-of-secrets) come first: a sample from
    that corpus belongs to them whatever its generator wrote into `source`. Otherwise a sample
    whose (domain, source) names a row belongs to it, else the first row whose domain/task rule
    matches. Pass the whole catalogue: a sample belongs to one row whatever the preset, and a
    preset without that row leaves it unassigned.
    """
    corpus_rows = [r for r in rows if r.priority]
    by_source: dict[tuple[str, str], str] = {}
    for r in rows:
        for name in (r.key, *r.aliases):
            by_source[(r.domain, name)] = r.key
    out: list[str | None] = []
    for s in samples:
        key = next((r.key for r in corpus_rows if r.matches_by_rule(s)), None)
        if key is None:
            key = by_source.get((s.domain, s.source))
        if key is None:
            key = next((r.key for r in rows if r.matches_by_rule(s)), None)
        out.append(key)
    return out


def _targets(cfg: MixConfig, rows: dict[str, SourceRow], report: MixReport) -> dict[str, int]:
    targets = dict(cfg.sources)
    for domain, dom_target in cfg.domains.items():
        keys = [k for k in targets if rows[k].domain == domain]
        row_sum = sum(targets[k] for k in keys)
        if row_sum == dom_target:
            continue
        if cfg.domain_fill == "scale" and row_sum:
            scaled = {k: targets[k] * dom_target / row_sum for k in keys}
            floors = {k: int(v) for k, v in scaled.items()}
            rest = dom_target - sum(floors.values())
            for k in sorted(keys, key=lambda k: scaled[k] - floors[k], reverse=True)[:rest]:
                floors[k] += 1
            targets.update(floors)
            report.warnings.append(
                f"domain {domain}: rows sum to {row_sum:,}, scaled to the domain target {dom_target:,}"
            )
        else:
            report.warnings.append(
                f"domain {domain}: rows sum to {row_sum:,} but the domain target is {dom_target:,} "
                f"({dom_target - row_sum:+,}); rows kept as written (domain_fill=none)"
            )
    return targets


def _pick_order(items: list[Sample], rng: random.Random) -> list[Sample]:
    """Best-verified first; within a tier, one sample per group per round, seeded order.

    Items are sorted by id before the shuffle, so the pick does not depend on input order."""
    shuffled = sorted(items, key=lambda s: s.id)
    rng.shuffle(shuffled)
    seen: dict[str, int] = defaultdict(int)
    keyed = []
    for pos, s in enumerate(shuffled):
        keyed.append(((tuple(-x for x in rank(s)), seen[s.group], pos), s))
        seen[s.group] += 1
    return [s for _, s in sorted(keyed, key=lambda t: t[0])]


def mix(samples: Sequence[Sample], config: MixConfig) -> tuple[list[Sample], MixReport]:
    """Select samples to the config's quotas; the report lists every row, short ones flagged."""
    catalogue = source_catalogue()
    rows = {r.key: r for r in catalogue}
    report = MixReport(preset=config.name, domain_targets={str(k): v for k, v in config.domains.items()})
    targets = _targets(config, rows, report)
    assignment = assign_rows(samples, catalogue)
    buckets: dict[str, list[Sample]] = defaultdict(list)
    leftovers = []
    for s, key in zip(samples, assignment, strict=True):
        if key is None or key not in targets:
            leftovers.append(s)
        else:
            buckets[key].append(s)
    rng = random.Random(config.seed)
    chosen: list[Sample] = []
    for key in config.sources:
        row, target = rows[key], targets[key]
        pool = _pick_order(buckets.get(key, []), rng)
        res = RowResult(key, row.domain, row.label, target, len(pool), fill=row.fill)
        take = pool[:target]
        if len(pool) < target and config.short == "upsample" and pool:
            limit = min(target, int(len(pool) * config.upsample_cap))
            extra: list[Sample] = []
            copy = 1
            while len(take) + len(extra) < limit:
                for s in pool:
                    if len(take) + len(extra) >= limit:
                        break
                    extra.append(s.model_copy(update={"meta": {**s.meta, UPSAMPLE_KEY: copy}}))
                copy += 1
            res.upsampled = len(extra)
            take = take + extra
        res.selected = len(take)
        if res.short:
            how = (
                f"upsampled +{res.upsampled:,} (cap {config.upsample_cap:g}x)"
                if config.short == "upsample"
                else "left short"
            )
            report.warnings.append(
                f"SHORT {key} ({row.domain}): {res.available:,} available of {target:,} wanted; {how}; "
                f"selected {res.selected:,}"
            )
        report.rows.append(res)
        chosen.extend(take)
    report.unassigned = len(leftovers)
    if leftovers:
        if config.unassigned == "keep":
            chosen.extend(leftovers)
            report.unassigned_kept = len(leftovers)
        report.warnings.append(
            f"{len(leftovers):,} sample(s) fit no row of {config.name}: "
            + ("kept" if config.unassigned == "keep" else "dropped")
        )
    return chosen, report
