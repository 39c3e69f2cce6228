"""Counts a curator wants to see: per domain, source, task, origin, verification tier."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from triforce.dataset.quality import TIERS, tier
from triforce.sample import Sample


def _sorted(c: Counter[str]) -> dict[str, int]:
    return dict(sorted(c.items(), key=lambda kv: (-kv[1], kv[0])))


def verification_rates(samples: Sequence[Sample]) -> dict[str, float]:
    """Share of samples assembled, executed and passed (0..1)."""
    n = len(samples) or 1
    v = [s.verification for s in samples]
    return {
        "assembled": sum(1 for x in v if x and x.assembled) / n,
        "executed": sum(1 for x in v if x and x.executed) / n,
        "passed": sum(1 for x in v if x and x.passed) / n,
        "unverified": sum(1 for x in v if x is None) / n,
    }


REAL_TREE_ORIGINS = frozenset({"vanilla-disassembly", "rom-hack", "commercial-derived"})
# What a sample rests on, in the card's column order (see `made_by`).
MADE_BY = ("generated", "real trees", "reviewed by a person")


def made_by(sample: Sample) -> str:
    """How a sample was made: "reviewed by a person" (accepted or corrected in the review queue),
    "real trees" (drawn from a disassembly, a ROM hack or commercial-derived material) or
    "generated" (original or synthetic work of a generator; the bundled seeds too, which are
    proven by the program, not by a reviewer)."""
    method = sample.verification.method if sample.verification is not None else ""
    if "review" in method or "expert-correction" in method:
        return "reviewed by a person"
    if sample.provenance.origin in REAL_TREE_ORIGINS:
        return "real trees"
    return "generated"


def dataset_stats(samples: Sequence[Sample]) -> dict[str, Any]:
    """A JSON-able summary of a list of samples."""
    by_task_tier: dict[str, Counter[str]] = {}
    for s in samples:
        by_task_tier.setdefault(s.task, Counter())[tier(s)] += 1
    return {
        "count": len(samples),
        "groups": len({s.group for s in samples}),
        "domains": _sorted(Counter(s.domain for s in samples)),
        "sources": _sorted(Counter(s.source for s in samples)),
        "tasks": _sorted(Counter(s.task for s in samples)),
        "origins": _sorted(Counter(s.provenance.origin for s in samples)),
        "made_by_domain": {
            d: dict(sorted(Counter(made_by(s) for s in samples if s.domain == d).items()))
            for d in sorted({s.domain for s in samples})
        },
        "corpora": _sorted(Counter(s.provenance.corpus for s in samples)),
        "licenses": _sorted(Counter(s.provenance.license or "unspecified" for s in samples)),
        # C++ samples by the tree folder their function comes from (the generator balances these)
        "cpp_folders": _sorted(
            Counter(
                str(s.meta["cpp"].get("folder", "")) for s in samples if isinstance(s.meta.get("cpp"), dict)
            )
        ),
        "verification": verification_rates(samples),
        # per source row: how much is generated, read from real trees, or reviewed by a person
        "made_by_source": {
            src: {b: c.get(b, 0) for b in MADE_BY} for src, c in sorted(_made_by_counts(samples).items())
        },
        "tiers": {t: sum(1 for s in samples if tier(s) == t) for t in TIERS},
        "tiers_by_task": {k: {t: c.get(t, 0) for t in TIERS} for k, c in sorted(by_task_tier.items())},
    }


def _made_by_counts(samples: Sequence[Sample]) -> dict[str, Counter[str]]:
    out: dict[str, Counter[str]] = {}
    for s in samples:
        out.setdefault(s.source, Counter())[made_by(s)] += 1
    return out
