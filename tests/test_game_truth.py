"""A routine's recorded evidence is true of the game (issue 11): each test runs one routine of a
fixture tree written for it (tests/data/game_tree) through the generators' own path (reader,
make_subject, asar, build_context) and checks what the run did against what the game does."""

from __future__ import annotations

from pathlib import Path

import pytest

from triforce.corpus import read_corpus
from triforce.generate.context import Context, Reject, build_context, make_subject
from triforce.generate.execution import Assembler

TREE = Path(__file__).parent / "data" / "game_tree"
_REPORT = read_corpus([TREE], name="game_tree")
ROUTINES = _REPORT.by_name()


def _context(name: str) -> Context | Reject:
    routine = ROUTINES[name]
    subject = make_subject(routine)
    if isinstance(subject, Reject):
        return subject
    asm = Assembler(batch=True)
    asm.include_root = routine.root
    (assembled,) = asm.assemble_many([subject.code])
    assert assembled is not None
    return build_context(subject, assembled, seed=0)


def _ok(name: str) -> Context:
    ctx = _context(name)
    assert isinstance(ctx, Context), ctx
    return ctx


def test_fall_through_runs_into_the_routine_that_follows_in_rom() -> None:
    """Mover_Step ends without a return and runs into Mover_Animate, not into the helper it
    calls (which the corpus also appends)."""
    routine = ROUTINES["Mover_Step"]
    text = routine.standalone(placed=False)
    assert text.index("Mover_Animate:") < text.index("Helper_Unrelated:")
    ctx = _ok("Mover_Step")
    moved = [(s, o) for s, o in ctx.good if s.memory.get(0x7E0021, 0) != 0]
    assert moved, "some state takes the moving path"
    for _, out in moved:
        assert out.writes.get(0x7E0022) == 0x07, "the animation step ran"
    assert routine.falls_into == "Mover_Animate"


def test_a_tree_constant_is_its_value_not_a_stub() -> None:
    """`Up = $00` in the tree: `LDA.b #Up` loads 0, and asar needs no stub for it."""
    ctx = _ok("Mover_FaceUp")
    assert "Up" not in ctx.image.stubs
    for _, out in ctx.good:
        assert out.writes.get(0x7E0024) == 0x00


def test_db_at_entry_comes_from_the_callers() -> None:
    """Caller_Bank02 sets DB to bank $02 before the JSL: Table_Lookup reads its own ROM table
    (in the snippet, the bank its table is appended in), never WRAM."""
    ctx = _ok("Table_Lookup")
    table = [0x11, 0x22, 0x33, 0x44]
    checked = 0
    for state, out in ctx.good:
        assert state.db == 0x00
        assert out.writes.get(0x7E0027) == table[state.x & 3], state.name
        checked += 1
    assert checked
    routine = ROUTINES["Table_Lookup"]
    assert (routine.entry_db, routine.entry_db_source) == (0x02, "callers")


def test_a_routine_reading_rom_through_an_unknown_db_is_not_run() -> None:
    """With no caller in the tree, a DB-relative table read has no known bank: no invented DB."""
    text = (TREE / "bank_02.asm").read_text()
    lone = read_corpus([TREE / "bank_02.asm"], name="lone")
    routine = lone.by_name()["Table_Lookup"]
    assert "Table_Data" in text and routine.entry_db_source == "unknown"
    subject = make_subject(routine)
    assert isinstance(subject, Reject) and subject.reason == "entry-db-unknown"


def test_hardware_registers_are_not_wram() -> None:
    """`LDA.w RDMPYL` reads the multiplier's product, not $7E4216: the routine runs in a system
    bank because it addresses hardware registers."""
    ctx = _ok("Multiply_3x5")
    for state, out in ctx.good:
        assert out.writes.get(0x7E0029) == 15
        assert not any(0x7E4200 <= a < 0x7E4300 for a in out.writes)
        assert state.db == 0x00
    assert ROUTINES["Multiply_3x5"].entry_db_source == "io"


@pytest.mark.parametrize(("name", "register"), [("Beam_Read", "$213C"), ("Joypad_Read", "$4218")])
def test_reads_of_timing_or_input_registers_leave_the_evidence(name: str, register: str) -> None:
    """The H counter and the joypad read what the bus defaults to, not what a console reads."""
    ctx = _context(name)
    assert isinstance(ctx, Reject) and ctx.reason == "nondeterministic-input", ctx
    assert register in ctx.detail


def test_the_batch_path_keeps_the_include_root() -> None:
    """Palette_Load's table is an incbin of the tree: asar must be allowed to read it in a batch.
    It sets DB itself (PHB : PHK : PLB), so its entry DB does not matter."""
    ctx = _ok("Palette_Load")
    palette = [0x0A, 0x0B, 0x0C, 0x0D]
    seen = 0
    for state, out in ctx.good:
        if state.x < len(palette):
            assert out.writes.get(0x7E0028) == palette[state.x]
            seen += 1
    assert seen
    assert ROUTINES["Palette_Load"].entry_db_source == "any"


def test_reads_of_absent_rom_leave_the_evidence() -> None:
    """`LDA.l $0D8000` reads a bank the text does not assemble: zeros here, not the game's byte."""
    ctx = _context("Absent_Read")
    assert isinstance(ctx, Reject) and ctx.reason == "reads-absent-rom", ctx
    assert "$0D8000" in ctx.detail


def test_a_routine_ending_in_a_jump_returns_through_its_tail() -> None:
    """Tail_Caller has no RTS of its own: it returns through Mover_Animate's."""
    ctx = _ok("Tail_Caller")
    for _, out in ctx.good:
        assert out.writes.get(0x7E002B) == 0x01
        assert out.writes.get(0x7E0022) == 0x07
    assert ROUTINES["Tail_Caller"].returns == "rts"


def test_db_follows_a_dispatch_table_from_a_local_subroutine() -> None:
    """Bank02_Entry sets DB with PHK : PLB, then `JSR .dispatch` jumps through `(.vectors,X)`:
    Bank02_Table2Read runs with DB=$02 and reads its own table."""
    ctx = _ok("Bank02_Table2Read")
    for state, out in ctx.good:
        assert state.db == 0x00
        assert out.writes.get(0x7E002C) == 0x5A
    routine = ROUTINES["Bank02_Table2Read"]
    assert (routine.entry_db, routine.entry_db_source) == (0x02, "callers")


def test_a_value_computed_from_a_stub_address_is_not_evidence() -> None:
    """`LDA.b #MissingTable>>16`: the tree has no MissingTable, so the byte is the stub's bank."""
    ctx = _context("Stub_Immediate")
    assert isinstance(ctx, Reject) and ctx.reason == "stub-address-value", ctx
    assert "MissingTable" in ctx.detail


def test_a_run_through_a_stub_routine_is_not_evidence() -> None:
    """`JSR MissingRoutine`: the stub's RTS is not the routine the game calls."""
    ctx = _context("Calls_Missing")
    assert isinstance(ctx, Reject) and ctx.reason == "runs-stub", ctx
    assert "MissingRoutine" in ctx.detail
