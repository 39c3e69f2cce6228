"""Agreement between reviewers who decided the same items: Cohen's kappa and Krippendorff's alpha.

Decisions are nominal labels (accepted / corrected / rejected). Cohen's kappa compares the first
two decisions of each item (the two required reviews), chance agreement from each position's own
label frequencies. Krippendorff's alpha (nominal) uses every decision of every item with two or
more, so a third, settling review counts too, and it does not assume the same two people reviewed
every item.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence


def cohen_kappa(pairs: Sequence[tuple[str, str]]) -> float | None:
    """Cohen's kappa over (first, second) labels; None without pairs or when chance agreement is
    total (every label the same: kappa is undefined)."""
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(a == b for a, b in pairs) / n
    first, second = Counter(a for a, _ in pairs), Counter(b for _, b in pairs)
    expected = sum(first[c] * second[c] for c in first) / (n * n)
    if expected >= 1.0:
        return None
    return (observed - expected) / (1.0 - expected)


def krippendorff_alpha(units: Sequence[Sequence[str]]) -> float | None:
    """Krippendorff's alpha for nominal labels; each unit is one item's labels (any number of
    reviewers; units with fewer than two are not pairable and are left out). None when there is
    nothing to compare or only one label is ever used."""
    coincidence: dict[tuple[str, str], float] = defaultdict(float)
    for labels in units:
        m = len(labels)
        if m < 2:
            continue
        for i, a in enumerate(labels):
            for j, b in enumerate(labels):
                if i != j:
                    coincidence[(a, b)] += 1.0 / (m - 1)
    totals: dict[str, float] = defaultdict(float)
    for (a, _), v in coincidence.items():
        totals[a] += v
    n = sum(totals.values())
    if n <= 1:
        return None
    disagree_observed = sum(v for (a, b), v in coincidence.items() if a != b)
    disagree_expected = sum(totals[a] * totals[b] for a in totals for b in totals if a != b)
    if disagree_expected == 0:
        return None
    return 1.0 - (n - 1) * disagree_observed / disagree_expected
