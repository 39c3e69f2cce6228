"""Issue 11 (doc): a routine that sets up DMA/HDMA is documented by the transfer's own parameters
(channel, DMAP mode, B-bus register by name, A-bus address, size), as the game's code sets them;
a parameter taken from the input is said to come from it, never listed as the values the random
states happened to give. The fixture routines are written for this test."""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

from gen_helpers import recheck
from triforce.generate.audit import TreeFacts, audit_sample, shipping_defects
from triforce.generate.dma import Source, dma_lines, merge_transfers, run_transfers, store_sources
from triforce.generate.synth import WorkOptions, process_routines
from triforce.snes.bus import MmioAccess

SRC = Path(__file__).parent / "data" / "gametasks" / "dma.asm"


@cache
def _docs() -> dict[str, dict[str, Any]]:
    from triforce.corpus import read_corpus

    corpus = read_corpus([SRC], name="dma", origin="original")
    units = process_routines([(r, ["doc"]) for r in corpus.routines], WorkOptions(seed=0))
    return {s["meta"]["routine"]: s for u in units for s in u["samples"]}


def _answer(routine: str) -> str:
    return str(_docs()[routine]["messages"][2]["content"])


def _line(answer: str, start: str) -> str:
    return next(ln for ln in answer.splitlines() if ln.startswith(start))


def test_vram_dma_is_stated_by_its_parameters() -> None:
    answer = _answer("Tiles_Upload")
    assert _line(answer, "- DMA") == (
        "- DMA channel 1 ($4310-$4316), started by MDMAEN $420B: mode 1 (DMAP $01: writes $2118, "
        "$2119; A-bus to B-bus, address incrementing); B-bus VMDATAL $2118; A-bus $7F1000; "
        "size $0800 (2048 bytes)."
    )
    # The bytes the DMA moved are the transfer's, not memory the code read.
    assert _line(answer, "- Memory read:") == "- Memory read: none (besides the stack)."
    # The channel's registers are named in the DMA line, not listed again as touched registers.
    assert (
        _line(answer, "- Hardware registers:")
        == "- Hardware registers: VMAIN $2115, VMADDL $2116, VMADDH $2117."
    )
    recheck(_docs()["Tiles_Upload"], max_states=0)  # dataset verify derives the same line


def test_size_and_source_from_ram_are_said_to_come_from_it() -> None:
    answer = _answer("Gfx_UploadQueued")
    line = _line(answer, "- DMA channel 0")
    assert "B-bus VMDATAL $2118" in line and "mode 1 (DMAP $01" in line
    assert "A-bus bank $7E, address from $0A,X" in line
    assert "size computed from $0E,X" in line  # the code masks it with AND #$07FF
    assert not re.search(r"size \$", line)
    # The random sources reached every corner of WRAM: none of it is listed as read.
    assert _line(answer, "- Memory read:") == "- Memory read: $0A,X, $0E,X."
    recheck(_docs()["Gfx_UploadQueued"], max_states=0)


def test_hdma_setup_names_table_and_indirect_bank() -> None:
    line = _line(_answer("Hdma_WaveOn"), "- HDMA")
    assert line == (
        "- HDMA channel 6 ($4360-$4367), enabled by HDMAEN $420C: mode 2 (DMAP $42: writes $210D; "
        "A-bus to B-bus, indirect table); B-bus BG1HOFS $210D; table $0EC800; indirect bank $7E."
    )


def test_values_are_stated_only_where_every_run_agrees() -> None:
    def run(size: int) -> list[MmioAccess]:
        return [
            MmioAccess("write", 0x4300, 0x01, True),
            MmioAccess("write", 0x4301, 0x18, True),
            MmioAccess("write", 0x4305, size & 0xFF, True),
            MmioAccess("write", 0x4306, size >> 8, True),
            MmioAccess("write", 0x420B, 0x01, True),
            MmioAccess("dma", 0x2118, size, False, 0x7E2000),
        ]

    runs = [run_transfers(run(n)) for n in (0x10, 0x200)]
    assert runs[0][1] == {0x7E2000 + i for i in range(0x10)}  # the A-bus bytes the DMA read
    (t,) = merge_transfers([r[0] for r in runs])
    assert t["params"]["BBAD"] == 0x18 and t["params"]["DASL"] is None and t["params"]["A1TL"] == "unset"


def test_store_sources_follow_the_code() -> None:
    code = (
        "X:\n    REP #$20\n    LDA $0E,X\n    STA $4305\n    SEP #$20\n    LDA #$18\n    STA $4301\n    RTS\n"
    )
    src = store_sources(code)
    assert src[0x4305] == Source("mem", "$0E,X") and src[0x4306] == Source("mem", "$0E,X", 1)
    assert src[0x4301] == Source("imm", "#$18")


def _old_style(sample: dict[str, Any]) -> dict[str, Any]:
    """The sample as the doc generator wrote it before: no DMA line, the runs' union instead."""
    old = json.loads(json.dumps(sample))
    text = old["messages"][2]["content"]
    text = re.sub(r"^- DMA .*$", "- Hardware registers: MDMAEN $420B, $4300, $4301, $4302.", text, flags=re.M)
    text = text.replace("- Memory read: $0A,X, $0E,X.", "- Memory read: $0A,X, $0E,X, $7E0000-$7E0009.")
    old["messages"][2]["content"] = text
    return old


def test_audit_flags_dma_facts_that_are_a_union() -> None:
    doc = _docs()["Gfx_UploadQueued"]
    assert "dma-union" not in audit_sample(doc, TreeFacts())
    assert "dma-union" in audit_sample(_old_style(doc), TreeFacts())
    assert "dma-union" in shipping_defects(_old_style(doc))  # the build ships no such sample
    # A value stated for a parameter the code takes from the input.
    listed = json.loads(json.dumps(doc))
    listed["messages"][2]["content"] = re.sub(
        r"size computed from \$0E,X", "size $01F3 (499 bytes)", listed["messages"][2]["content"]
    )
    (why,) = audit_sample(listed, TreeFacts())["dma-union"]
    assert "DASL" in why and "$0E,X" in why
    assert "dma-union" not in audit_sample(_docs()["Tiles_Upload"], TreeFacts())


def test_a_loop_of_equal_transfers_is_one_line_with_its_count() -> None:
    answer = _answer("Rows_Clear")
    (line,) = [ln for ln in answer.splitlines() if ln.startswith("- DMA")]
    assert line.startswith("- DMA channel 0 ($4300-$4306), started by MDMAEN $420B 4 times: mode 1")
    assert "A-bus $7FE000; size $0040 (64 bytes)." in line
    recheck(_docs()["Rows_Clear"], max_states=0)


def test_registers_reached_through_a_pointer_are_not_listed() -> None:
    from triforce.generate.doc import fact_lines

    f = {
        "exit_m": [], "exit_x": [], "registers_changed": [], "registers_preserved": [],
        "flags_changed": [], "flags_covered": [], "reads": [], "writes": [],
        "mmio": [0x2116, 0x2117, 0x4244], "cycles": [1, 1, 1.0], "instructions": [1, 1], "states": 3,
    }  # fmt: skip
    code = "X:\n    REP #$20\n    STA $2116\n    LDA #$00\n    STA [$00],Y\n    RTS\n"
    line = next(x for x in fact_lines(f, (), code) if "Hardware" in x)
    assert line == (
        "- Hardware registers: VMADDL $2116, VMADDH $2117 (and others through a pointer or index from the input)."
    )


def test_a_channel_from_the_input_is_one_transfer_not_one_per_random_channel() -> None:
    def run(channel: int, starts: int) -> list[MmioAccess]:
        base = 0x4300 | (channel << 4)
        once = [MmioAccess("write", base, 0x01, True), MmioAccess("write", base + 1, 0x18, True)]
        return [*once, MmioAccess("write", 0x420B, 1 << channel, True)] * starts

    runs = [run_transfers(run(ch, n))[0] for ch, n in ((2, 1), (5, 2), (7, 1))]
    (t,) = merge_transfers(runs)
    assert t["channel"] is None and t["times"] is None and not t["every"]
    assert t["params"]["DMAP"] == 0x01 and t["params"]["BBAD"] == 0x18
    (line,) = dma_lines([t], {})
    assert line.startswith("- DMA a channel set from the input, started by MDMAEN $420B a number of times")


def test_dma_through_the_wram_port_names_the_wram_address_and_the_table_label() -> None:
    answer = _answer("Palette_CopyDefault")
    assert _line(answer, "- DMA") == (
        "- DMA channel 0 ($4300-$4306), started by MDMAEN $420B: mode 0 (DMAP $00: writes $2180; A-bus to "
        "B-bus, address incrementing); B-bus WMDATA $2180; A-bus address from #Palette_Default, bank from "
        "#Palette_Default>>16; size $0020 (32 bytes); into WRAM $7EC500 through the port."
    )
    # The 32 bytes the port wrote are the transfer's; the table's address in the sample's image
    # is not the game's, so the label is named instead of a number.
    assert _line(answer, "- Memory written:") == "- Memory written: none (besides the stack)."
    recheck(_docs()["Palette_CopyDefault"], max_states=0)


def test_a_channel_started_again_holds_what_the_hardware_left() -> None:
    log = [
        MmioAccess("write", 0x4300, 0x01, True),
        MmioAccess("write", 0x4302, 0x00, True),
        MmioAccess("write", 0x4303, 0x20, True),
        MmioAccess("write", 0x4305, 0x10, True),
        MmioAccess("write", 0x4306, 0x00, True),
        MmioAccess("write", 0x420B, 0x01, True),
        MmioAccess("dma", 0x2118, 0x10, False, 0x7E2000),
        MmioAccess("write", 0x420B, 0x01, True),
        MmioAccess("dma", 0x2118, 0x10000, False, 0x7E2010),
    ]
    (first, again), _, _ = run_transfers(log)
    assert (first.value(2), first.value(3), first.value(5)) == (0x00, 0x20, 0x10)
    assert (again.value(2), again.value(3), again.value(5), again.value(6)) == (0x10, 0x20, 0, 0)


def test_a_tree_constant_is_a_value_a_label_is_not() -> None:
    code = "VMDATAH = $002119\nX:\n    SEP #$20\n    LDA #VMDATAH\n    STA $4301\n    LDA #Tbl>>16\n    STA $4304\n    RTS\n"
    src = store_sources(code)
    assert src[0x4301] == Source("imm", "#VMDATAH") and src[0x4301].constant
    assert src[0x4304] == Source("label", "#Tbl>>16") and not src[0x4304].constant


def test_memory_a_pointer_from_the_input_reached_is_said_to_exist_not_listed() -> None:
    """`LDA ($00),Y` reads wherever the test state's pointer points: those bytes are no fact of
    the routine (issue 11 item 8); the pointer's own bytes, which the code names, are."""
    from triforce.generate.doc import _memory_text, named_memory

    code = "Read:\n    LDA ($00),Y\n    STA.w $0E20\n    RTS\n"
    named = named_memory(code)
    assert {0x7E0000, 0x7E0001, 0x7E0E20} <= named
    text = _memory_text([0x7E0000, 0x7E0001, 0x7E4F10, 0x7E9A22], [], named)
    assert text == "$7E0000-$7E0001 (and others through a pointer or index from the input)"
    assert (
        _memory_text([0x7E4F10], [], named)
        == "none named in the code (others through a pointer or index from the input)"
    )
    assert _memory_text([0x7E4F10], []) == "$7E4F10"  # without the code: as before
