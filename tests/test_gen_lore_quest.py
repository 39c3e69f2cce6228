"""The lore, canon and quest generators: every sample is re-proven from its assistant message, and
an edited message (a wrong fact, a flipped verdict, a softlocked quest, a false pacing line) fails."""

from __future__ import annotations

import json
from collections import Counter
from functools import cache
from pathlib import Path
from typing import Any

from triforce.generate.build import BuildOptions, run_build
from triforce.generate.domain import load_generator
from triforce.generate.routines import load_routines
from triforce.generate.verify import verify_samples


@cache
def _samples(name: str, limit: int = 40) -> list[dict[str, Any]]:
    gen = load_generator(name)
    out: list[dict[str, Any]] = []
    for unit in gen.units([], 0)[:limit]:
        out += [s.model_dump(mode="json") for s in gen.run(unit, 0).samples]
    return out


def _edit(sample: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    copy = json.loads(json.dumps(sample))
    text = copy["messages"][-1]["content"]
    assert old in text, (old, text)
    copy["messages"][-1]["content"] = text.replace(old, new, 1)
    return copy


def test_lore_samples_reprove_and_edits_fail() -> None:
    gen = load_generator("lore")
    samples = _samples("lore")
    assert {s["task"] for s in samples} == {"lore.qa", "lore.explain"}
    assert all(gen.check(s) == [] for s in samples)
    boss = next(
        s for s in samples if s["meta"]["relation"] == "boss_of" and "Agahnim" in s["messages"][-1]["content"]
    )
    wrong = _edit(boss, '"o": "Hyrule Castle Tower"', '"o": "Eastern Palace"')
    assert any("contradicted" in p for p in gen.check(wrong))
    # The prose must say what the claims say: a claim the prose never names is refused.
    hidden = _edit(boss, "Agahnim is fought as the boss of Hyrule Castle Tower. ", "")
    assert any("never named" in p for p in gen.check(hidden))
    # A fact the claims do not cover, slipped into the prose, is refused too.
    extra = _edit(boss, "Agahnim is fought", "Agahnim, who serves Ganon, is fought")
    assert any("no claim covers" in p for p in gen.check(extra))
    no_block = _edit(boss, "```claims", "```text")
    assert gen.check(no_block) == ["no ```claims block in the answer"]


def test_canon_samples_name_the_deciding_record() -> None:
    gen = load_generator("canon")
    samples = _samples("canon", 60)
    statuses = Counter(
        json.loads(s["messages"][-1]["content"].split("```verdict\n")[1].split("\n```")[0])["status"]
        for s in samples
    )
    assert statuses["supported"] and statuses["contradicted"]
    assert all(gen.check(s) == [] for s in samples)
    wrong = next(s for s in samples if '"status": "contradicted"' in s["messages"][-1]["content"])
    flipped = _edit(wrong, '"status": "contradicted"', '"status": "supported"')
    assert any("the checker says contradicted" in p for p in gen.check(flipped))
    record = json.loads(wrong["messages"][-1]["content"].split("```verdict\n")[1].split("\n```")[0])["record"]
    miscited = _edit(wrong, record, "alttp:eastern_palace/boss/armos_knights")
    assert any("not a deciding record" in p for p in gen.check(miscited)) or record.endswith("armos_knights")
    # The verdict must be about the user's statement, not another claim that happens to be true.
    swapped = json.loads(json.dumps(wrong))
    swapped["messages"][0]["content"] = swapped["messages"][0]["content"].replace('"', "'", 2)
    assert any("not the statement" in p for p in gen.check(swapped))


def test_unknown_and_ambiguous_statements() -> None:
    gen = load_generator("canon")
    unordered = [s.model_dump(mode="json") for s in gen.run(gen.units([], 0)[-1], 0).samples]
    assert unordered and all('"status": "unknown"' in s["messages"][-1]["content"] for s in unordered)
    alttp = next(u for u in gen.units([], 0) if u.key == "alttp")
    texts = [s.messages[-1].content for s in gen.run(alttp, 0).samples]
    assert any('"rule": "ambiguous"' in t and '"status": "contradicted"' in t for t in texts)
    assert any('"rule": "ambiguous"' in t and '"status": "supported"' in t for t in texts)


def test_quest_samples_pass_the_quest_model_and_edits_fail() -> None:
    gen = load_generator("quest")
    samples = _samples("quest", 24)
    tasks = Counter(s["task"] for s in samples)
    assert tasks["quest.review"] == 24 and sum(v for k, v in tasks.items() if k != "quest.review") == 24
    assert all(gen.check(s) == [] for s in samples)
    design = next(s for s in samples if s["task"] == "quest.fetch")
    pacing = next(
        line for line in design["messages"][-1]["content"].splitlines() if line.startswith("Pacing:")
    )
    lied = _edit(design, pacing, pacing.replace("gating depth", "gating depth 9 ~"))
    assert any("pacing line" in p for p in gen.check(lied))
    quest = json.loads(design["messages"][-1]["content"].split("```json\n")[1].split("\n```")[0])
    quest["steps"][2]["requires"].append("moon key")  # nothing grants it: a softlock
    broken = json.loads(json.dumps(design))
    head = design["messages"][-1]["content"].split("```json\n")[0]
    broken["messages"][-1]["content"] = head + "```json\n" + json.dumps(quest) + "\n```\n"
    assert any("completable" in p and "softlock" in p for p in gen.check(broken))
    review = next(s for s in samples if s["task"] == "quest.review")
    first = next(line for line in review["messages"][-1]["content"].splitlines() if line.startswith("- "))
    assert any("the review names" in p for p in gen.check(_edit(review, first + "\n", "")))


def test_default_build_yields_verified_lore_canon_quest(tmp_path: Path) -> None:
    corpus = load_routines([], required=False)
    report = run_build(
        corpus, tmp_path, BuildOptions(generators=["lore", "canon", "quest"], workers=1, limit_per_type=30)
    )
    per = report["per_generator"]
    assert all(per[g]["kept"] == 30 and not per[g]["rejected"] for g in ("lore", "canon", "quest"))
    rows = [json.loads(line) for line in (tmp_path / "samples.jsonl").read_text().splitlines()]
    assert {r["source"] for r in rows} == {"zelda-lore", "canon-verification", "quest-templates"}
    result = verify_samples(rows)
    assert result.checked == 90 and result.passed == 90


def test_every_lore_and_canon_sample_of_a_default_build_verifies() -> None:
    """All units, not a sample of them: "the Lumberjacks" once resolved to Lumberjacks' House
    (whose alias was "lumberjacks"), so the lumberjacks/home answer failed its own check."""
    for name in ("lore", "canon"):
        gen = load_generator(name)
        rows = [s.model_dump(mode="json") for u in gen.units([], 0) for s in gen.run(u, 0).samples]
        report = verify_samples(rows)
        assert report.failed == [] and report.passed == len(rows) > 100, (name, report.failed[:3])


def test_teach_lessons_state_exactly_what_execution_shows() -> None:
    gen = load_generator("teach")
    unit = gen.units([], 0)[0]
    samples = [s.model_dump(mode="json") for s in gen.run(unit, 0).samples]
    assert samples and all(s["task"] == "doc.teach" and s["source"] == "code-documentation" for s in samples)
    lesson = next(s for s in samples if '"r": "writes"' in s["messages"][-1]["content"])
    assert gen.check(lesson) == []
    lied = _edit(lesson, '"r": "preserves"', '"r": "changes"')
    assert any("differ from execution" in p for p in gen.check(lied))
    forged = json.loads(json.dumps(lesson))
    first = forged["meta"]["exec"]["states"][0]["final"]
    first["cycles"] = int(first["cycles"]) + 1  # the record itself must still hold when re-run
    assert gen.check(forged)


def test_dataset_verify_root_reaches_a_teach_lesson_with_an_incbin() -> None:
    """Palette_Load reads a table that is an `incbin` of its tree: its lesson verifies only with
    the tree's root given to asar, as `dataset verify --root TREE` does."""
    from triforce.generate.domain import Source

    tree = Path(__file__).parent / "data" / "game_tree"
    gen = load_generator("teach")
    samples = [
        s.model_dump(mode="json")
        for unit in gen.units([Source(tree)], 0)
        for s in gen.run(unit, 0).samples
        if s.meta["exec"]["entry"] == "Palette_Load"
    ]
    assert len(samples) == 1
    assert any("include_root" in p for p in gen.check(samples[0]))  # no tree: asar refuses the incbin
    report = verify_samples(samples, root=tree)
    assert (report.checked, report.passed, report.failed) == (1, 1, [])


def test_card_says_why_a_row_is_short(tmp_path: Path) -> None:
    from triforce.dataset.pipeline import CurationConfig, curate
    from triforce.dataset.sample_io import read_jsonl

    corpus = load_routines([], required=False)
    run_build(corpus, tmp_path, BuildOptions(generators=["lore", "canon"], workers=1, limit_per_type=20))
    samples = read_jsonl(tmp_path / "samples.jsonl").samples
    result = curate(samples, CurationConfig(mix="nayru-lorekeeper", out_dir=tmp_path / "dataset"))
    card = (tmp_path / "dataset" / "README.md").read_text()
    assert "**SHORT**: lore.qa/lore.explain" in card and "**SHORT**: canon.verify" in card
    assert result.mix is not None and {r.key for r in result.mix.short_rows()} == {
        "zelda-lore",
        "canon-verification",
    }
