"""machine.run_routine: calling conventions, stop reasons, watches and the state model."""

from __future__ import annotations

import json

import pytest

from triforce.errors import InputError
from triforce.snes.asar import assemble
from triforce.snes.machine import MachineState, run_routine

pytest.importorskip("triforce.snes.cpu")

ADD_RUPEES = """
AddRupees:
    PHP
    REP #$20
    LDA $7EF360
    CLC
    ADC #$0010
    STA $7EF360
    PLP
    RTL
"""


def test_state_accepts_hex_strings_and_round_trips_json() -> None:
    state = MachineState.model_validate(
        {"a": "$1234", "x": "0x10", "p": "$30", "memory": {"$7EF360": "$12", "0x000010": 5, "$00:1000": 1}}
    )
    assert state.a == 0x1234 and state.x == 0x10
    assert state.memory == {0x7EF360: 0x12, 0x7E0010: 5, 0x7E1000: 1}
    with pytest.raises(ValueError, match="has no base"):
        MachineState.model_validate({"memory": {"4096": 1}})  # decimal or hex? refused, never guessed
    again = MachineState.model_validate(json.loads(state.model_dump_json()))
    assert again == state
    with pytest.raises(ValueError):
        MachineState(memory={0x7E0000: 0x100})


def test_jsl_routine_returns_and_reports_reads_and_writes() -> None:
    res = assemble(ADD_RUPEES, org=0x008000)
    state = MachineState(memory={0x7EF360: 0xF8, 0x7EF361: 0x00})
    run = run_routine(res, "AddRupees", state, convention="jsl")
    assert run.reason == "returned"
    assert run.final.word(0x7EF360) == 0x0108
    assert run.writes[0x7EF360] == 0x08 and run.writes[0x7EF361] == 0x01
    assert {0x7EF360, 0x7EF361} <= run.reads
    assert run.final.p == 0x30  # PLP restored the widths
    assert run.instructions == 8 and run.cycles > 0
    assert 0x7FFFF0 not in run.reads  # the trampoline is not the routine's business


def test_rts_where_rtl_was_due_is_caught() -> None:
    res = assemble("Routine:\n    LDA #$01\n    RTS\n", org=0x008000)
    run = run_routine(res, "Routine", convention="jsl", max_instructions=1000)
    assert run.reason == "bad_return"
    assert (run.final.pb, run.final.pc) == (0x00, 0xFFF4)  # RTS took only PCL/PCH of the JSL frame


def test_jsr_convention_uses_a_trampoline_in_the_routine_bank() -> None:
    res = assemble("Sub:\n    INX\n    RTS\n", org=0x028000)
    run = run_routine(res, 0x028000, MachineState(x=4), convention="jsr")
    assert run.reason == "returned" and run.final.x == 5
    rtl = assemble("Sub:\n    INX\n    RTL\n", org=0x028000)
    assert run_routine(rtl, 0x028000, convention="jsr", max_instructions=500).reason == "bad_return"


def test_instruction_limit_and_stop_instructions() -> None:
    loop = assemble("Spin:\n    BRA Spin\n", org=0x008000)
    run = run_routine(loop, "Spin", max_instructions=50)
    assert run.reason == "instruction_limit" and run.instructions == 50
    assert run_routine(assemble("B:\n    BRK #$00\n", org=0x008000), "B").reason == "brk"
    assert run_routine(assemble("S:\n    STP\n", org=0x008000), "S").reason == "stp"
    assert run_routine(assemble("W:\n    WAI\n", org=0x008000), "W").reason == "wai"


def test_jumping_into_io_space_is_flagged() -> None:
    res = assemble("Go:\n    JML $004000\n", org=0x008000)
    run = run_routine(res, "Go", max_instructions=200)
    assert run.reason == "executed_outside_memory"
    assert run.escaped_at is not None and (run.escaped_at & 0xFFFF) >= 0x4000


def test_none_convention_stops_at_the_return() -> None:
    res = assemble("R:\n    LDY #$07\n    RTS\n", org=0x008000)
    state = MachineState(s=0x01F0, memory={0x7E01F1: 0x00, 0x7E01F2: 0x90})
    run = run_routine(res, "R", state, convention="none")
    assert run.reason == "returned" and run.final.y == 7 and run.final.pc == 0x9001


def test_mmio_and_hardware_multiply_from_code() -> None:
    src = """
Mul:
    SEP #$20
    LDA #$0C
    STA $4202
    LDA #$0B
    STA $4203
    LDA $4216
    STA $7E0000
    LDA #$80
    STA $2100
    RTL
"""
    run = run_routine(assemble(src, org=0x008000), "Mul")
    assert run.reason == "returned" and run.writes[0x7E0000] == 132
    assert any(m.address == 0x2100 and not m.emulated for m in run.mmio)


def test_unknown_label_and_bad_assembly_are_input_errors() -> None:
    res = assemble(ADD_RUPEES, org=0x008000)
    with pytest.raises(InputError, match="Nope"):
        run_routine(res, "Nope")
    with pytest.raises(InputError):
        run_routine(assemble("LDA $7E0000,y\n", org=0x008000), 0x008000)


def test_trace_and_json_summary() -> None:
    run = run_routine(assemble(ADD_RUPEES, org=0x008000), "AddRupees", trace=True)
    assert run.trace is not None and len(run.trace) == run.instructions
    data = run.to_json()
    assert data["reason"] == "returned" and "$7EF360" in data["writes"]
    assert data["trace"][0]["mnemonic"] == "PHP" and data["trace"][0]["address"] == "$008000"
    json.dumps(data)


def test_dma_from_code_shows_in_the_writes() -> None:
    src = """
Copy:
    SEP #$20
    STZ $2181
    LDA #$30
    STA $2182
    STZ $2183
    STZ $4300
    LDA #$80
    STA $4301
    LDA.b #Table : STA $4302
    LDA.b #Table>>8 : STA $4303
    LDA.b #Table>>16 : STA $4304
    LDA #$04
    STA $4305
    STZ $4306
    LDA #$01
    STA $420B
    RTL
Table:
    db $DE, $AD, $BE, $EF
"""
    run = run_routine(assemble(src, org=0x008000), "Copy")
    assert run.reason == "returned"
    assert {a: run.writes[a] for a in range(0x7E3000, 0x7E3004)} == dict(
        zip(range(0x7E3000, 0x7E3004), [0xDE, 0xAD, 0xBE, 0xEF], strict=True)
    )
    assert any(m.op == "dma" and m.address == 0x2180 for m in run.mmio)


def test_hirom_program_runs_with_its_own_mapper() -> None:
    src = "hirom\norg $C18000\nHi:\n    LDA.l Data\n    STA $7E0000\n    RTL\nData:\n    db $5A\n"
    res = assemble(src, org=None, mapper="hirom")
    assert res.ok, res.diagnostics
    run = run_routine(res, "Hi")
    assert run.reason == "returned" and run.writes == {0x7E0000: 0x5A}


def test_a_return_counts_only_with_the_callers_stack_pointer() -> None:
    """RTL where RTS is due pulls a third byte as the bank: even when that byte happens to be the
    routine's bank (so control lands on the trampoline), S is one byte off and the run is a
    bad return. The same for RTS where RTL is due and a push left on the stack."""
    rtl = assemble("Sub:\n    INX\n    RTL\n", org=0x008000)
    lucky = MachineState(x=4, memory={0x7E0200: 0x00})  # the byte above the frame is bank $00
    run = run_routine(rtl, "Sub", lucky, convention="jsr", max_instructions=500)
    assert run.reason == "bad_return" and run.stack_delta == 1
    assert run.final.pc == 0x1FF3  # it did come back to the trampoline, one byte too high
    rts = assemble("Sub:\n    INX\n    RTS\n", org=0x008000)
    assert run_routine(rts, "Sub", lucky, convention="jsr").stack_delta == 0
    assert run_routine(rts, "Sub", lucky, convention="jsl", max_instructions=500).reason == "bad_return"
    push = assemble("Sub:\n    PHA\n    RTL\n", org=0x008000)
    assert (
        run_routine(push, "Sub", MachineState(), convention="jsl", max_instructions=500).reason != "returned"
    )
    # Pulling the caller's return address and pushing it back is balanced: a normal return.
    again = assemble("Sub:\n    PLA\n    PLY\n    PHY\n    PHA\n    RTS\n", org=0x008000)
    back = run_routine(again, "Sub", MachineState(p=0x30), convention="jsr")
    assert back.reason == "returned" and back.stack_delta == 0 and back.to_json()["stack_delta"] == 0


def test_the_bytes_above_the_callers_frame_are_guards() -> None:
    """Unless the state presets them, the bytes an extra pull would read name no bank the
    routine or the trampoline runs from, so a wrong return cannot land on the trampoline."""
    peek = assemble("Peek:\n    LDA $0200\n    LDX $0201\n    LDY $0202\n    RTL\n", org=0x008000)
    run = run_routine(peek, "Peek", MachineState(db=0), convention="jsl")
    guards = {run.final.a, run.final.x, run.final.y}
    assert len(guards) == 3 and not guards & {0x00, 0x80, 0x7F, 0xFF}
    preset = run_routine(peek, "Peek", MachineState(db=0, memory={0x7E0201: 0x42}), convention="jsl")
    assert preset.final.x == 0x42
    for bank in (0x00, 0x01, 0x80):
        rtl = assemble("Sub:\n    RTL\n", org=(bank << 16) | 0x8000)
        assert run_routine(rtl, "Sub", convention="jsr", max_instructions=500).reason == "bad_return"
