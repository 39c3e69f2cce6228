"""pass@k against brute force, and the exact McNemar test against the binomial distribution."""

from __future__ import annotations

import itertools
import math

import pytest

from triforce.evaluate.compare import mcnemar_exact
from triforce.evaluate.metrics import pass_at_k, percentile, summarize


@pytest.mark.parametrize(("n", "c"), [(5, 0), (5, 1), (5, 3), (6, 6), (8, 2)])
def test_pass_at_k_matches_enumeration(n: int, c: int) -> None:
    outcomes = [True] * c + [False] * (n - c)
    for k in range(1, n + 1):
        subsets = list(itertools.combinations(outcomes, k))
        brute = sum(any(s) for s in subsets) / len(subsets)
        assert pass_at_k(n, c, k) == pytest.approx(brute)


def test_pass_at_k_rejects_bad_input() -> None:
    with pytest.raises(ValueError):
        pass_at_k(3, 4, 1)
    with pytest.raises(ValueError):
        pass_at_k(3, 1, 4)


def test_mcnemar_exact_values() -> None:
    assert mcnemar_exact(0, 0) == 1.0
    assert mcnemar_exact(5, 5) == 1.0
    assert mcnemar_exact(10, 0) == pytest.approx(2 / 2**10)
    # b=1, c=9: 2 * P(X <= 1), X ~ Bin(10, 1/2) = 2 * 11/1024
    assert mcnemar_exact(1, 9) == pytest.approx(22 / 1024)
    assert mcnemar_exact(9, 1) == mcnemar_exact(1, 9)
    try:
        from scipy.stats import binomtest
    except ImportError:
        return
    for b, c in [(3, 12), (7, 4), (20, 9)]:
        assert mcnemar_exact(b, c) == pytest.approx(binomtest(b, b + c, 0.5).pvalue)


def test_summary_per_category_and_latency() -> None:
    def rec(item: str, cat: str, sample: int, passed: bool, latency: float) -> dict[str, object]:
        return {
            "item_id": item,
            "category": cat,
            "sample": sample,
            "latency_s": latency,
            "ttft_s": latency / 2,
            "verdict": {
                "passed": passed,
                "score": 1.0 if passed else 0.5,
                "code": "ok" if passed else "wrong-register",
            },
        }

    records = [rec("a", "asm", s, s < 2, 1.0) for s in range(4)] + [
        rec("b", "asm", s, True, 3.0) for s in range(4)
    ]
    summary = summarize(records, samples=4)  # type: ignore[arg-type]
    asm = summary["categories"]["asm"]
    assert asm["pass@1"] == pytest.approx((0.5 + 1.0) / 2)
    assert asm["pass@2"] == pytest.approx((1 - math.comb(2, 2) / math.comb(4, 2) + 1.0) / 2)
    assert asm["meets_target"] is False and asm["target"]["target"] == 0.95
    assert summary["failure_reasons"] == {"wrong-register": 2}
    assert summary["latency"]["p50_s"] == pytest.approx(2.0)
    assert percentile([1.0, 2.0, 3.0, 4.0], 95) == pytest.approx(3.85)
