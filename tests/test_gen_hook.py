"""JSL hooks: instruction boundaries, displaced instructions, original plus new behaviour."""

from __future__ import annotations

from gen_helpers import recheck, routine, run_text
from triforce.generate.candidate import catalog
from triforce.generate.hook import expected_byte
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
    behaviour = next(b for b in catalog("hooks.yaml")["behaviours"] if b["id"] == s["meta"]["behaviour"])
    addr = int(behaviour["address"])
    for st in ex["states"][::4]:
        run = run_text(ex["code"], ex["entry"], ex["convention"], st["initial"])
        memory = from_byte_runs(st["initial"]["memory"])
        before = memory.get(addr, 0)
        assert run.writes.get(addr, before) == expected_byte(behaviour, before, memory)
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


def test_hook_body_goes_to_free_space_not_over_the_next_routine() -> None:
    """Issue 11 item 6: the hook routine must not be placed right after the hooked code (in a
    real ROM the next routine is there): `freecode`, and every byte of the original assembly
    outside the JSL site is unchanged by the patch."""
    from triforce.generate.audit import hook_outside_free_space
    from triforce.snes.asar import assemble

    unit = process_routines([(routine("Test_Heal"), ["hook"])], WorkOptions(seed=0))[0]
    (s,) = unit["samples"]
    code = s["meta"]["exec"]["code"]
    assert "freecode" in code and "autoclean JSL" in code
    assert not hook_outside_free_space(s)
    plain_src = routine("Test_Heal").standalone(org=0x008000) + "\nNext_Routine:\n    LDA #$01\n    RTL\n"
    patch = code[code.index("pushpc") :]
    plain = assemble(plain_src, org=0x008000, stubs=True)
    hooked = assemble(plain_src + "\n" + patch, org=0x008000, stubs=True)
    assert plain.ok and hooked.ok, hooked.diagnostics
    entry = plain.symbols["Test_Heal"]
    site = range(entry, entry + s["verification"]["details"]["displaced_bytes"])
    for chunk in plain.chunks:
        for k, byte in enumerate(chunk.data):
            if chunk.address + k not in site:
                got = hooked.rom[chunk.offset + k]
                assert got == byte, f"${chunk.address + k:06X} overwritten"
    hook_at = hooked.symbols["Test_Heal_Hook"]
    assert not any(c.address <= (hook_at & 0x7FFFFF) < c.address + len(c.data) for c in plain.chunks)


def test_each_behaviour_has_its_own_explanation() -> None:
    behaviours = catalog("hooks.yaml")["behaviours"]
    assert len(behaviours) >= 6
    explains = [" ".join(b["explain"].split()) for b in behaviours]
    assert len(set(explains)) == len(explains)
    kinds = {b["id"] for b in behaviours}
    assert {"give-master-sword", "story-flag", "gated-bomb", "double-damage"} <= kinds
