"""ASM tasks on the graphics formats (`gfx.asm_palette`, `gfx.asm_oam`): a routine that writes a
palette word or an OAM entry the way ALTTP keeps them, proven by asar and by running it on the
65816 core from several register widths (the bytes it leaves must be the formats' own, P must come
back as it was, and nothing outside the target bytes and the stack may change).
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import dataclass

from triforce.gfx.oam import ALTTP_EXTRA, ALTTP_OAM, OamEntry
from triforce.gfx.palette import (
    ALTTP_PALETTE_BUFFER,
    ALTTP_PALETTE_FLAG,
    cgram_byte,
    components,
    rgb_to_bgr555,
    sprite_row,
)
from triforce.snes.asar import AssembleResult, assemble, assemble_batch
from triforce.snes.asar.diagnostics import first_error as first_asar_error
from triforce.snes.machine import MachineState, run_routine

from .common import Made, block, fence, request
from .gfx_tasks import attr_line, random_sprite, sprite_fields, sprite_from_request

STATES = (0x30, 0x00, 0x20, 0x10)  # P on entry: 8-bit, 16-bit, mixed widths
ORG = 0x008000
_NAMES_PAL = ("SetSpriteColour", "WritePaletteWord", "LoadShadeColour", "Palette_SetColour")
_NAMES_OAM = ("DrawMarker", "Oam_PlaceSprite", "SetCursorSprite", "PutIconSprite")


@dataclass(frozen=True)
class Expected:
    memory: dict[int, int]  # address -> byte the routine must leave


def palette_expected(word: int, address: int) -> Expected:
    return Expected({address: word & 0xFF, address + 1: word >> 8, ALTTP_PALETTE_FLAG: 0x01})


def oam_expected(index: int, e: OamEntry) -> Expected:
    base = 0x7E0000 + ALTTP_OAM + 4 * index
    memory = {base + i: b for i, b in enumerate(e.low_bytes())}
    memory[0x7E0000 + ALTTP_EXTRA + index] = e.high_bits()
    return Expected(memory)


def prove(result: AssembleResult, entry: str, expected: Expected) -> list[str]:
    """Run `entry` from every state in `STATES`; the problems found (empty: proven)."""
    if not result.ok:
        return [f"does not assemble: {first_asar_error(result.diagnostics)}"]
    problems: list[str] = []
    for p in STATES:
        run = run_routine(result, entry, MachineState(p=p, a=0x1234, x=0x0056, y=0x0078), convention="jsl")
        if run.reason != "returned":
            problems.append(f"P=${p:02X}: the routine did not return ({run.reason})")
            continue
        if run.final.p != p:
            problems.append(f"P=${p:02X}: P comes back as ${run.final.p:02X}")
        for addr, want in expected.memory.items():
            got = run.writes.get(addr)
            if got != want:
                problems.append(
                    f"P=${p:02X}: ${addr:06X} should be ${want:02X}, got {'nothing' if got is None else f'${got:02X}'}"
                )
        stray = [a for a in run.writes if a not in expected.memory and not 0x7E0100 <= a <= 0x7E01FF]
        if stray:
            problems.append(f"P=${p:02X}: writes ${stray[0]:06X}, which the task does not ask for")
    return problems


def assembled_hex(result: AssembleResult) -> str:
    return b"".join(c.data for c in sorted(result.chunks, key=lambda c: c.address)).hex()


# -- the palette word ----------------------------------------------------------------------------


def make_palette(rng: random.Random) -> tuple[Made, str, Expected]:
    rgb = (rng.randrange(256), rng.randrange(256), rng.randrange(256))
    word = rgb_to_bgr555(*rgb)
    name = rng.choice(_NAMES_PAL)
    col = rng.randrange(1, 16)
    if rng.random() < 0.5:
        pal = rng.randrange(8)
        row = sprite_row(pal)
        what = f"colour {col} of sprite palette {pal}"
    else:
        row = rng.randrange(8)
        what = f"colour {col} of BG palette row {row}"
    offset = cgram_byte(row, col)
    address = ALTTP_PALETTE_BUFFER + offset
    r5, g5, b5 = components(word)
    if rng.random() < 0.5:
        body = [
            "    PHP",
            "    REP #$20",
            f"    LDA.w #${word:04X}      ; the BGR555 colour",
            f"    STA.l ${address:06X}     ; its word in the CGRAM buffer",
        ]
    else:
        body = [
            "    PHP",
            "    REP #$30",
            f"    LDX.w #${offset:04X}      ; the colour's byte offset",
            f"    LDA.w #${word:04X}      ; the BGR555 colour",
            "    STA.l $7EC500,X      ; the CGRAM buffer",
        ]
    body += [
        "    SEP #$20",
        "    LDA.b #$01",
        "    STA.l $7E0015      ; NMI copies the buffer to CGRAM",
        "    PLP",
        "    RTL",
    ]
    code = f"{name}:\n" + "\n".join(body)
    colour = f"the colour RGB({rgb[0]}, {rgb[1]}, {rgb[2]})"
    user = request(rng, "asm_palette", name=name, colour=colour, what=what)
    answer = (
        f"RGB({rgb[0]}, {rgb[1]}, {rgb[2]}) keeps the top five bits of each channel: R {r5}, G {g5}, B {b5}, "
        f"so the word is {r5} | {g5}<<5 | {b5}<<10 = ${word:04X}. {what[0].upper() + what[1:]} is CGRAM row {row}, "
        f"column {col}: byte offset 2 x (16 x {row} + {col}) = ${offset:03X}, address ${address:06X}. A 16-bit "
        "store writes both bytes; $15 set to 1 makes the NMI handler copy the buffer to CGRAM. PHP/PLP "
        "keep the caller's register widths.\n\n" + fence("asm", code)
    )
    made = Made("gfx.asm_palette", user, answer, {}, method="asar+exec", states=len(STATES))
    return made, code, palette_expected(word, address)


def palette_request(user: str) -> tuple[str, Expected]:
    m = re.search(r"`(\w+)`", user)
    rgb = re.search(r"RGB\((\d+), (\d+), (\d+)\)", user)
    col = re.search(r"colour (\d+) of (?:sprite palette (\d)|BG palette row (\d))", user)
    if not m or not rgb or not col:
        raise ValueError("the request does not name the routine, the colour and the slot")
    row = sprite_row(int(col.group(2))) if col.group(2) else int(col.group(3))
    word = rgb_to_bgr555(*(int(v) for v in rgb.groups()))
    return m.group(1), palette_expected(word, ALTTP_PALETTE_BUFFER + cgram_byte(row, int(col.group(1))))


# -- the OAM entry -------------------------------------------------------------------------------


def make_oam(rng: random.Random) -> tuple[Made, str, Expected]:
    e = random_sprite(rng)
    index = rng.randrange(128)
    name = rng.choice(_NAMES_OAM)
    low = e.low_bytes()
    base, extra = ALTTP_OAM + 4 * index, ALTTP_EXTRA + index
    if rng.random() < 0.5:
        body = ["    PHP", "    SEP #$20"]
        for i, (b, what) in enumerate(zip(low, ("X low", "Y", "tile low", "YXPPCCCT"), strict=True)):
            body += [f"    LDA.b #${b:02X}", f"    STA.l $7E{base + i:04X}     ; {what}"]
    else:
        body = [
            "    PHP",
            "    REP #$20",
            f"    LDA.w #${low[1]:02X}{low[0]:02X}",
            f"    STA.l $7E{base:04X}     ; X low, Y",
            f"    LDA.w #${low[3]:02X}{low[2]:02X}",
            f"    STA.l $7E{base + 2:04X}     ; tile low, YXPPCCCT",
            "    SEP #$20",
        ]
    body += [
        f"    LDA.b #${e.high_bits():02X}",
        f"    STA.l $7E{extra:04X}     ; X high bit and size",
        "    PLP",
        "    RTL",
    ]
    code = f"{name}:\n" + "\n".join(body)
    user = request(rng, "asm_oam", name=name, **sprite_fields(index, e))
    answer = (
        f"Slot {index} is $0800 + 4 x {index} = ${base:04X}: X low ${low[0]:02X}, Y ${low[1]:02X}, tile low "
        f"${low[2]:02X}, {attr_line(e)}. The game packs $0A20 + slot into the OAM high table during NMI, so "
        f"${extra:04X} gets bit 0 = X bit 8 ({e.x >> 8}) and bit 1 = size ({int(e.large)}): ${e.high_bits():02X}. "
        "Long stores work whatever the data bank; PHP/PLP keep the caller's widths.\n\n" + fence("asm", code)
    )
    made = Made("gfx.asm_oam", user, answer, {}, method="asar+exec", states=len(STATES))
    return made, code, oam_expected(index, e)


def oam_request(user: str) -> tuple[str, Expected]:
    m = re.search(r"`(\w+)`", user)
    if not m:
        raise ValueError("the request names no routine")
    index, e = sprite_from_request(user.replace("slot", "entry"))
    return m.group(1), oam_expected(index, e)


# -- proving and checking ------------------------------------------------------------------------


def prove_many(items: Sequence[tuple[str, str, Expected]]) -> list[tuple[list[str], str]]:
    """(problems, assembled hex) per (code, entry, expected), one asar process for all."""
    results = assemble_batch([code for code, _, _ in items], org=ORG)
    out = []
    for (_, entry, expected), res in zip(items, results, strict=True):
        out.append((prove(res, entry, expected), assembled_hex(res) if res.ok else ""))
    return out


_PAL_PROSE = re.compile(
    r"so the word is (\d+) \| (\d+)<<5 \| (\d+)<<10 = \$([0-9A-F]{4})\..*?byte offset 2 x \(16 x (\d+) \+ (\d+)\) = "
    r"\$([0-9A-F]{3}), address \$([0-9A-F]{6})",
    re.DOTALL,
)
_OAM_PROSE = re.compile(
    r"Slot (\d+) is \$0800 \+ 4 x \d+ = \$([0-9A-F]{4}): X low \$([0-9A-F]{2}), Y \$([0-9A-F]{2}), tile low "
    r"\$([0-9A-F]{2}), attributes YXPPCCCT = [01 ]+ = \$([0-9A-F]{2})\..*?so \$([0-9A-F]{4}) gets bit 0 = X bit 8 "
    r"\((\d)\) and bit 1 = size \((\d)\): \$([0-9A-F]{2})",
    re.DOTALL,
)


def _prose_problems(task: str, user: str, answer: str, expected: Expected) -> list[str]:
    """The numbers the explanation states, against the ones the request implies."""
    mem = expected.memory
    if task == "gfx.asm_palette":
        m = _PAL_PROSE.search(answer)
        address = min(a for a in mem if a != ALTTP_PALETTE_FLAG)
        word = mem[address] | mem[address + 1] << 8
        offset = address - ALTTP_PALETTE_BUFFER
        row, col = divmod(offset // 2, 16)
        want = (*components(word), word, row, col, offset, address)
        if not m:
            return ["the explanation does not work out the word and the address"]
        got = tuple(int(v, 16) if i in (3, 6, 7) else int(v) for i, v in enumerate(m.groups()))
        return [] if got == want else [f"the explanation's numbers {got} should be {want}"]
    m = _OAM_PROSE.search(answer)
    if not m:
        return ["the explanation does not work out the slot's bytes"]
    base = min(mem) - 0x7E0000
    extra = max(mem) - 0x7E0000
    want_o = (
        (base - 0x0800) // 4, base, mem[min(mem)], mem[min(mem) + 1], mem[min(mem) + 2], mem[min(mem) + 3],
        extra, mem[max(mem)] & 1, mem[max(mem)] >> 1, mem[max(mem)],
    )  # fmt: skip
    got_o = tuple(int(v) if i in (0, 7, 8) else int(v, 16) for i, v in enumerate(m.groups()))
    return [] if got_o == want_o else [f"the explanation's numbers {got_o} should be {want_o}"]


def check_asm(task: str, user: str, answer: str) -> list[str]:
    entry, expected = palette_request(user) if task == "gfx.asm_palette" else oam_request(user)
    code = block(answer, "asm")
    return _prose_problems(task, user, answer, expected) + prove(assemble(code, org=ORG), entry, expected)
