"""assemble_batch(): one asar process for many snippets, failures mapped back to their snippet."""

from __future__ import annotations

from pathlib import Path

from triforce.snes.asar import SandboxLimits, assemble, assemble_batch, snes_to_offset


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


def test_macro_errors_name_the_real_line_and_the_call_site() -> None:
    src = "NOP\nmacro m()\n  NOP\n  NOP\n  foo\nendmacro\nNOP\n%m()\n"
    [diag] = assemble(src, filename="m.asm").errors
    assert (diag.file, diag.line, diag.called_from) == ("m.asm", 5, "m.asm:8")
    assert diag.format().startswith("m.asm:5 (called from m.asm:8): error: (Eunknown_command)")
    [_, batched] = assemble_batch(["NOP", src])
    assert (batched.errors[0].file, batched.errors[0].line) == ("snippet1.asm", 5)
    assert batched.errors[0].called_from == "snippet1.asm:8"


def test_error_in_an_included_file_maps_to_the_snippet_that_included_it(tmp_path: Path) -> None:
    (tmp_path / "lib").mkdir()
    (tmp_path / "lib" / "bad.asm").write_text("Helper:\n  STZ $7EF340\n  RTS\n")
    (tmp_path / "lib" / "good.asm").write_text("Helper:\n  RTS\n")
    snippets = ['JSR Helper\nincsrc "lib/good.asm"\n', 'JSR Helper\nincsrc "lib/bad.asm"\n', "RTS"]
    results = assemble_batch(snippets, include_root=tmp_path)
    assert [r.ok for r in results] == [True, False, True]
    [diag] = results[1].errors
    assert (diag.file, diag.line, diag.snippet) == ("lib/bad.asm", 2, 1)
    assert results[0].code == b"\x20\x03\x80\x60"


def test_a_snippet_that_hangs_times_out_alone() -> None:
    snippets = ["LDA #$01", "LDA #$02", "!i = 0\nwhile 1\n!i #= !i+1\nendwhile\n", "LDA #$04"]
    results = assemble_batch(snippets, limits=SandboxLimits(timeout_s=0.5))
    assert [r.ok for r in results] == [True, True, False, True]
    assert results[2].errors[0].code == "Ttimeout"
    assert [r.code for r in results if r.ok] == [b"\xa9\x01", b"\xa9\x02", b"\xa9\x04"]


def test_stubs_with_a_real_error_behave_as_in_single_mode() -> None:
    src = "JSL Missing\nSTZ $7EF340\n"
    [batched] = assemble_batch([src], stubs=True)
    single = assemble(src, stubs=True)
    assert [d.code for d in batched.errors] == [d.code for d in single.errors] == ["Eunknown_command"]
    assert set(batched.stubs) == set(single.stubs) == {"Missing"}


def test_a_snippet_with_its_own_org_cannot_overwrite_its_neighbours() -> None:
    snippets = [
        "LDA #$01\nRTL\n",
        "org $008000\ndb $FF,$FF,$FF\n",
        "namespace Other\nFoo:\nRTS\n",
        "LDA #$04\n",
    ]
    results = assemble_batch(snippets)
    assert all(r.ok for r in results), [r.diagnostics for r in results]
    assert results[0].code == b"\xa9\x01\x6b" and results[0].chunks[0].address == 0x008000
    assert results[1].chunks[0].address == 0x008000 and results[1].code == b"\xff\xff\xff"
    assert results[3].code == b"\xa9\x04"
    assert results[2].symbols == {"Other_Foo": results[2].chunks[0].address}
