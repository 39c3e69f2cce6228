"""Readers for a hack's documents: a small hack tree written for these tests (always run), and
Oracle of Secrets itself when TRIFORCE_OOS_TREE names a checkout (its known inconsistencies)."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from triforce.generate.domain import Source, load_generator
from triforce.lore import Claim, ClaimChecker
from triforce.lore.hack import read_oos
from triforce.quest import QuestRules, check_quest
from triforce.quest.oos import read_side_quests, to_quest

HACK = Path(__file__).parent / "data" / "hack_docs"
OOS = os.environ.get("TRIFORCE_OOS_TREE", "")


def _problems(root: Path) -> list[str]:
    return [f"{p.rule}: {p.message}" for p in read_oos(root).problems()]


def test_structured_documents_become_cited_records() -> None:
    docs = read_oos(HACK)
    mine = {r.id: r for r in docs.kb.records if r.scope == "oos"}
    assert mine["oos:lantern/found_at/echo_grotto"].source == "Data/location_registry.json#L4"
    assert mine["oos:quarry_pick/found_at/quarry_keep"].source == "Docs/World/Guides/QuestFlow.md#L14"
    assert mine["oos:ev_001_sage_met/happens_at/sage_hut"].tier == "hack-canon"  # verified in code
    assert mine["oos:warden/true_name/open"].tier == "ambiguous"
    assert "oos:ev_001_sage_met/sets_flag/quest_metsage" in mine
    checker = ClaimChecker(docs.kb, "oos")
    assert checker.check(Claim("Stone Warden", "boss_of", "Echo Grotto")).status == "supported"
    assert checker.check(Claim("Warden", "true_name", "Aldric")).rule == "ambiguous"
    assert (
        checker.check(Claim("Eastern Palace", "boss", "Armos Knights")).status == "supported"
    )  # vanilla kept
    # The alias constant names the same bit: one flag, two names.
    assert docs.kb.resolve("Quest_GateAlias", "oos").id == docs.kb.resolve("Quest_OpenedGate", "oos").id  # type: ignore[union-attr]
    assert [p.cite for p in docs.passages] == [
        "Docs/World/Lore/story_bible.md#L5",
        "Docs/World/Lore/story_bible.md#L7",
    ]


def test_planted_inconsistencies_are_found() -> None:
    found = _problems(HACK)
    assert (
        "functional: Echo Grotto has more than one entrance_room: 0x10, 0x11" in found
    )  # registry vs metadata
    assert "order: Quarry Keep requires the Quarry Pick, found inside it" in found
    assert any(p.startswith("obtainable: Quarry Keep can never be reached") for p in found)
    assert "collision: LanternSlot ($7EF34A, oos) and PebbleTotal ($7EF34A, oos) share bits" in found
    # "bit 0 - Palace of Darkness slot": vanilla's bit 0 is Misery Mire's, PoD's is bit 1.
    assert any(p.startswith("vanilla: Core/sram.asm#L13") for p in found)
    assert not any("Core/sram.asm#L14" in p for p in found)


def test_side_quests_read_into_the_quest_model() -> None:
    [q] = read_side_quests(HACK)
    assert (q.giver, q.rewards, q.cite) == ("Sage", ["Heart Piece"], "Docs/World/Lore/side_quests.md#L5")
    quest = to_quest(q)
    assert quest is not None and [s.kind for s in quest.steps] == ["talk", "fetch", "reward"]
    report = check_quest(quest, QuestRules(min_steps=1, max_steps=30, scope="oos"), read_oos(HACK).kb)
    flags = next(f for f in report.findings if f.check == "flags")
    assert not flags.passed and "collides with LanternSlot" in flags.message
    assert [f.check for f in report.failures] == ["flags"]  # the trade that ends it is the payoff


def test_narrative_samples_reprove_against_the_documents(tmp_path: Path) -> None:
    root = tmp_path / "hack"
    shutil.copytree(HACK, root)
    gen = load_generator("narrative")
    assert gen.units([], 0) == []  # nothing without a hack tree
    units = gen.units([Source(root, "rom-hack")], 0)
    samples = [s.model_dump(mode="json") for u in units for s in gen.run(u, 0).samples]
    tasks = {s["task"] for s in samples}
    assert tasks == {"narrative.fact", "narrative.consistency", "narrative.quest"}
    assert all(s["provenance"]["origin"] == "rom-hack" and s["source"] == "oos-narrative" for s in samples)
    assert all(gen.check(s) == [] for s in samples)
    fact = next(
        s for s in samples if s["task"] == "narrative.fact" and "Stone Warden" in s["messages"][-1]["content"]
    )
    edited = json.loads(json.dumps(fact))
    edited["messages"][-1]["content"] = fact["messages"][-1]["content"].replace(
        "Stone Warden", "Armos Knights"
    )
    assert gen.check(edited)
    shutil.rmtree(root)
    assert "not at" in gen.check(samples[0])[0]


@pytest.mark.skipif(not OOS, reason="set TRIFORCE_OOS_TREE to an Oracle-of-Secrets checkout")
def test_oracle_of_secrets_known_inconsistencies() -> None:
    found = _problems(Path(OOS))
    for want in (
        "order: Zora Temple requires the Zora Mask, found inside it",
        "order: Glacia Estate requires the Fire Rod, found inside it",
        "order: Goron Mines requires the Magic Hammer, found inside it",
        "collision: RockMeat ($7EF350, oos) and Somaria ($7EF350, oos) share bits",
    ):
        assert want in found
    assert any(p.startswith("vanilla: Core/sram.asm#L104: Palace of Darkness crystal bit") for p in found)
