"""Routines run in place in the whole-tree game image (issue 11): the fixture tree written for
the game-truth tests (tests/data/game_tree) assembled whole by `corpus.image`, each routine then
assembled at its own address over that image and run there (generate/inplace.py)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from triforce.corpus import read_corpus
from triforce.corpus.image import find_main, game_image, unpool
from triforce.errors import InputError
from triforce.generate.context import Context, Reject, build_context, make_subject
from triforce.generate.execution import Assembler
from triforce.generate.synth import WorkOptions, process_routines
from triforce.generate.verify import check_sample

FIXTURE = Path(__file__).parent / "data" / "game_tree"
# The fixture names two labels it lacks on purpose (the stub tests of test_game_truth); a tree
# that assembles whole defines them.
_LACKING = "\nMissingTable = $0A8000\norg $00FF00\nMissingRoutine:\n    RTS\n"


@pytest.fixture(scope="module")
def cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("images")


def _whole_tree(dest: Path) -> Path:
    shutil.copytree(FIXTURE, dest)
    main = dest / "main.asm"
    main.write_text(main.read_text(encoding="utf-8") + _LACKING, encoding="utf-8")
    return dest


TREE = _whole_tree(Path(__import__("tempfile").mkdtemp(prefix="tf-game-tree-")) / "game_tree")


@pytest.fixture(autouse=True)
def _image_cache(cache: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TRIFORCE_IMAGE_CACHE", str(cache))


def _in_place(tree: Path, name: str) -> Context | Reject:
    routines = read_corpus([tree], name=tree.name).by_name()
    game = game_image(tree)
    subject = make_subject(routines[name], game)
    if isinstance(subject, Reject):
        return subject
    asm = Assembler(batch=True)
    asm.include_root = tree
    asm.game = game
    (assembled,) = asm.assemble_many([subject.code], at=[subject.address])
    assert assembled is not None
    return build_context(subject, assembled, seed=0)


def test_the_whole_tree_assembles_and_every_marker_is_its_address() -> None:
    game = game_image(TREE)
    assert find_main(TREE).name == "main.asm"
    markers = {n: v for n, v in game.symbols.items() if re.fullmatch(r"_[0-9A-F]{6}", n)}
    assert len(markers) > 20
    assert all(int(n[1:], 16) == v for n, v in markers.items())
    assert game.address_of("Table_Data") == 0x02800A
    assert game.rom[0x1000A : 0x1000A + 4] == bytes([0x11, 0x22, 0x33, 0x44])  # LoROM $02800A
    assert game.unknown == ()


def test_the_image_is_cached_by_the_trees_digest(cache: Path) -> None:
    first = game_image(TREE)
    assert any(cache.iterdir())
    again = game_image(TREE)
    assert again.rom == first.rom and again.digest == first.digest


def test_a_binary_the_tree_lacks_is_zero_filled_and_unknown(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    shutil.copytree(TREE, tree)
    (tree / "palette.bin").unlink()
    bank = tree / "bank_00.asm"  # its size comes from the address markers around it
    bank.write_text(bank.read_text(encoding="utf-8").replace('incbin "palette', '#_008042: incbin "palette'))
    game = game_image(tree)
    assert game.unknown == ((0x42, 0x46),)
    assert game.rom[0x42:0x46] == bytes(4)
    assert not game.known(0x008042) and game.known(0x008046)
    ctx = _in_place(tree, "Palette_Load")
    if isinstance(ctx, Context):  # the states that read the unknown bytes left the evidence
        assert all(not (0x008042 <= a < 0x008046) for o in ctx.outcomes for a in o.rom_reads)
    else:
        assert ctx.reason == "reads-absent-rom", ctx


def test_a_tree_that_does_not_assemble_is_refused_with_asars_error(tmp_path: Path) -> None:
    tree = tmp_path / "broken"
    shutil.copytree(TREE, tree)
    (tree / "bank_00.asm").write_text("Broken:\n    LDA.b Nowhere\n    RTS\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"does not assemble as a whole.*Nowhere"):
        game_image(tree)
    with pytest.raises(InputError, match=r"does not assemble as a whole.*MissingRoutine"):
        game_image(FIXTURE)  # the fixture itself lacks two labels: its 65816 code is never skipped


def test_pool_sections_become_plain_labels() -> None:
    text = "pool Draw Draw2\n.tiles\n    db $01\n.ptrs\n    dw .tiles\npool off\nDraw:\n    LDA .tiles,X\n"
    out = unpool(text)
    assert "Draw_tiles: Draw2_tiles:" in out
    assert "dw Draw_tiles" in out  # a reference inside the pool names the pool's label
    assert "LDA .tiles,X" in out  # after the pool, the routine's own scope resolves it
    assert "\npool" not in out


def test_fall_through_runs_into_the_code_the_rom_has_next() -> None:
    """In place, Mover_Step runs into Mover_Animate because the image has it there."""
    ctx = _in_place(TREE, "Mover_Step")
    assert isinstance(ctx, Context), ctx
    assert ctx.entry == 0x008000 and ctx.subject.suffix == ""
    moved = [o for s, o in ctx.good if s.memory.get(0x7E0021, 0)]
    assert moved and all(o.writes.get(0x7E0022) == 0x07 for o in moved)
    assert all(o.writes.get(0x7E0023) == 0x55 for o in moved)  # it called the helper by its address


def test_a_table_read_through_the_callers_db_reads_the_games_bytes() -> None:
    ctx = _in_place(TREE, "Table_Lookup")
    assert isinstance(ctx, Context), ctx
    assert ctx.entry == 0x028000
    assert "Table_Data = $02800A" in ctx.subject.prefix  # the table is the game's, not recited
    for state, out in ctx.good:
        assert state.db == 0x02
        assert out.writes.get(0x7E0027) == [0x11, 0x22, 0x33, 0x44][state.x & 3]


def test_labels_outside_the_routine_are_the_games_addresses() -> None:
    ctx = _in_place(TREE, "Caller_Bank02")
    assert isinstance(ctx, Context), ctx
    assert "Table_Lookup = $028000" in ctx.subject.prefix
    assert not ctx.image.stubs


def test_timing_registers_still_leave_the_evidence_in_place() -> None:
    ctx = _in_place(TREE, "Beam_Read")
    assert isinstance(ctx, Reject) and ctx.reason == "nondeterministic-input", ctx


def test_in_place_samples_are_re_proved_over_the_image_and_only_there(tmp_path: Path) -> None:
    routines = read_corpus([TREE], name=TREE.name).routines
    units = process_routines([(r, ["base", "optimize", "debug"]) for r in routines], WorkOptions(seed=0))
    samples = [dict(row) for u in units for row in u["samples"]]
    assert samples
    placed = [s for s in samples if s["meta"]["exec"].get("image")]
    assert len(placed) == len(samples)
    for s in placed:
        problems, _ = check_sample(s, TREE)
        assert problems == [], (s["meta"]["generator"], s["meta"]["routine"], problems)
    other = tmp_path / "other"
    shutil.copytree(TREE, other)
    (other / "bank_02.asm").write_text(
        (TREE / "bank_02.asm").read_text(encoding="utf-8").replace("$11, $22", "$12, $22"), encoding="utf-8"
    )
    problems, _ = check_sample(placed[0], other)
    assert problems and "not the tree the sample ran in" in problems[0]
    problems, _ = check_sample(placed[0], None)
    assert problems and "pass --root" in problems[0]


def test_snippets_stay_available_for_trees_without_a_main_file() -> None:
    routines = read_corpus([TREE], name=TREE.name).routines[:3]
    units = process_routines([(r, ["base"]) for r in routines], WorkOptions(seed=0, in_place=False))
    rows = [dict(row) for u in units for row in u["samples"]]
    assert rows and not any(r["meta"]["exec"].get("image") for r in rows)


def test_what_a_body_addresses_through_db_is_read_with_the_games_labels() -> None:
    from triforce.generate.inplace import db_needs

    game = game_image(TREE)
    # Table_Data is in bank $02 (absolute from bank $02 code: through DB), a register, WRAM.
    assert db_needs("    LDA.w Table_Data,X\n    RTL\n", 0x02, game, {}) == {"rom"}
    assert db_needs("    LDA Table_Data,X\n", 0x00, game, {}) == frozenset()  # asar makes it long
    assert db_needs("    LDA.w Table_Data,X\n", 0x00, game, {}) == {"rom"}  # .w: absolute, through DB
    assert db_needs("    STA.w $4202\n    LDA.w $0E20\n", 0x00, game, {}) == {"io"}
    assert db_needs("    LDA.w $7F00\n", 0x00, game, {}) == {"wram"}
    assert db_needs("    PHK\n    PLB\n    LDA.w Table_Data,X\n", 0x02, game, {}) == frozenset()
    assert db_needs("    LDA.b $20\n    LDA.l $7EF340\n    LDA.w #$8000\n", 0x02, game, {}) == frozenset()
    # A routine's own `.sublabel` table, named as the image names it.
    assert db_needs("    LDA.w .vectors,X\n", 0x02, game, {}, "Bank02_Entry") == {"rom"}


def test_the_prompt_states_the_games_db_where_the_routine_reads_through_it() -> None:
    ctx = _in_place(TREE, "Table_Lookup")
    assert isinstance(ctx, Context)
    assert ctx.subject.db_note == "$02, as every caller in the game sets it"
    routines = read_corpus([TREE], name=TREE.name).by_name()
    (unit,) = process_routines([(routines["Table_Lookup"], ["base"])], WorkOptions(seed=0))
    (sample,) = [dict(s) for s in unit["samples"]]
    assert (
        "Data bank (DB) at entry: $02, as every caller in the game sets it."
        in sample["messages"][1]["content"]
    )
    mover = _in_place(TREE, "Mover_Step")
    assert isinstance(mover, Context) and mover.subject.db_note == ""  # nothing through DB


def test_an_inline_dispatch_table_with_address_markers_gives_its_handlers_the_db(tmp_path: Path) -> None:
    """`JSL JumpTableLocal` followed by `#_1EA75C: dw Handler` lines (usdasm's sprite state
    dispatch): each handler is called with the dispatcher's DB, marker or not."""
    (tmp_path / "main.asm").write_text(
        "lorom\norg $1E8000\n"
        "Entry:\n#_1E8000: PHB\n#_1E8001: PHK\n#_1E8002: PLB\n#_1E8003: JSR Dispatch\n#_1E8006: PLB\n#_1E8007: RTL\n\n"
        "Dispatch:\n#_1E8008: LDA.w $0D80,X\n#_1E800B: JSL JumpTableLocal\n"
        "#_1E800F: dw Handler_Zero\n#_1E8011: dw Handler_One\n\n"
        "Handler_Zero:\n#_1E8013: LDA.w Table,Y\n#_1E8016: RTS\n\n"
        "Handler_One:\n#_1E8017: RTS\n\n"
        "Table:\n#_1E8018: db $01, $02\n\n"
        "JumpTableLocal:\n#_1E801A: RTL\n",
        encoding="utf-8",
    )
    routines = read_corpus([tmp_path], name="dispatch").by_name()
    handler = routines["Handler_Zero"]
    assert (handler.entry_db_source, handler.entry_db) == ("callers", 0x1E)


def test_verify_finds_a_namespaced_entry_beside_a_constant_with_the_same_tail() -> None:
    from triforce.generate.verify import _entry_symbol

    symbols = {"Oracle_Sprite_Twinrova_IceAttack": 0x7E0100, "Oracle_Twinrova_IceAttack": 0x328292}
    assert _entry_symbol(symbols, "Twinrova_IceAttack", 0x328292) == 0x328292
    assert _entry_symbol(symbols, "Twinrova_IceAttack") is None  # ambiguous without the record


def test_the_reset_vector_and_split_module_tables_give_the_games_db(tmp_path: Path) -> None:
    """The 65816 resets with DB=$00: the routine at the reset vector (`#_00FFFC: dw Reset`) and
    what its main loop reaches get that bank, through a module table split into
    `db Module>>0` / `>>8` / `>>16` bytes read by index (usdasm's Module_MainRouting), and past
    code after a jump that the routine's own entry never runs."""
    (tmp_path / "main.asm").write_text(
        "lorom\norg $008000\n"
        "Reset:\n#_008000: SEI\n#_008001: CLC\n\n"
        "MainLoop:\n#_008002: BRA .run\n.never\n#_008004: PLB\n.run\n#_008005: JSL Routing\n#_008009: BRA MainLoop\n\n"
        "Routing:\n#_00800B: LDY.b $10\n#_00800D: LDA.w .low,Y\n#_008010: STA.b $03\n"
        "#_008012: LDA.w .high,Y\n#_008015: STA.b $04\n#_008017: JML.w [$0003]\n"
        ".low\n#_00801A: db Module00>>0\n.high\n#_00801B: db Module00>>8\n\n"
        "Module00:\n#_00801C: LDA.w Table,Y\n#_00801F: RTL\n\n"
        "Table:\n#_008020: db $01\n\n"
        "org $00FFFC\n#_00FFFC: dw Reset\n",
        encoding="utf-8",
    )
    routines = read_corpus([tmp_path], name="vectors").by_name()
    assert (routines["Reset"].entry_db_source, routines["Reset"].entry_db) == ("callers", 0x00)
    assert (routines["Routing"].entry_db_source, routines["Routing"].entry_db) == ("callers", 0x00)
    assert (routines["Module00"].entry_db_source, routines["Module00"].entry_db) == ("callers", 0x00)


def test_an_inline_table_before_more_code_and_an_offset_table_read_dispatch_too(tmp_path: Path) -> None:
    """`BEQ .active : JSL JumpTableLocal : dw A, B` with the routine's code going on after the
    table (usdasm's Sprite_ExecuteSingle), and `LDA.w .vectors+1,Y` (Ancilla_ExecuteOne)."""
    (tmp_path / "main.asm").write_text(
        "lorom\norg $068000\n"
        "Entry:\n#_068000: PHB\n#_068001: PHK\n#_068002: PLB\n#_068003: JSR Execute\n#_068006: JSR Vectored\n"
        "#_068009: PLB\n#_06800A: RTL\n\n"
        "Execute:\n#_06800B: CMP.b #$09\n#_06800D: BEQ .active\n#_06800F: JSL JumpTableLocal\n"
        "#_068013: dw Module_A\n#_068015: dw Module_B\n.active\n#_068017: RTS\n\n"
        "Vectored:\n#_068018: LDA.w .vectors+0,Y\n#_06801B: STA.b $00\n#_06801D: LDA.w .vectors+1,Y\n"
        "#_068020: STA.b $01\n#_068022: JMP.w ($0000)\n.vectors\n#_068025: dw Module_C\n\n"
        "Module_A:\n#_068027: LDA.w Table,Y\n#_06802A: RTS\n\n"
        "Module_B:\n#_06802B: LDA.w Table,Y\n#_06802E: RTS\n\n"
        "Module_C:\n#_06802F: LDA.w Table,Y\n#_068032: RTS\n\n"
        "Table:\n#_068033: db $01\n\n"
        "JumpTableLocal:\n#_068034: RTL\n",
        encoding="utf-8",
    )
    routines = read_corpus([tmp_path], name="dispatch2").by_name()
    for name in ("Module_A", "Module_B", "Module_C"):
        assert (routines[name].entry_db_source, routines[name].entry_db) == ("callers", 0x06), name
