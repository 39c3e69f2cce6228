"""assemble_batch(): one asar process for many snippets, failures mapped back to their snippet."""

from __future__ import annotations

from triforce.snes.asar import assemble, assemble_batch, snes_to_offset


def _good(i: int) -> str:
    # every snippet defines the same label names: namespaces keep them apart
    return f"Main:\n  LDA #${i & 0xFF:02X}\n  STA $7E0010\n.loop\n  DEX\n  BNE .loop\n  RTL\n"


def test_one_bad_snippet_among_many_good_ones() -> None:
    snippets = [_good(i) for i in range(60)]
    snippets[17] = "Main:\n  LDA #$01\n  STZ $7EF340\n  RTL\n"
    results = assemble_batch(snippets)
    assert [r.ok for r in results] == [i != 17 for i in range(60)]
    bad = results[17]
    [diag] = bad.errors
    assert (diag.code, diag.snippet, diag.line, diag.file) == ("Eunknown_command", 17, 3, "snippet17.asm")
    assert diag.text == "STZ $7EF340"
    for i, res in enumerate(results):
        if i == 17:
            continue
        assert res.snippet == i
        assert res.code == bytes([0xA9, i & 0xFF, 0x8F, 0x10, 0x00, 0x7E, 0xCA, 0xD0, 0xFD, 0x6B])
        assert set(res.symbols) == {"Main", "Main_loop"}
        start = res.symbols["Main"]
        assert res.chunks[0].address == start
        assert res.rom[snes_to_offset(start) : snes_to_offset(start) + 2] == bytes([0xA9, i & 0xFF])
    starts = [r.symbols["Main"] for r in results if r.ok]
    assert len(set(starts)) == len(starts)


def test_several_failures_and_a_fatal_error() -> None:
    snippets = [_good(i) for i in range(10)]
    snippets[2] = "NOP\nNOP\nJSL Missing\n"
    snippets[5] = "macro a()\n%a()\nendmacro\n%a()\n"  # fatal: asar stops at once
    snippets[9] = "LDA #"
    results = assemble_batch(snippets)
    assert [r.ok for r in results] == [i not in (2, 5, 9) for i in range(10)]
    assert [(d.code, d.line) for d in results[2].errors] == [("Elabel_not_found", 3)]
    assert results[5].errors[0].code == "Erecursion_limit"
    assert results[9].errors[0].code == "Einvalid_number"


def test_stubs_in_batch_are_per_snippet() -> None:
    results = assemble_batch(["JSL Sprite_Move\nRTL\n", "JSR Helper\nRTS\n", "NOP\n"], stubs=True)
    assert all(r.ok for r in results), [r.diagnostics for r in results]
    assert list(results[0].stubs) == ["Sprite_Move"]
    assert list(results[1].stubs) == ["Helper"]
    assert results[2].stubs == {}
    helper = results[1].stubs["Helper"]
    assert helper >> 16 == results[1].chunks[0].address >> 16  # JSR stub in the caller's bank
    assert results[1].rom[snes_to_offset(helper)] == 0x60


def test_snippet_larger_than_its_slot_fails_alone() -> None:
    results = assemble_batch(["NOP", "fill $500", "RTS"], slot_size=0x400)
    assert [r.ok for r in results] == [True, False, True]
    assert results[1].errors[0].code == "Tslot_overflow"


def test_batch_warnings_and_single_results_agree() -> None:
    src = "Main:\n  LDA.w #$12\n  RTS\n"
    single = assemble(src)
    [batched] = assemble_batch([src])
    assert batched.code == single.code


def test_empty_batch() -> None:
    assert assemble_batch([]) == []


def test_hirom_batch_places_snippets_in_bank_c0() -> None:
    results = assemble_batch(["NOP", "RTL"], mapper="hirom")
    assert [r.chunks[0].address for r in results] == [0xC00000, 0xC00400]
    assert [r.chunks[0].offset for r in results] == [0, 0x400]
