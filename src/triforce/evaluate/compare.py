"""A/B comparison of two runs: item by item, with an exact paired test and the plan's ratios.

Paired outcomes use each item's first sample. The exact McNemar test looks only at discordant
items (A passed and B failed: b; A failed and B passed: c): under "no difference" b is
Binomial(b + c, 1/2), so the two-sided p-value is the doubled binomial tail (the sign test).
The plan asks the unified model for >=110% of the MoE on cross-domain items and < 2 s latency.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from triforce.errors import InputError
from triforce.evaluate.metrics import latency_block, targets
from triforce.fsio import lines_bounded


def mcnemar_exact(b: int, c: int) -> float:
    """Two-sided exact McNemar p-value for b and c discordant pairs (1.0 when there are none)."""
    n = b + c
    if n == 0:
        return 1.0
    tail = sum(math.comb(n, i) for i in range(min(b, c) + 1)) / 2**n
    return min(1.0, 2 * tail)


def load_records(run_dir: Path) -> list[dict[str, Any]]:
    path = run_dir / "records.jsonl"
    if not path.exists():
        raise InputError(f"{run_dir}: not an evaluation run (no records.jsonl)")
    records: list[dict[str, Any]] = []
    with path.open(encoding="utf-8") as fh:
        for line_no, raw in enumerate(lines_bounded(fh, str(path)), start=1):
            if not raw.strip():
                continue
            try:
                records.append(json.loads(raw))
            except json.JSONDecodeError as exc:
                raise InputError(f"{path}:{line_no}: not valid JSON ({exc.msg})") from exc
    return records


def _first_samples(records: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    first: dict[str, dict[str, Any]] = {}
    for rec in records:
        current = first.get(rec["item_id"])
        if current is None or rec["sample"] < current["sample"]:
            first[rec["item_id"]] = rec
    return first


def compare_runs(run_a: Path, run_b: Path) -> dict[str, Any]:
    """Compare run A (candidate, e.g. the unified model) with run B (baseline, e.g. the MoE)."""
    rec_a, rec_b = load_records(run_a), load_records(run_b)
    first_a, first_b = _first_samples(rec_a), _first_samples(rec_b)
    shared = sorted(set(first_a) & set(first_b))
    if not shared:
        raise InputError(f"{run_a} and {run_b} share no items")
    items = []
    cats: dict[str, dict[str, int]] = {}
    for item_id in shared:
        a, b = first_a[item_id], first_b[item_id]
        pa, pb = bool(a["verdict"]["passed"]), bool(b["verdict"]["passed"])
        cat = a["category"]
        bucket = cats.setdefault(cat, {"n": 0, "a": 0, "b": 0, "a_only": 0, "b_only": 0})
        bucket["n"] += 1
        bucket["a"] += pa
        bucket["b"] += pb
        bucket["a_only"] += pa and not pb
        bucket["b_only"] += pb and not pa
        if pa != pb:
            items.append(
                {
                    "item_id": item_id,
                    "category": cat,
                    "a": pa,
                    "b": pb,
                    "a_reason": a["verdict"]["reason"],
                    "b_reason": b["verdict"]["reason"],
                }
            )
    per_category: dict[str, Any] = {}
    for cat, s in sorted(cats.items()):
        rate_a, rate_b = s["a"] / s["n"], s["b"] / s["n"]
        ratio = rate_a / rate_b if rate_b else (math.inf if rate_a else None)
        entry: dict[str, Any] = {
            "items": s["n"],
            "pass_a": rate_a,
            "pass_b": rate_b,
            "ratio": ratio,
            "a_only": s["a_only"],
            "b_only": s["b_only"],
            "p_value": mcnemar_exact(s["a_only"], s["b_only"]),
        }
        relative = targets().get(cat, {}).get("relative")
        if relative is not None:
            entry["target_ratio"] = relative
            entry["meets_target"] = ratio is not None and ratio >= relative
        per_category[cat] = entry
    total_a = sum(s["a_only"] for s in cats.values())
    total_b = sum(s["b_only"] for s in cats.values())
    lat_a, lat_b = latency_block(rec_a), latency_block(rec_b)
    lat_ratio = lat_a["p50_s"] / lat_b["p50_s"] if lat_a["p50_s"] and lat_b["p50_s"] else None
    budget = targets()["latency"]["budget_s"]
    return {
        "run_a": str(run_a),
        "run_b": str(run_b),
        "shared_items": len(shared),
        "only_in_a": len(set(first_a) - set(first_b)),
        "only_in_b": len(set(first_b) - set(first_a)),
        "pass_a": sum(s["a"] for s in cats.values()) / len(shared),
        "pass_b": sum(s["b"] for s in cats.values()) / len(shared),
        "a_only": total_a,
        "b_only": total_b,
        "p_value": mcnemar_exact(total_a, total_b),
        "categories": per_category,
        "latency": {
            "a": lat_a,
            "b": lat_b,
            "p50_ratio": lat_ratio,
            "a_meets_budget": lat_a["p50_s"] is not None and lat_a["p50_s"] < budget,
        },
        "discordant_items": items,
    }
