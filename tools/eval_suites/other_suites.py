"""Latency and cross-domain items (a handful each: they exercise every grader), and the first
graphics items (`graphics_suites` builds on them); the lore and quest suites come from
eval_suites/lore_quest.py."""

from __future__ import annotations

import json
from typing import Any

from eval_suites._dsl import Item, S, rd16, to_record, w
from eval_suites.lore_quest import LATENCY_LORE, LORE, QUEST
from triforce.evaluate.graders.graphics import encode_tile


def _tile_item(
    iid: str, bpp: int, rows: list[str], what: str, allowed: list[int] | None = None
) -> dict[str, Any]:
    data = encode_tile([[int(c, 16) for c in r] for r in rows], bpp)
    ref_lines = [f"    db {', '.join(f'${b:02X}' for b in data[i : i + 8])}" for i in range(0, len(data), 8)]
    grading: dict[str, Any] = {"kind": "gfx-tile", "bpp": bpp, "tiles": 1, "pixels": [rows]}
    if allowed is not None:
        grading["allowed_colours"] = allowed
    return {
        "id": f"gfx.tile.{iid}",
        "category": "graphics",
        "prompt": (
            f"Encode one 8x8 SNES tile in {bpp}bpp planar format ({ {2: 16, 3: 24, 4: 32}[bpp] } bytes; "
            + {
                2: "planes 0/1 interleaved per row",
                3: "ALTTP 3bpp: planes 0/1 interleaved per row, then plane 2 one byte per row",
                4: "planes 0/1 interleaved per row, then planes 2/3",
            }[bpp]
            + f"). The tile: {what}. Answer with `db` lines in an ```asm block."
        ),
        "reference": "\n".join(ref_lines) + "\n",
        "grading": grading,
        "tags": ["graphics", f"{bpp}bpp"],
    }


def _palette_item(
    iid: str, colours: list[tuple[int, int, int]], what: str, count: int = 16
) -> dict[str, Any]:
    words = [0] * count
    expects = []
    for i, (r, g, b) in enumerate(colours):
        words[i] = (r >> 3) | ((g >> 3) << 5) | ((b >> 3) << 10)
        if i:
            expects.append({"index": i, "rgb": [r, g, b], "tolerance": 1})
    for i in range(len(colours), count):
        words[i] = 0x0421 * (i & 0x1F) & 0x7FFF
    ref = (
        "\n".join(f"    dw {', '.join(f'${v:04X}' for v in words[i : i + 8])}" for i in range(0, count, 8))
        + "\n"
    )
    return {
        "id": f"gfx.palette.{iid}",
        "category": "graphics",
        "prompt": (
            f"Write a {count}-colour SNES palette as `dw` BGR555 words (0bbbbbgg gggrrrrr, bit 15 clear) in an ```asm block. "
            f"Colour 0 is transparent (any value). {what} Colours not listed may be anything valid."
        ),
        "reference": ref,
        "grading": {"kind": "gfx-palette", "count": count, "colours": expects},
        "tags": ["graphics", "palette"],
    }


GRAPHICS = [
    _tile_item("solid2", 2, ["33333333"] * 8, "every pixel uses colour 3"),
    _tile_item(
        "border4",
        4,
        ["FFFFFFFF"] + ["F000000F"] * 6 + ["FFFFFFFF"],
        "a one-pixel border of colour 15 around a transparent (colour 0) inside",
        allowed=[0, 15],
    ),
    _tile_item(
        "checker3",
        3,
        ["50505050", "05050505"] * 4,
        "a 1-pixel checkerboard of colours 5 and 0 starting with 5 at the top-left",
    ),
    _tile_item(
        "gradient4", 4, [f"{i:X}" * 8 for i in range(8)], "row n (0-7, top to bottom) is entirely colour n"
    ),
    _tile_item(
        "diag2",
        2,
        ["1" + "0" * 7, "01000000", "00200000", "00030000", "00001000", "00000200", "00000030", "00000001"],
        "a diagonal from top-left to bottom-right; pixel (r, r) has colour 1, 1, 2, 3, 1, 2, 3, 1 for r = 0..7, all else colour 0",
    ),
    _palette_item(
        "primary",
        [(0, 0, 0), (248, 0, 0), (0, 248, 0), (0, 0, 248), (248, 248, 248)],
        "Colour 1 is pure red, colour 2 pure green, colour 3 pure blue, colour 4 white (each channel at 248 = 31 in 5 bits).",
    ),
    _palette_item(
        "greys",
        [(0, 0, 0), (64, 64, 64), (128, 128, 128), (192, 192, 192)],
        "Colours 1-3 are greys of 64, 128 and 192 per channel (0-255 scale).",
        count=4,
    ),
]


_QUEST_FORMAT = (
    'Answer with one JSON object: {"title": str, "steps": [{"kind": "story|explore|puzzle|combat|reward", '
    '"location": place on the ALTTP map, "summary": str, "requires": [item ids], "grants": [item ids]}]}.'
)


def _st(
    kind: str, location: str, summary: str, requires: list[str] | None = None, grants: list[str] | None = None
) -> dict[str, Any]:
    return {
        "kind": kind,
        "location": location,
        "summary": summary,
        "requires": requires or [],
        "grants": grants or [],
    }


def _cross_record() -> list[dict[str, Any]]:
    """Quest design + implementation: the outline is graded structurally, the code by execution."""
    rules = {
        "min_steps": 3,
        "max_steps": 6,
        "must_grant": ["fairy_blessing"],
        "must_include_kinds": ["puzzle"],
    }
    asm_ref = """FairyReward:
    SEP #$20
    LDA.l $7EF36C
    STA.l $7EF36D
    REP #$20
    LDA.l $7EF360
    CLC
    ADC #$0032
    CMP #$03E8
    BCC .store
    LDA #$03E7
.store
    STA.l $7EF360
    RTL
"""
    states = []
    for name, hp, mx, rupees in (("low", 3, 24, 100), ("cap", 0, 0xA0, 990), ("full", 24, 24, 0)):
        mem = {0x7EF36D: hp, 0x7EF36C: mx, **w(0x7EF360, rupees)}
        exp = {0x7EF36D: mx, **w(0x7EF360, min(999, rupees + 50))}
        states.append(
            {
                "name": name,
                "initial": {
                    "a": "$0000",
                    "p": "$00" if name != "cap" else "$C3",
                    "memory": {f"${k:06X}": f"${v:02X}" for k, v in mem.items()},
                },
                "expect": {
                    "mem": {f"${k:06X}": f"${v:02X}" for k, v in exp.items()},
                    "flags": {"m": 0, "x": 0},
                },
            }
        )
    quest_steps = [
        _st("story", "Sanctuary", "The priest speaks of a fairy who rewards the patient."),
        _st(
            "puzzle", "Fairy Fountain", "Throw a rupee into each of the three basins.", [], ["fairy_blessing"]
        ),
        _st(
            "reward",
            "Fairy Fountain",
            "The fairy heals Link fully and returns 50 rupees.",
            ["fairy_blessing"],
        ),
    ]
    reference = (
        "```json\n"
        + json.dumps({"title": "The Patient Fairy", "steps": quest_steps}, indent=2)
        + "\n```\n\n```asm\n"
        + asm_ref
        + "```\n"
    )
    fountain = {
        "id": "cross.fairy_fountain_reward",
        "category": "cross",
        "prompt": (
            "Design a short quest where Link finds a hidden fairy fountain, then implement its reward in ASM. Part 1: "
            + _QUEST_FORMAT
            + " 3-6 steps, must grant `fairy_blessing`, include a puzzle, end with a reward. Part 2: a 65816 routine `FairyReward` (asar, called with JSL, "
            "returns with RTL; A/X/Y 16-bit at entry and on return; DB = $7E) that refills health ($7EF36D = max health $7EF36C, bytes) and adds 50 "
            "rupees to the 16-bit rupee goal at $7EF360, capped at 999. Put the code in a ```asm block."
        ),
        "reference": reference,
        "grading": {
            "kind": "cross",
            "quest": rules,
            "asm": {
                "kind": "asm-exec",
                "entry": "FairyReward",
                "convention": "jsl",
                "max_instructions": 5000,
                "states": states,
            },
        },
        "tags": ["cross", "quest", "asm"],
    }
    # Second cross item: a key-door quest whose door check is implemented in ASM.
    door_ref = """KeyDoor:
    SEP #$20
    LDA.l $7EF36F
    BEQ .locked
    DEC A
    STA.l $7EF36F
    LDA #$01
    STA.l $7E0750
    REP #$20
    SEC
    RTL
.locked
    REP #$20
    CLC
    RTL
"""
    door_states = []
    for name, keys in (("one key", 1), ("no key", 0), ("three keys", 3)):
        mem = {0x7EF36F: keys, 0x7E0750: 0}
        exp = {0x7EF36F: max(0, keys - 1), 0x7E0750: 1 if keys else 0}
        door_states.append(
            {
                "name": name,
                "initial": {
                    "p": "$00" if keys != 0 else "$C3",
                    "memory": {f"${k:06X}": f"${v:02X}" for k, v in mem.items()},
                },
                "expect": {
                    "mem": {f"${k:06X}": f"${v:02X}" for k, v in exp.items()},
                    "flags": {"c": 1 if keys else 0, "m": 0, "x": 0},
                },
            }
        )
    door_steps = [
        _st("explore", "Palace of Darkness", "Find the sealed door."),
        _st("combat", "Palace of Darkness", "Beat the Helmasaur guards.", [], ["small_key"]),
        _st(
            "puzzle", "Palace of Darkness", "Open the sealed door with the key.", ["small_key"], ["dark_map"]
        ),
        _st("reward", "Palace of Darkness", "The map reveals the boss room.", ["dark_map"]),
    ]
    door = {
        "id": "cross.key_door",
        "category": "cross",
        "prompt": (
            "Design a dungeon beat around a locked door and implement the door in ASM. Part 1: "
            + _QUEST_FORMAT
            + " 3-6 steps, must grant `dark_map`, include a puzzle, end with a reward. Part 2: a 65816 routine `KeyDoor` (asar, JSL/RTL; A/X/Y 16-bit "
            "at entry and on return; DB = $7E): if the small-key byte $7EF36F is nonzero, decrement it, set the door-open byte $7E0750 to $01 and "
            "return carry = 1; otherwise change nothing and return carry = 0. Put the code in a ```asm block."
        ),
        "reference": "```json\n"
        + json.dumps({"title": "The Sealed Door", "steps": door_steps}, indent=2)
        + "\n```\n\n```asm\n"
        + door_ref
        + "```\n",
        "grading": {
            "kind": "cross",
            "quest": {
                "min_steps": 3,
                "max_steps": 6,
                "must_grant": ["dark_map"],
                "must_include_kinds": ["puzzle"],
                "opening_kinds": ["story", "explore"],
            },
            "asm": {
                "kind": "asm-exec",
                "entry": "KeyDoor",
                "convention": "jsl",
                "max_instructions": 5000,
                "states": door_states,
            },
        },
        "tags": ["cross", "quest", "asm"],
    }
    return [fountain, door]


def _latency_items() -> list[dict[str, Any]]:
    """Short tasks, each with a real check, answered under the plan's 2 s budget."""
    out: list[dict[str, Any]] = []
    small = [
        Item(
            id="inc",
            topic="latency",
            entry="IncA",
            task="Return A + 1 (16-bit, wrapping).",
            reference="IncA:\n    INC A\n    RTL\n",
            states=[S("zero", a=0), S("wrap", a=0xFFFF)],
            model=lambda s: {"a": s.a + 1},
        ),
        Item(
            id="zero_keys",
            topic="latency",
            entry="ClearKeys",
            width="m8x8",
            task="Set the small-key byte at $7EF36F to zero.",
            reference="ClearKeys:\n    LDA #$00\n    STA.l $7EF36F\n    RTL\n",
            states=[S("some", mem={0x7EF36F: 3}), S("none", mem={0x7EF36F: 0})],
            model=lambda s: {"mem": {0x7EF36F: 0}},
        ),
        Item(
            id="double",
            topic="latency",
            entry="DoubleA",
            task="Return A * 2 (16-bit, wrapping).",
            reference="DoubleA:\n    ASL A\n    RTL\n",
            states=[S("one", a=1), S("wrap", a=0x8001)],
            model=lambda s: {"a": s.a * 2},
        ),
        Item(
            id="module",
            topic="latency",
            entry="GetModule",
            task="Return in A (16-bit) the main module byte at $7E0010, zero-extended.",
            reference="GetModule:\n    LDA $10\n    AND #$00FF\n    RTL\n",
            states=[
                S("dungeon", mem={0x7E0010: 7, 0x7E0011: 5}),
                S("overworld", mem={0x7E0010: 9, 0x7E0011: 0xFF}),
            ],
            model=lambda s: {"a": s.mem[0x7E0010]},
        ),
        Item(
            id="full_rupees",
            topic="latency",
            entry="MaxRupees",
            task="Set the 16-bit rupee goal at $7EF360 to 999.",
            reference="MaxRupees:\n    LDA #$03E7\n    STA.l $7EF360\n    RTL\n",
            states=[S("zero", mem=w(0x7EF360, 0)), S("some", mem=w(0x7EF360, 5))],
            model=lambda s: {"mem": w(0x7EF360, 999)},
        ),
        Item(
            id="link_x",
            topic="latency",
            entry="LinkXPlus8",
            task="Return in A Link's X coordinate (16-bit word at $7E0022) plus 8.",
            reference="LinkXPlus8:\n    LDA $22\n    CLC\n    ADC #$0008\n    RTL\n",
            states=[S("plain", mem=w(0x7E0022, 0x100)), S("wrap", mem=w(0x7E0022, 0xFFFC))],
            model=lambda s: {"a": rd16(s.mem, 0x7E0022) + 8},
        ),
    ]
    for it in small:
        rec = to_record(it)
        out.append(
            {
                "id": f"latency.asm.{it.id}",
                "category": "latency",
                "prompt": rec["prompt"],
                "reference": rec["reference"],
                "grading": {"kind": "latency", "budget_s": 2.0, "baseline_s": 4.0, "inner": rec["grading"]},
                "tags": ["latency", "asm"],
            }
        )
    for lore in LATENCY_LORE:
        out.append(
            {
                **lore,
                "id": f"latency.{lore['id']}",
                "category": "latency",
                "grading": {"kind": "latency", "budget_s": 2.0, "baseline_s": 4.0, "inner": lore["grading"]},
                "tags": ["latency", "lore"],
            }
        )
    return out


def _romhack_records() -> list[dict[str, Any]]:
    """The plan's three cross-domain test cases and ten items of each quest kind, graded by the
    romhack prover (`triforce.romhack`), filled with the held-out givers, hook sites and wording."""
    from triforce.romhack.templates import build, suite_plan

    out = []
    for kind, variant in suite_plan():
        pair = build(kind, variant, split="eval")
        out.append(
            {
                "category": "cross",
                "grading": {"kind": "romhack", "spec": json.loads(pair.spec.model_dump_json())},
                "id": f"cross.{kind}.{variant:02d}",
                "prompt": pair.brief,
                "reference": pair.answer(),
                "tags": ["cross", "romhack", kind],
            }
        )
    return out


SUITES: dict[str, list[dict[str, Any]]] = {
    "latency": _latency_items(),
    "lore": LORE,
    "quest": QUEST,
    "cross": _cross_record() + _romhack_records(),
}
