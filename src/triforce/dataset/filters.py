"""Provenance filters: keep commercial-ROM-derived material (or any corpus) out on request."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from triforce.sample import Origin, Sample


class FilterConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    exclude_origins: list[Origin] = Field(default_factory=list)
    exclude_corpora: list[str] = Field(default_factory=list)
    include_domains: list[str] = Field(default_factory=list)  # empty: every domain
    require_passed: bool = False  # drop samples whose verification did not pass


@dataclass
class FilterReport:
    input_count: int = 0
    kept_count: int = 0
    removed_by_reason: dict[str, int] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "input": self.input_count,
            "kept": self.kept_count,
            "removed_by_reason": self.removed_by_reason,
        }


def _reason(s: Sample, cfg: FilterConfig) -> str | None:
    if s.provenance.origin in cfg.exclude_origins:
        return f"origin:{s.provenance.origin}"
    if s.provenance.corpus in cfg.exclude_corpora:
        return f"corpus:{s.provenance.corpus}"
    if cfg.include_domains and s.domain not in cfg.include_domains:
        return f"domain:{s.domain}"
    if cfg.require_passed and not (s.verification and s.verification.passed):
        return "not-verified"
    return None


def filter_samples(samples: Sequence[Sample], config: FilterConfig) -> tuple[list[Sample], FilterReport]:
    """Drop samples by provenance (origin tag, corpus), domain or verification; count each reason."""
    kept, reasons = [], Counter[str]()
    for s in samples:
        why = _reason(s, config)
        if why is None:
            kept.append(s)
        else:
            reasons[why] += 1
    return kept, FilterReport(len(samples), len(kept), dict(reasons))
