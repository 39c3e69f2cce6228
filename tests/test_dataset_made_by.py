"""The data card says how much of each domain is generated, drawn from real trees, or reviewed by
a person (accepted or corrected in the review queue)."""

from __future__ import annotations

from dataset_factory import make
from triforce.dataset.card import render_card
from triforce.dataset.stats import dataset_stats, made_by


def test_made_by_counts_per_domain_and_on_the_card() -> None:
    generated = make(domain="cross", task="cross.implementation", passed=True)
    tree = make(domain="cross", task="cross.case_study", origin="rom-hack", passed=True)
    assert generated.verification is not None
    v = generated.verification
    reviewed = make(domain="cross", task="cross.implementation", passed=True).model_copy(
        update={"verification": v.model_copy(update={"method": "asar+exec+review"})}
    )
    corrected = reviewed.model_copy(
        update={"verification": v.model_copy(update={"method": "asar+exec+expert-correction"})}
    )
    seed = generated.model_copy(update={"verification": v.model_copy(update={"method": "asar+exec+expert"})})
    assert [made_by(s) for s in (generated, tree, reviewed, corrected, seed)] == [
        "generated",
        "real trees",
        "reviewed by a person",
        "reviewed by a person",
        "generated",
    ]
    stats = dataset_stats([generated, tree, reviewed, corrected, seed, make()])
    assert stats["made_by_domain"] == {
        "cross": {"generated": 2, "real trees": 1, "reviewed by a person": 2},
        "din": {"generated": 1},
    }
    card = render_card({"stats": {"all": stats, "splits": {}}}, [])
    assert "| cross | 2 | 1 | 2 |" in card and "| din | 1 | 0 | 0 |" in card
