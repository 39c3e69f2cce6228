"""Train/validation/test splits grouped by `Sample.group` and stratified by domain and task.

Every sample of one group (one routine, one source item) lands in the same split, so a model is
never tested on a paraphrase of what it trained on. Groups are dealt per stratum (the group's
most common domain/task) to whichever split is furthest below its share; minimum split sizes
are then met by moving whole groups out of train. `check_leaks` proves the result.
"""

from __future__ import annotations

import random
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from triforce.dataset import normalize
from triforce.dataset.mix import UPSAMPLE_KEY
from triforce.errors import ConfigError
from triforce.sample import Sample

SPLITS = ("train", "validation", "test")


class SplitConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    fractions: dict[str, float] = Field(
        default_factory=lambda: {"train": 0.9, "validation": 0.05, "test": 0.05}
    )
    min_sizes: dict[str, int] = Field(default_factory=lambda: {"validation": 20, "test": 20})
    strict: bool = False  # raise when a minimum cannot be met instead of reporting it
    seed: int = 0

    @model_validator(mode="after")
    def _check(self) -> SplitConfig:
        unknown = set(self.fractions) - set(SPLITS)
        if unknown:
            raise ValueError(f"unknown split(s) {sorted(unknown)}; use {SPLITS}")
        total = sum(self.fractions.values())
        if abs(total - 1.0) > 1e-6:
            raise ValueError(f"fractions must add up to 1 (got {total:g})")
        return self


@dataclass
class SplitReport:
    sizes: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)
    strata: dict[str, dict[str, int]] = field(default_factory=dict)  # "domain/task" -> split -> count
    dropped_copies: int = 0  # upsampled copies kept out of validation/test
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "sizes": self.sizes,
            "groups": self.groups,
            "strata": self.strata,
            "dropped_copies": self.dropped_copies,
            "warnings": self.warnings,
        }


def _stratum(samples: list[Sample]) -> str:
    return Counter(f"{s.domain}/{s.task}" for s in samples).most_common(1)[0][0]


def split(
    samples: Sequence[Sample], config: SplitConfig | None = None
) -> tuple[dict[str, list[Sample]], SplitReport]:
    """Split by group, stratified; returns {split: samples} (input order kept inside a split)."""
    cfg = config or SplitConfig()
    names = [n for n in SPLITS if cfg.fractions.get(n, 0) > 0]
    # Upsampled copies never reach validation/test, so only originals count towards split sizes.
    groups: dict[str, list[int]] = defaultdict(list)
    for i, s in enumerate(samples):
        groups[s.group].append(i)
    size_of = {
        g: max(1, sum(1 for i in idx if not samples[i].meta.get(UPSAMPLE_KEY))) for g, idx in groups.items()
    }
    by_stratum: dict[str, list[str]] = defaultdict(list)
    for g, idx in groups.items():
        by_stratum[_stratum([samples[i] for i in idx])].append(g)

    rng = random.Random(cfg.seed)
    where: dict[str, str] = {}
    for stratum in sorted(by_stratum):
        gs = sorted(by_stratum[stratum])
        rng.shuffle(gs)
        gs.sort(key=lambda g: -size_of[g])  # big groups first, shuffled order within a size
        total = sum(size_of[g] for g in gs)
        have = dict.fromkeys(names, 0)
        for g in gs:
            # the split with the largest deficit against its share of this stratum
            name = max(names, key=lambda n: (cfg.fractions[n] * total - have[n], cfg.fractions[n]))
            where[g] = name
            have[name] += size_of[g]

    report = SplitReport()
    _meet_minimums(where, size_of, by_stratum, cfg, report)

    out: dict[str, list[Sample]] = {n: [] for n in names}
    for s in samples:
        name = where[s.group]
        if name != "train" and s.meta.get(UPSAMPLE_KEY):
            report.dropped_copies += 1
            continue
        out[name].append(s)
    report.sizes = {n: len(v) for n, v in out.items()}
    report.groups = dict(Counter(where.values()))
    strata: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(names, 0))
    for n, v in out.items():
        for s in v:
            strata[f"{s.domain}/{s.task}"][n] += 1
    report.strata = dict(sorted(strata.items()))
    return out, report


def _meet_minimums(
    where: dict[str, str],
    size_of: Mapping[str, int],
    by_stratum: Mapping[str, list[str]],
    cfg: SplitConfig,
    report: SplitReport,
) -> None:
    size = Counter[str]()
    for g, n in where.items():
        size[n] += size_of[g]
    for name, minimum in cfg.min_sizes.items():
        if cfg.fractions.get(name, 0) <= 0 or size[name] >= minimum:
            continue
        # move small train groups over, round-robin across strata so no stratum is emptied first
        pools = [
            sorted((g for g in by_stratum[stratum] if where[g] == "train"), key=lambda g: size_of[g])
            for stratum in sorted(by_stratum)
        ]
        while size[name] < minimum and any(pools):
            for pool in pools:
                if not pool or size[name] >= minimum:
                    continue
                g = pool.pop(0)
                if size["train"] - size_of[g] < 1:  # never empty the training split
                    continue
                where[g] = name
                size[name] += size_of[g]
                size["train"] -= size_of[g]
        if size[name] < minimum:
            msg = (
                f"split {name} has {size[name]} sample(s), below its minimum {minimum}: "
                f"not enough groups ({len(size_of)} in all)"
            )
            if cfg.strict:
                raise ConfigError(msg)
            report.warnings.append(msg)


@dataclass(frozen=True)
class Leak:
    kind: str  # "group" | "id" | "text"
    key: str
    splits: tuple[str, ...]


def check_leaks(splits: Mapping[str, Sequence[Sample]]) -> list[Leak]:
    """Every group, sample id or normalized conversation that occurs in more than one split."""
    seen: dict[tuple[str, str], set[str]] = defaultdict(set)
    for name, samples in splits.items():
        for s in samples:
            seen[("group", s.group)].add(name)
            seen[("id", s.id)].add(name)
            text = normalize.normalize_text(normalize.sample_text(s))
            seen[("text", normalize.stable_hash([text]))].add(name)
    return [
        Leak(kind, key, tuple(sorted(names))) for (kind, key), names in sorted(seen.items()) if len(names) > 1
    ]
