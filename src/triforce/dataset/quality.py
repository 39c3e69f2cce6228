"""How much was proven about a sample, as a sortable rank (used to keep the best copy)."""

from __future__ import annotations

from triforce.sample import Sample

# Tiers, best first: verification passed > executed > assembled > nothing recorded.
TIERS = ("passed", "executed", "assembled", "none")


def tier(sample: Sample) -> str:
    v = sample.verification
    if v is None:
        return "none"
    if v.passed:
        return "passed"
    if v.executed:
        return "executed"
    if v.assembled:
        return "assembled"
    return "none"


def rank(sample: Sample) -> tuple[int, int]:
    """Higher is better: (tier, states tested)."""
    v = sample.verification
    return (len(TIERS) - 1 - TIERS.index(tier(sample)), v.states_tested if v else 0)
