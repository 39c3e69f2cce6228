"""JSL hooks: instruction boundaries, displaced instructions, original plus new behaviour."""

from __future__ import annotations

from gen_helpers import recheck, routine, run_text
from triforce.generate.states import from_byte_runs
from triforce.generate.synth import WorkOptions, process_routines


def test_hook_splitting_an_instruction() -> None:
    unit = process_routines([(routine("Test_Heal"), ["hook"])], WorkOptions(seed=0))[0]
    (s,) = unit["samples"]
    details = s["verification"]["details"]
    # SEP #$20 (2 bytes) + LDA $7EF36D (4 bytes): the JSL ends inside the LDA, which moves whole.
    assert details["split"] and details["displaced_bytes"] == 6 and details["nops"] == 2
    answer = s["messages"][2]["content"]
    assert answer.count("    NOP") == 2 and "LDA $7EF36D" in answer
    assert recheck(s) == s["verification"]["states_tested"]
    # Independently: the hooked image still heals, and the behaviour byte changed as promised.
    ex = s["meta"]["exec"]
    original = routine("Test_Heal").standalone(org=0x008000)
    addr = {"call-counter": "$7FF000", "ran-flag": "$7FF001", "frame-stamp": "$7FF002"}[
        s["meta"]["behaviour"]
    ]
    for st in ex["states"][::4]:
        run = run_text(ex["code"], ex["entry"], ex["convention"], st["initial"])
        memory = from_byte_runs(st["initial"]["memory"])
        before = memory.get(int(addr[1:], 16), 0)
        after = run.writes[int(addr[1:], 16)]
        want = {
            "call-counter": (before + 1) & 0xFF,
            "ran-flag": before | 1,
            "frame-stamp": memory.get(0x7E001A, 0),
        }[s["meta"]["behaviour"]]
        assert after == want
        plain = run_text(original, ex["entry"], ex["convention"], st["initial"])
        assert run.writes[0x7EF36D] == plain.writes[0x7EF36D]  # still heals (in binary or BCD)
        assert run.final == plain.final.model_copy(update={"memory": run.final.memory})


def test_unhookable_routines_are_rejected_with_a_reason() -> None:
    unit = process_routines(
        [(routine("Test_Spin"), ["hook"]), (routine("Test_Tail"), ["hook"])], WorkOptions()
    )
    reasons = [r for u in unit for r in u["rejects"]]
    assert [r["reason"] for r in reasons] == ["unhookable", "unhookable"]
    assert "inside the first 4 bytes" in reasons[0]["detail"]
    assert "JSR" in reasons[1]["detail"]
