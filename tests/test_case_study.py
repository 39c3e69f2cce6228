"""ROM hack case studies: facts re-read from a tree (a fixture written here; the real trees when given).

TRIFORCE_CASE_TREES=/work/trees/z3randomizer:/work/trees/Oracle-of-Secrets pytest tests/test_case_study.py
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from triforce.generate.case_study import CaseStudyGenerator, parse_facts, read_hooks, tree_index
from triforce.generate.domain import Source, load_generator, registry

_HOOKS = """\
;================================================================================
; Lamp Hook
;--------------------------------------------------------------------------------
org $8DDE70 ; <- 6DE70 - equipment.asm : 273 (LDA $7EF34A)
JSL CheckLamp : NOP
;--------------------------------------------------------------------------------
org $808000
db $00
"""
_LAMP = """\
CheckLamp:
    LDA.l $7EF34A
    STA.l LampCache
    JSL VanillaRoutine
    RTL
"""
_RAM = "LampCache = $7E0C00\nVanillaRoutine = $8DE000\n"

_DOC = """\
# Pond Keeper

## Overview
The Pond Keeper is an NPC who guards the pond.

## Sprite Properties
*   **`!Health`**: `04`
*   **`!Harmless`**: `01`
"""
_SPRITE = """\
!Health             = 02  ; hit points
!Harmless           = 01
%Set_Sprite_Properties(Sprite_PondKeeper_Prep, Sprite_PondKeeper_Long)

Sprite_PondKeeper_Long:
  JSL Sprite_CheckActive
  %ShowSolicitedMessage($142)
  LDA.b #$01 : STA.l PondFlag
  RTL

Sprite_PondKeeper_Prep:
  RTL
"""
_SRAM = "PondFlag = $7EF3D0\nSprite_CheckActive = $06E000\n"
_ITEMS = """\
# Custom Items

### Lantern of Dusk

-   **File:** `lantern.asm`
-   **Functionality:** The lantern lights dark rooms for longer. It also does more.
-   **Implementation:** `LinkItem_Lantern` hooks the lamp routine; `LanternTimer` counts down; `GhostRoutine` is planned.
"""
_LANTERN = """\
org $07A1B2 ; @hook
  JSL $0EF800

org $0EF800
LinkItem_Lantern:
  LDA.b #$20 : STA.l LanternTimer
  RTL
"""
_QUESTS = """\
# Side quests

### The Pond Keeper's Favour
#### Related Files
- `Sprites/NPCs/pond_keeper.asm`
- `Sprites/NPCs/missing_one.asm`
- `Core/sram.asm`: `PondFlag` at $7EF3D1
"""


def _write(root: Path, files: dict[str, str]) -> Path:
    for rel, text in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_text(text, encoding="utf-8")
    return root


@pytest.fixture
def trees(tmp_path: Path) -> tuple[Path, Path]:
    z3 = _write(tmp_path / "randomizer", {"hooks.asm": _HOOKS, "lamp.asm": _LAMP, "ram.asm": _RAM})
    oos = _write(
        tmp_path / "hack",
        {
            "Docs/World/Sprites/NPCs/PondKeeper.md": _DOC,
            "Sprites/NPCs/pond_keeper.asm": _SPRITE,
            "Core/sram.asm": _SRAM,
            "Data/dialogue/pond_keeper_dialogue.json": json.dumps(
                {"messages": [{"id": 322, "raw": "(not read)"}, {"id": 323}]}
            ),
            "Docs/World/Lore/side_quests.md": _QUESTS,
            "Docs/World/Features/Items/Items.md": _ITEMS,
            "Items/lantern.asm": _LANTERN,
            "Core/symbols.asm": "LanternTimer = $7E0F40\n",
            "Docs/World/Dungeons/PondCave_Map.md": "# Pond Cave\n\nThe keeper (`pond_keeper.asm`, `ghost.asm`)"
            " runs `Sprite_PondKeeper_Long`; `PondCave_Boss` is planned.\n",
            "Docs/World/Dungeons/DUNGEON_TEMPLATE.md": "# Template\n\n`pond_keeper.asm`\n",
        },
    )
    tree_index.cache_clear()
    return z3, oos


def _samples(roots: list[Path]) -> list[dict[str, Any]]:
    gen = CaseStudyGenerator()
    out = []
    for unit in gen.units([Source(r) for r in roots], 0):
        res = gen.run(unit, 0)
        assert not res.rejects, res.rejects
        out += [json.loads(s.model_dump_json()) for s in res.samples]
    return out


def _facts(sample: dict[str, Any]) -> set[str]:
    facts = parse_facts(sample["messages"][-1]["content"])
    assert facts is not None
    return {f"{f.kind}: {f.key} @ {f.file}:{f.line}" for f in facts}


def test_registered() -> None:
    assert registry()["casestudy"] == "triforce.generate.case_study:CaseStudyGenerator"
    assert isinstance(load_generator("casestudy"), CaseStudyGenerator)
    assert CaseStudyGenerator().units([], 0) == []  # nothing without a tree


def test_hook_case_states_the_code(trees: tuple[Path, Path]) -> None:
    z3, _ = trees
    [hook] = read_hooks(z3)
    assert (hook.title, hook.address, hook.vanilla, hook.target) == (
        "Lamp Hook",
        0x8DDE70,
        "LDA $7EF34A",
        "CheckLamp",
    )
    [s] = _samples([z3])
    assert s["task"] == "cross.case_study" and s["source"] == "romhack-case-studies"
    assert s["provenance"]["origin"] == "rom-hack"
    assert _facts(s) == {
        "hook: $8DDE70 @ hooks.asm:4",
        "vanilla: equipment.asm:273 @ hooks.asm:4",
        "patch: CheckLamp @ hooks.asm:5",
        "routine: CheckLamp @ lamp.asm:1",
        "writes: $7E0C00 @ lamp.asm:3",
        "calls: VanillaRoutine @ lamp.asm:4",
        "returns: RTL @ lamp.asm:5",
    }
    assert CaseStudyGenerator().check(s) == []


def test_sprite_and_quest_cases(trees: tuple[Path, Path]) -> None:
    _, oos = trees
    samples = _samples([oos])
    sprite = next(s for s in samples if "sprite" in s["messages"][-2]["content"])
    facts = _facts(sprite)
    assert "property: !Health = 02 @ Sprites/NPCs/pond_keeper.asm:1" in facts
    assert (
        "doc-property: !Health = 04 @ Docs/World/Sprites/NPCs/PondKeeper.md:7" in facts
    )  # doc and code disagree
    assert not any(f.startswith("doc-property: !Harmless") for f in facts)  # they agree there
    assert "message: $142 @ Sprites/NPCs/pond_keeper.asm:7" in facts
    assert "writes: $7EF3D0 @ Sprites/NPCs/pond_keeper.asm:8" in facts
    assert "calls: Sprite_CheckActive @ Sprites/NPCs/pond_keeper.asm:6" in facts
    assert "dialogue-ids: $142, $143 @ Data/dialogue/pond_keeper_dialogue.json:0" in facts
    assert "(not read)" not in sprite["messages"][-1]["content"]  # message ids only, no text
    quest = next(s for s in samples if "side quest" in s["messages"][-2]["content"])
    facts = _facts(quest)
    assert "file-missing: Sprites/NPCs/missing_one.asm @ Sprites/NPCs/missing_one.asm:0" in facts
    assert "flag-doc: PondFlag = $7EF3D1 @ Docs/World/Lore/side_quests.md:7" in facts
    assert "flag-code: PondFlag = $7EF3D0 @ Core/sram.asm:1" in facts
    assert "uses: PondFlag @ Sprites/NPCs/pond_keeper.asm:8" in facts
    for s in samples:
        assert CaseStudyGenerator().check(s) == []


def test_feature_case_pairs_the_document_with_its_code(trees: tuple[Path, Path]) -> None:
    _, oos = trees
    feature = next(s for s in _samples([oos]) if "feature" in s["messages"][-2]["content"])
    assert _facts(feature) == {
        "feature: Lantern of Dusk @ Docs/World/Features/Items/Items.md:3",
        "describes: Docs/World/Features/Items/Items.md @ Docs/World/Features/Items/Items.md:6",
        "file-present: Items/lantern.asm @ Items/lantern.asm:0",
        "hook: $07A1B2 @ Items/lantern.asm:1",
        "patch: $0EF800 @ Items/lantern.asm:2",
        "doc-names: LinkItem_Lantern @ Docs/World/Features/Items/Items.md:7",
        "doc-names: LanternTimer @ Docs/World/Features/Items/Items.md:7",
        "doc-unknown: GhostRoutine @ Docs/World/Features/Items/Items.md:7",
        "routine: LinkItem_Lantern @ Items/lantern.asm:5",
        "writes: $7E0F40 @ Items/lantern.asm:6",
        "returns: RTL @ Items/lantern.asm:7",
    }
    gen = CaseStudyGenerator()
    assert gen.check(feature) == []
    bad = _edit(feature, "doc-unknown: GhostRoutine", "doc-names: GhostRoutine")
    assert any("GhostRoutine" in p for p in gen.check(bad))


def test_dungeon_document_against_the_code(trees: tuple[Path, Path]) -> None:
    _, oos = trees
    [dungeon] = [s for s in _samples([oos]) if "dungeon document" in s["messages"][-2]["content"]]
    assert _facts(dungeon) == {
        "feature: Pond Cave @ Docs/World/Dungeons/PondCave_Map.md:1",
        "file-named: Sprites/NPCs/pond_keeper.asm @ Docs/World/Dungeons/PondCave_Map.md:3",
        "file-unknown: ghost.asm @ Docs/World/Dungeons/PondCave_Map.md:3",
        "doc-names: Sprite_PondKeeper_Long @ Docs/World/Dungeons/PondCave_Map.md:3",
        "doc-unknown: PondCave_Boss @ Docs/World/Dungeons/PondCave_Map.md:3",
        "routine: Sprite_PondKeeper_Long @ Sprites/NPCs/pond_keeper.asm:5",
        "writes: $7EF3D0 @ Sprites/NPCs/pond_keeper.asm:8",
        "returns: RTL @ Sprites/NPCs/pond_keeper.asm:9",
    }
    gen = CaseStudyGenerator()
    assert gen.check(dungeon) == []
    bad = _edit(dungeon, "file-unknown: ghost.asm", "file-named: Sprites/NPCs/ghost.asm")
    assert any("is not ghost.asm" in p for p in gen.check(bad))
    bad = _edit(dungeon, "doc-unknown: PondCave_Boss", "doc-names: PondCave_Boss")
    assert any("PondCave_Boss: defined in the code is False" in p for p in gen.check(bad))


def _edit(sample: dict[str, Any], old: str, new: str) -> dict[str, Any]:
    out = json.loads(json.dumps(sample))
    assert old in out["messages"][-1]["content"]
    out["messages"][-1]["content"] = out["messages"][-1]["content"].replace(old, new)
    return out


def test_check_refuses_wrong_claims(trees: tuple[Path, Path]) -> None:
    z3, oos = trees
    [hook] = _samples([z3])
    gen = CaseStudyGenerator()
    assert any("not org" in p for p in gen.check(_edit(hook, "hook: $8DDE70", "hook: $8DDE71")))
    assert any("lamp.asm:2" in p for p in gen.check(_edit(hook, "lamp.asm:1", "lamp.asm:2")))
    assert any("does not store" in p for p in gen.check(_edit(hook, "writes: $7E0C00", "writes: $7E0C01")))
    bad = json.loads(json.dumps(hook))
    bad["messages"][-1]["content"] = bad["messages"][-1]["content"].replace("sends the game", "jumps")
    assert "the prose is not what the facts state" in gen.check(bad)
    # the code changes under the sample: the re-read catches it
    (z3 / "lamp.asm").write_text(_LAMP.replace("STA.l LampCache", "STA.l $7E0C02"), encoding="utf-8")
    tree_index.cache_clear()
    assert any("lamp.asm:3" in p for p in gen.check(hook))
    quest = next(s for s in _samples([oos]) if "side quest" in s["messages"][-2]["content"])
    assert any(
        "does not define" in p for p in gen.check(_edit(quest, "PondFlag = $7EF3D0", "PondFlag = $7EF3D1"))
    )


_REAL = [Path(p) for p in os.environ.get("TRIFORCE_CASE_TREES", "").split(os.pathsep) if p]


@pytest.mark.skipif(
    not _REAL, reason="set TRIFORCE_CASE_TREES to z3randomizer and/or Oracle-of-Secrets checkouts"
)
def test_real_trees_give_checked_case_studies() -> None:
    tree_index.cache_clear()
    gen = CaseStudyGenerator()
    units = gen.units([Source(r) for r in _REAL], 0)
    assert units
    made = 0
    for unit in units[:: max(1, len(units) // 40)]:
        res = gen.run(unit, 0)
        for s in res.samples:
            row = json.loads(s.model_dump_json())
            assert gen.check(row) == [], unit.key
            made += 1
    assert made >= len(units[:: max(1, len(units) // 40)]) * 0.8
