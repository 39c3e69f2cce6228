import pytest

from dataset_factory import make, prose_sample
from triforce.dataset.mix import MixConfig, assign_rows, load_mix_config, mix, preset_names, source_catalogue
from triforce.errors import ConfigError

# The plan's tables (seed/triforce-sage-plan.md), row by row.
PLAN = {
    "alttp-asm-base": 1300,
    "alttp-asm-debug": 900,
    "alttp-asm-optimize": 900,
    "alttp-asm-hook": 800,
    "alttp-asm-doc": 1000,
    "gigaleak": 8000,
    "oracle-of-secrets": 500,
    "yaze-cpp": 7000,
    "graphics-tiles": 3000,
    "compression": 2000,
    "code-documentation": 3000,
    "zelda-lore": 5000,
    "canon-verification": 2000,
    "oos-narrative": 5000,
    "quest-templates": 3000,
    "dialogue-patterns": 2000,
    "quest-implementation": 5000,
    "romhack-case-studies": 3000,
    "error-correction-chains": 2000,
}


def test_sage_preset_is_the_plan_table() -> None:
    cfg = load_mix_config("triforce-sage-60k")
    assert cfg.sources == PLAN
    assert cfg.domains == {"din": 30000, "nayru": 10000, "farore": 10000, "cross": 10000}


def test_every_preset_loads() -> None:
    names = preset_names()
    for want in (
        "euclid-asm",
        "seph-tilesmith",
        "kaepora-teacher",
        "nayru-lorekeeper",
        "farore-questweaver",
        "saria-voice",
    ):
        assert want in names
    for name in names:
        assert load_mix_config(name).sources


def test_rows_are_found_by_source_key_task_and_corpus() -> None:
    rows = source_catalogue()
    samples = [
        make(source="whatever", task="asm.base"),
        make(source="whatever", task="asm.hook", corpus="gigaleak", origin="commercial-derived"),
        make(source="whatever", task="asm.doc", domain="nayru"),
        make(source="yaze-cpp", task="cpp.explain"),
        make(source="whatever", task="gfx.tile4bpp"),
        make(source="whatever", task="unknown.task"),
        make(source="alttp-asm-base", task="asm.base", corpus="Oracle_of_Secrets", origin="rom-hack"),
    ]
    assert assign_rows(samples, rows) == [
        "alttp-asm-base",
        "gigaleak",
        "code-documentation",
        "yaze-cpp",
        "graphics-tiles",
        None,
        "oracle-of-secrets",
    ]


def _lore(n: int) -> list:
    return [prose_sample(i, task="lore.canon", source="zelda-lore") for i in range(n)]


def _canon(n: int) -> list:
    return [prose_sample(1000 + i, task="canon.check", source="canon-verification") for i in range(n)]


def test_short_bucket_left_short_and_reported() -> None:
    cfg = MixConfig(name="t", domains={"nayru": 7}, sources={"zelda-lore": 5, "canon-verification": 2})
    chosen, report = mix(_lore(3) + _canon(4), cfg)
    rows = {r.key: r for r in report.rows}
    assert (rows["zelda-lore"].selected, rows["zelda-lore"].short, rows["zelda-lore"].shortfall) == (
        3,
        True,
        2,
    )
    assert rows["canon-verification"].selected == 2
    assert len(chosen) == 5
    assert any(w.startswith("SHORT zelda-lore") and "left short" in w for w in report.warnings)


def test_short_bucket_upsampled_with_cap() -> None:
    cfg = MixConfig(
        name="t", domains={"nayru": 10}, sources={"zelda-lore": 10}, short="upsample", upsample_cap=2.0
    )
    chosen, report = mix(_lore(3), cfg)
    row = report.rows[0]
    assert (row.selected, row.upsampled, row.short) == (6, 3, True)
    assert sum(1 for s in chosen if s.meta.get("upsample_copy")) == 3
    assert any("upsampled +3 (cap 2x)" in w for w in report.warnings)


def test_over_full_bucket_prefers_verified_and_is_deterministic() -> None:
    pool = [make(prose=f"Routine {i}", routine=f"r{i}", passed=(i % 3 == 0), states=i % 2) for i in range(60)]
    cfg = MixConfig(name="t", domains={"din": 10}, sources={"alttp-asm-base": 10}, seed=7)
    a, _ = mix(pool, cfg)
    b, _ = mix(list(reversed(pool)), cfg)
    assert len(a) == 10
    assert all(s.verification and s.verification.passed for s in a)
    assert {s.id for s in a} == {s.id for s in b}


def test_domain_total_mismatch_is_reported() -> None:
    _, report = mix([], load_mix_config("triforce-sage-60k"))
    assert any("domain din: rows sum to 25,400 but the domain target is 30,000" in w for w in report.warnings)
    _scaled, report = mix([], load_mix_config("triforce-sage-60k", domain_fill="scale"))
    assert sum(r.target for r in report.rows if r.domain == "din") == 30000


def test_unassigned_samples_are_counted() -> None:
    cfg = MixConfig(name="t", domains={"nayru": 2}, sources={"zelda-lore": 2})
    chosen, report = mix([*_lore(2), make()], cfg)
    assert report.unassigned == 1 and len(chosen) == 2


def test_unknown_source_key_is_a_config_error(tmp_path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("name: m\ndomains: {din: 5}\nsources: {no-such-row: 5}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"m\.yaml: field sources\.no-such-row"):
        load_mix_config(path)
    with pytest.raises(ConfigError, match="unknown mix preset"):
        load_mix_config("nope")
