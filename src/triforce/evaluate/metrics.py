"""pass@k, per-category scores against the plan's targets, latency percentiles, failure reasons.

pass@k uses the unbiased estimator 1 - C(n-c, k) / C(n, k) over n samples per item with c
correct (Chen et al. 2021), averaged over items; it is only defined for k <= n.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path
from typing import Any

import yaml

_TARGETS_FILE = Path(__file__).parent / "data" / "targets.yaml"


@cache
def targets() -> dict[str, dict[str, Any]]:
    data: dict[str, dict[str, Any]] = yaml.safe_load(_TARGETS_FILE.read_text(encoding="utf-8"))
    return data


def pass_at_k(n: int, c: int, k: int) -> float:
    """Probability that at least one of k samples drawn from n (c correct) passes."""
    if not 0 <= c <= n or k < 1 or k > n:
        raise ValueError(f"pass@k needs 0 <= c <= n and 1 <= k <= n (n={n}, c={c}, k={k})")
    if n - c < k:
        return 1.0
    return 1.0 - math.comb(n - c, k) / math.comb(n, k)


def percentile(values: Sequence[float], q: float) -> float | None:
    """Linear-interpolated percentile (q in 0..100); None for no data."""
    if not values:
        return None
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100.0
    lo, hi = math.floor(pos), math.ceil(pos)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def ks_for(samples: int) -> list[int]:
    return [k for k in (1, 2, 5, 10, 20, 50, 100) if k <= samples]


def _category_block(records: list[dict[str, Any]], ks: list[int]) -> dict[str, Any]:
    per_item: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in records:
        per_item[rec["item_id"]].append(rec)
    block: dict[str, Any] = {"items": len(per_item), "samples": len(records)}
    for k in ks:
        usable = [rs for rs in per_item.values() if len(rs) >= k]
        if usable:
            block[f"pass@{k}"] = sum(
                pass_at_k(len(rs), sum(r["verdict"]["passed"] for r in rs), k) for rs in usable
            ) / len(usable)
    block["partial"] = sum(r["verdict"]["score"] for r in records) / len(records) if records else 0.0
    block["items_all_passed"] = sum(all(r["verdict"]["passed"] for r in rs) for rs in per_item.values())
    return block


def latency_block(records: Iterable[dict[str, Any]]) -> dict[str, Any]:
    lat = [r["latency_s"] for r in records if r.get("latency_s") is not None and not r.get("error")]
    ttft = [r["ttft_s"] for r in records if r.get("ttft_s") is not None]
    return {
        "count": len(lat),
        "p50_s": percentile(lat, 50),
        "p95_s": percentile(lat, 95),
        "mean_s": sum(lat) / len(lat) if lat else None,
        "max_s": max(lat) if lat else None,
        "ttft_p50_s": percentile(ttft, 50),
        "ttft_p95_s": percentile(ttft, 95),
        "ttft_count": len(ttft),
    }


def summarize(records: list[dict[str, Any]], samples: int) -> dict[str, Any]:
    """The run's numbers: overall and per category, each against the plan's target."""
    ks = ks_for(samples)
    by_cat: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in records:
        by_cat[rec["category"]].append(rec)
    categories: dict[str, Any] = {}
    plan = targets()
    for cat, recs in sorted(by_cat.items()):
        block = _category_block(recs, ks)
        target = plan.get(cat, {})
        block["target"] = target
        if "target" in target:
            block["meets_target"] = block.get("pass@1", 0.0) >= target["target"]
        elif "relative" in target:
            block["meets_target"] = None  # needs a baseline run: `triforce eval compare`
        if cat == "latency":
            lat = latency_block(recs)
            block["latency"] = lat
            block["meets_target"] = (
                lat["p50_s"] is not None
                and lat["p50_s"] < target.get("budget_s", 2.0)
                and block.get("pass@1", 0.0) > 0
            )
        categories[cat] = block
    reasons = Counter(r["verdict"]["code"] for r in records if not r["verdict"]["passed"])
    by_topic: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for rec in records:
        tags = rec.get("tags") or []
        by_topic[f"{rec['category']}/{tags[0] if tags else '-'}"].append(rec)
    return {
        "overall": _category_block(records, ks),
        "categories": categories,
        "latency": latency_block(records),
        "failure_reasons": dict(reasons.most_common()),
        # pass@1 per category/first tag (e.g. asm/hwmath): where a model is weak
        "topics": {t: _category_block(rs, [1]) for t, rs in sorted(by_topic.items())},
        "ks": ks,
    }
