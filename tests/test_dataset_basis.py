"""The card says, per source row, how much is generated, read from real trees, or reviewed."""

from __future__ import annotations

from dataset_factory import make
from triforce.dataset.card import render_card
from triforce.dataset.stats import dataset_stats, made_by
from triforce.sample import Verification


def _reviewed(sample, method: str):  # type: ignore[no-untyped-def]
    v = Verification(assembled=True, executed=True, passed=True, states_tested=2, method=method)
    return sample.model_copy(update={"verification": v})


def test_basis_per_source_row_in_stats_and_card() -> None:
    generated = make(source="error-correction-chains", task="cross.error_chain", domain="cross", passed=True)
    real = make(
        source="romhack-case-studies",
        task="cross.case_study",
        domain="cross",
        origin="rom-hack",
        prose="Case study of a hook.",
    )
    seed = _reviewed(
        make(source="quest-implementation", task="cross.implementation", domain="cross", prose="A quest."),
        "asar+exec+expert",
    )
    accepted = _reviewed(
        make(
            source="quest-implementation",
            task="cross.implementation",
            domain="cross",
            prose="Another quest.",
            origin="synthetic",
        ),
        "asar+exec+review",
    )
    assert [made_by(s) for s in (generated, real, seed, accepted)] == [
        "generated",
        "real trees",
        "generated",  # a bundled seed is proven by the program, not reviewed by a person
        "reviewed by a person",
    ]
    stats = dataset_stats([generated, real, seed, accepted])
    assert stats["made_by_source"] == {
        "error-correction-chains": {"generated": 1, "real trees": 0, "reviewed by a person": 0},
        "quest-implementation": {"generated": 1, "real trees": 0, "reviewed by a person": 1},
        "romhack-case-studies": {"generated": 0, "real trees": 1, "reviewed by a person": 0},
    }
    card = render_card({"stats": {"all": stats, "splits": {}}}, [])
    assert "| romhack-case-studies | 0 | 1 | 0 |" in card
    assert "| quest-implementation | 1 | 0 | 1 |" in card
