"""The canon knowledge base and the claim checker: the bundled KB is consistent, claims are
decided by the record that says so, and planted contradictions are found."""

from __future__ import annotations

import pytest

from triforce.errors import InputError
from triforce.lore import Claim, ClaimChecker, check_claims, load_kb_file, load_vanilla, validate, vanilla
from triforce.lore.memory import conflicts, free_bytes, uses
from triforce.snes.addresses import parse_address


def _status(subject: str, rel: str, obj: str | int) -> tuple[str, str]:
    [r] = check_claims(vanilla(), [Claim(subject, rel, obj)])
    return r.status, r.rule


def test_bundled_kb_is_consistent_and_sourced() -> None:
    kb = vanilla()
    assert validate(kb) == []
    assert len(kb.records) > 400 and all(r.source for r in kb.records)
    kinds = {e.kind for e in kb.entities.values()}
    assert {"dungeon", "item", "pendant", "crystal", "character", "boss", "event", "flag", "place"} <= kinds


@pytest.mark.parametrize(
    ("claim", "want"),
    [
        (("Eastern Palace", "boss", "Armos Knights"), ("supported", "record")),
        (("the eastern palace", "boss", "Moldorm"), ("contradicted", "functional")),
        (("Eastern Palace", "boss", "a boss nobody heard of"), ("contradicted", "functional")),
        (("Eastern Palace", "holds_item", "Bow"), ("supported", "inverse")),
        (("Eastern Palace", "holds item", "Hookshot"), ("contradicted", "inverse")),
        (("Desert Palace", "prize", "Pendant of Wisdom"), ("contradicted", "functional")),
        (("Pendant of Wisdom", "prize_of", "Tower of Hera"), ("supported", "inverse")),
        (("Eastern Palace", "prize", "Bow"), ("contradicted", "type")),
        (("Bow", "boss", "Moldorm"), ("contradicted", "type")),
        (("Village of Outcasts", "counterpart", "Kakariko"), ("supported", "inverse")),
        (("ALTTP", "crystal_count", "7"), ("supported", "record")),
        (("ALTTP", "crystal_count", 8), ("contradicted", "functional")),
        (("Pendant of Power", "colour", "Blue"), ("supported", "record")),
        (("bow slot", "address", "$7E:F340"), ("supported", "record")),
        (("bow slot", "address", "0x7EF341"), ("contradicted", "functional")),
        (("Misery Mire", "before", "Turtle Rock"), ("supported", "order")),  # TR needs Mire's Somaria
        (("Ganon's Tower", "before", "Eastern Palace"), ("contradicted", "order")),
        (("Swamp Palace", "before", "Skull Woods"), ("unknown", "order")),
        (("ALTTP", "timeline_placement", "after Ocarina of Time"), ("contradicted", "ambiguous")),
        (("ALTTP", "timeline placement", "left open"), ("supported", "ambiguous")),
        (("Sahasrahla", "favourite_colour", "blue"), ("unknown", "relation")),
        (("Princess Peach", "held_in", "Turtle Rock"), ("unknown", "entity")),
    ],
)
def test_claims_are_decided_with_their_rule(claim: tuple[str, str, str | int], want: tuple[str, str]) -> None:
    assert _status(*claim) == want


def test_result_names_the_deciding_record_and_source() -> None:
    [r] = check_claims(vanilla(), [Claim("Tower of Hera", "boss", "Lanmolas")])
    assert r.status == "contradicted"
    assert r.record is not None and r.record.id == "alttp:tower_of_hera/boss/moldorm"
    assert "Moldorm is the boss of Tower of Hera" in r.reason and r.record.source in r.reason


_HACK = """
scope: test
tier: hack-canon
entities:
  t_d1: {kind: dungeon, name: Test Grotto}
  t_d2: {kind: dungeon, name: Test Palace}
  t_key: {kind: item, name: Glow Key}
  t_flag: {kind: flag, name: grotto flag}
  t_flag2: {kind: flag, name: palace flag}
facts:
  - source: "doc.md#1"
    records:
      - [t_key, found_at, t_d2]
"""


def _hack(extra: str) -> list[str]:
    kb = load_kb_file(text=_HACK + extra, kb=load_vanilla())
    return [f"{p.rule}: {p.message}" for p in validate(kb, "test")]


def test_planted_contradictions_are_found() -> None:
    assert _hack("") == []
    functional = _hack("      - [t_d1, boss, moldorm]\n      - [t_d1, boss, trinexx]\n")
    assert any(p.startswith("functional: Test Grotto has more than one boss") for p in functional)
    pendant = _hack("      - [t_d1, prize, pendant_of_courage]\n")  # Eastern Palace holds it already
    assert any("Pendant of Courage has more than one prize_of" in p for p in pendant)
    cycle = _hack("      - [t_d1, before, t_d2]\n      - [t_d2, before, t_d1]\n")
    assert any(p.startswith("cycle: the event graph loops") for p in cycle)
    itself = _hack("      - [t_d2, requires, t_key]\n")
    assert any(p.startswith("order: Test Palace requires the Glow Key, found inside it") for p in itself)
    assert any(
        p.startswith("obtainable: Test Palace can never be reached") and "(itself)" in p for p in itself
    )
    late = _hack("      - [t_d1, requires, t_key]\n      - [t_d1, before, t_d2]\n")
    assert any("Test Grotto requires the Glow Key, but comes before Test Palace" in p for p in late)
    flags = _hack(
        '      - [t_flag, address, "$7EF3D6"]\n      - [t_flag, mask, 4]\n'
        '      - [t_flag2, address, "$7EF3D6"]\n      - [t_flag2, mask, 6]\n'
    )
    assert any(p.startswith("collision: grotto flag") for p in flags)
    two = _hack('      - [t_flag, address, "$7EF3D6"]\n      - [t_flag, address, "$7EF3D7"]\n')
    assert any("grotto flag has more than one address" in p for p in two)


def test_hack_scope_overrides_vanilla_and_keeps_the_rest() -> None:
    kb = load_kb_file(text=_HACK + "      - [hookshot, found_at, t_d1]\n", kb=load_vanilla())
    checker = ClaimChecker(kb, "test")
    assert checker.check(Claim("Hookshot", "found_at", "Test Grotto")).status == "supported"
    assert checker.check(Claim("Hookshot", "found_at", "Swamp Palace")).status == "contradicted"
    assert checker.check(Claim("Eastern Palace", "boss", "Armos Knights")).status == "supported"
    assert ClaimChecker(kb).check(Claim("Hookshot", "found_at", "Swamp Palace")).status == "supported"


def test_bad_kb_files_name_the_place() -> None:
    with pytest.raises(InputError, match=r"facts\[0\].records\[0\]: unknown entity 'nowhere'"):
        load_kb_file(
            text=_HACK.replace("[t_key, found_at, t_d2]", "[t_key, found_at, nowhere]"), kb=load_vanilla()
        )
    with pytest.raises(InputError, match="unknown relation 'haunts'"):
        load_kb_file(text=_HACK.replace("found_at", "haunts"), kb=load_vanilla())
    with pytest.raises(InputError, match="not a number"):
        load_kb_file(text=_HACK.replace("[t_key, found_at, t_d2]", "[t_key, price, lots]"), kb=load_vanilla())


def test_a_name_two_entities_of_one_scope_share_is_refused() -> None:
    """Within a scope a name means one entity; another scope may reuse it (its own wins there)."""
    with pytest.raises(
        InputError, match=r"entity t_d3: the name 'Test Grotto' already names 't_d1' in scope 'test'"
    ):
        load_kb_file(
            text=_HACK.replace(
                "name: Test Palace}\n",
                "name: Test Palace}\n  t_d3: {kind: place, name: Grotto, aliases: [Test Grotto]}\n",
            ),
            kb=load_vanilla(),
        )
    kb = load_kb_file(text=_HACK.replace("name: Glow Key", "name: Hookshot"), kb=load_vanilla())
    assert kb.resolve("Hookshot", "test") == kb.entities["t_key"]
    assert kb.resolve("Lumberjacks") == kb.entities["lumberjacks"]


def test_memory_map_matches_the_asm_brief() -> None:
    """The brief's save-data addresses (domain brief §4) mean the same thing in the KB."""
    kb = vanilla()
    brief = {
        0x7EF340: "sram_bow",
        0x7EF341: "sram_boomerang",
        0x7EF342: "sram_hookshot",
        0x7EF343: "sram_bombs",
        0x7EF359: "sram_sword",
        0x7EF35A: "sram_shield",
        0x7EF35B: "sram_armor",
        0x7EF360: "sram_rupee_goal",
        0x7EF362: "sram_rupee_display",
        0x7EF36C: "sram_max_health",
        0x7EF36D: "sram_health",
        0x7EF36E: "sram_magic",
        0x7EF36F: "sram_keys",
        0x7EF377: "sram_arrows",
        0x7E0010: "wram_main_module",
        0x7E0011: "wram_submodule",
        0x7E001A: "wram_frame_counter",
        0x7E0020: "wram_link_y",
        0x7E0022: "wram_link_x",
    }
    at = {u.address: u.entity for u in uses(kb) if u.mask == 0xFF}
    assert {a: at.get(a) for a in brief} == brief
    # Crystal bits: the super bomb needs crystals 5 and 6, which the game tests as bits $04|$01.
    bits = {u.entity: u.mask for u in uses(kb) if u.address == 0x7EF37A and u.kind == "flag"}
    assert bits["crystal_5_bit"] | bits["crystal_6_bit"] == 0x05
    assert sorted(bits.values()) == [1, 2, 4, 8, 16, 32, 64]


def test_free_and_used_memory() -> None:
    kb = vanilla()
    free = free_bytes(kb)
    assert parse_address("$7EF38A") in free and parse_address("$7EF4FD") in free
    assert parse_address("$7EF340") not in free and parse_address("$7EF325") not in free  # undocumented: kept
    # The pendant byte names its bits one by one: bit 2 is taken, bit 3 beside them is free.
    assert [u.entity for u in conflicts(kb, 0x7EF374, mask=0x04)] == ["pendant_courage_bit"]
    assert conflicts(kb, 0x7EF374, mask=0x08) == []
    assert [u.entity for u in conflicts(kb, 0x7EF374)] == [
        "sram_pendants",
        "pendant_wisdom_bit",
        "pendant_power_bit",
        "pendant_courage_bit",
    ]
    assert [u.entity for u in conflicts(kb, 0x7EF36D, mask=0x01)] == ["sram_health"]  # a whole-byte value
    assert conflicts(kb, 0x7EF3A0) == []
