"""assemble_batch(): one asar process for many snippets, failures mapped back to their snippet."""

from __future__ import annotations

from pathlib import Path

import pytest

from triforce.corpus import bundled_corpus
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


def test_placed_snippets_get_their_own_run_at_their_own_address() -> None:
    snippets = ["LDA #$01\nRTL\n", "lorom\norg $0AB000\nMain:\nLDA #$02\nRTS\n", "LDA #$03\nRTL\n"]
    results = assemble_batch(snippets)
    assert all(r.ok for r in results), [r.diagnostics for r in results]
    assert results[1].chunks[0].address == 0x0AB000 and results[1].code == b"\xa9\x02\x60"
    assert results[1].symbols == {"Main": 0x0AB000}
    assert results[2].code == b"\xa9\x03\x6b"


def test_placed_snippet_far_from_the_slots_with_stubs() -> None:
    snippets = ["NOP\n", "org $0AB000\nJSR Helper\nLDA Table,x\nRTS\n", "org $8C9000\nJMP Near\n"]
    results = assemble_batch(snippets, stubs=True)
    assert all(r.ok for r in results), [r.diagnostics for r in results]
    assert results[1].stubs["Helper"] >> 16 == 0x0A
    assert results[1].stubs["Table"] >> 16 == 0x0A
    assert results[2].stubs["Near"] >> 16 == 0x8C


_MACRO = "macro add_capped(value)\n  CLC : ADC #<value>\nendmacro\n"


def test_snippets_may_define_the_same_macro() -> None:
    other = "macro add_capped(value)\n  SEC : SBC #<value>\nendmacro\n"
    snippets = [
        _MACRO + "Main:\n%add_capped($01)\nRTL\n",
        _MACRO + "Main:\n%add_capped($02)\nRTL\n",
        other + "Main:\n%add_capped($03)\nRTL\n",
        "NOP\n",
    ]
    results = assemble_batch(snippets)
    assert all(r.ok for r in results), [r.diagnostics for r in results]
    assert [r.code for r in results] == [
        b"\x18\x69\x01\x6b",
        b"\x18\x69\x02\x6b",
        b"\x38\xe9\x03\x6b",
        b"\xea",
    ]


def test_errors_inside_a_renamed_macro_name_it_as_written() -> None:
    bad = "macro add_capped(value)\n  CLC : ADC #<value>\n  STZ $7EF340\nendmacro\n%add_capped($01)\n"
    results = assemble_batch([_MACRO + "%add_capped($01)\n", bad])
    assert [r.ok for r in results] == [True, False]
    [diag] = results[1].errors
    assert (diag.file, diag.line, diag.called_from) == ("snippet1.asm", 3, "snippet1.asm:5")
    assert "TFm" not in diag.format()


def test_snippets_with_the_same_struct_go_to_separate_runs() -> None:
    struct = "struct Item $7E0400\n  .id: skip 1\nendstruct\n"
    results = assemble_batch([struct + "LDA.w Item.id\n", struct + "LDX.w Item.id\n"])
    assert all(r.ok for r in results), [r.diagnostics for r in results]
    assert [r.code for r in results] == [b"\xad\x00\x04", b"\xae\x00\x04"]


def test_a_renamed_macro_call_is_echoed_as_written() -> None:
    results = assemble_batch([_MACRO + "%add_capped(1)\n", _MACRO + "%add_capped(1, 2)\n"])
    assert [r.ok for r in results] == [True, False]
    assert results[1].errors[0].text == "%add_capped(1,2)"


@pytest.mark.slow
def test_every_bundled_routine_assembles_in_one_batch_placed_or_not() -> None:
    """The corpus's own check: routines sharing macros in one batch, and placed at their home."""
    routines = bundled_corpus().routines
    unplaced = assemble_batch([r.standalone(placed=False) for r in routines], stubs=True)
    placed = assemble_batch([r.standalone() for r in routines], stubs=True)
    failed = [r.name for r, a, b in zip(routines, unplaced, placed, strict=True) if not (a.ok and b.ok)]
    assert not failed
    for routine, result in zip(routines, placed, strict=True):
        if routine.address is not None:
            assert result.symbols[routine.qualified_name] == routine.address


def test_placed_snippets_each_have_the_whole_stub_area_of_their_bank() -> None:
    table = "org $02F000\n" + "".join(f"dw Screen{i}\n" for i in range(300)) + "LDA Last,x\n"
    results = assemble_batch([table, table.replace("Screen", "Map")], stubs=True)
    assert all(r.ok for r in results), [r.errors[:2] for r in results]
    assert all(len(r.stubs) == 301 and {a >> 16 for a in r.stubs.values()} == {0x02} for r in results)


_HOOKED = "Main:\n  LDA #$01\n  STA $7E0010\n  RTL\nMain_Hook:\n  LDA #$01\n  RTL\n"
_HOOKED += "pushpc\norg Main\n  JSL Main_Hook\n  NOP\npullpc\n"


def _count_runs(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    from triforce.snes.asar import batch

    runs: list[int] = []
    real = batch.run_units

    def counting(workdir: Path, units: list[object], cfg: object) -> object:
        runs.append(len(units))
        return real(workdir, units, cfg)  # type: ignore[arg-type]

    monkeypatch.setattr(batch, "run_units", counting)
    return runs


def test_in_slot_patches_accepts_only_patches_of_the_snippets_own_code() -> None:
    from triforce.snes.asar.batch import in_slot_patches

    assert in_slot_patches(_HOOKED) == (("Main", 2),)
    assert in_slot_patches("Main:\nRTL\npushpc\norg $008000\nNOP\npullpc\n") is None  # an address
    assert in_slot_patches("Main:\nRTL\npushpc\norg Elsewhere\nNOP\npullpc\n") is None  # not its label
    assert in_slot_patches("Main:\nRTL\npushpc\norg Main\ndb $00\npullpc\n") is None  # data, not code
    assert in_slot_patches("Main:\nRTL\npushpc\norg Main\nNOP : NOP\npullpc\n") is None
    assert in_slot_patches("Main:\nRTL\npushpc\norg Main\nNOP\n") is None  # never pulled
    assert in_slot_patches("Main:\nRTL\norg Main\nNOP\n") is None  # org outside pushpc
    assert in_slot_patches("Main:\nRTL\n") is None  # nothing to patch


def test_self_patching_snippets_share_the_batch_run(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = _count_runs(monkeypatch)
    results = assemble_batch([_good(1), _HOOKED, _good(3)], org=0x008000, slot_size=0x100)
    assert runs == [3]
    assert all(r.ok for r in results), [r.diagnostics for r in results]
    hooked = results[1]
    main, hook = hooked.symbols["Main"], hooked.symbols["Main_Hook"]
    assert 0x008100 <= main < hook < 0x008200
    at = snes_to_offset(main, "lorom")
    assert at is not None
    assert hooked.rom[at : at + 5] == bytes([0x22, hook & 0xFF, (hook >> 8) & 0xFF, hook >> 16, 0xEA])
    alone = assemble(_HOOKED, org=main)
    assert alone.ok and alone.code == hooked.code
    assert results[0].code == results[2].code[:1] + b"\x01" + results[2].code[2:]


def test_a_self_patch_that_would_leave_its_slot_runs_alone(monkeypatch: pytest.MonkeyPatch) -> None:
    runs = _count_runs(monkeypatch)
    # Main sits at the end of its slot: 12 four-byte instructions written there run past it.
    long_patch = "NOP\n" * 0x1C + "Main:\nRTL\npushpc\norg Main\n" + "  LDA $123456\n" * 12 + "pullpc\n"
    results = assemble_batch([_good(1), long_patch, _good(3)], org=0x008000, slot_size=0x20)
    assert runs == [3, 2, 1]  # the batch, again without the stray, then the stray alone
    assert all(r.ok for r in results), [r.diagnostics for r in results]
    assert results[2].chunks[0].address == 0x008040 and results[2].code == assemble(_good(3)).code
    assert results[1].symbols["Main"] == 0x008020 + 0x1C


def test_base_placement_gives_each_snippet_its_lone_assembly() -> None:
    """With `base`, a batched snippet's result is what assembling it alone gives: same chunks,
    symbols, stubs and image, whatever its neighbours (their stubs and slots included)."""
    from triforce.snes.asar import assemble

    sources = [
        "Lookup:\n    TXA\n    ASL A\n    TAX\n    LDA.l .table,X\n    RTL\n.table\n    dw $000A, $0032\n",
        "Foo:\n    JSL Ext_Long\n    JSR Near_Thing\n    LDA Data_Table,x\n    LDA #Foo\n    RTS\n",
        "Bar:\n    JSR Other\n    JSL Far\n    LDA.l Tbl\n    RTL\n",
        "org $018000\nPlaced:\n    JSL Far2\n    RTL\n",
        "Hook:\n    LDA #$01\n    RTL\npushpc\norg Hook\n    LDA #$02\npullpc\n",
    ]
    batched = assemble_batch(sources, org=0x008000, stubs=True, slot_size=0x1000, base=0x008000)
    for source, got in zip(sources, batched, strict=True):
        alone = assemble(source, org=0x008000, stubs=True)
        assert got.ok and alone.ok
        assert [(c.address, c.offset, c.data) for c in got.chunks] == [
            (c.address, c.offset, c.data) for c in alone.chunks
        ]
        assert (got.symbols, got.stubs) == (alone.symbols, alone.stubs)
        assert got.rom == alone.rom  # its own stub bytes only, not its neighbours'
