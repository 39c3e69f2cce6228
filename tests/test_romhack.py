"""The cross-domain spec and its prover: suite references pass, another correct implementation
passes too, typical wrong answers fail with evidence that says why, and the room codec."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from triforce.evaluate.graders import grade
from triforce.evaluate.sensitivity import measure
from triforce.evaluate.suite import load_suite
from triforce.romhack import CrossSpec, prove, scenarios
from triforce.romhack.room import decode_list, decode_torches, tag_needs
from triforce.romhack.templates import PLAN_CASES, build

SUITE = [i for i in load_suite("cross").items if i.grading["kind"] == "romhack"]
BY_ID = {i.id: i for i in SUITE}
_HOOKED = BY_ID["cross.fairy_fountain.00"].grading["spec"]["hook"]["host"].splitlines()[:2]


def test_suite_holds_the_plan_cases_and_sixty_more_and_references_pass() -> None:
    kinds = {i.id.split(".")[1] for i in SUITE}
    assert set(PLAN_CASES) <= kinds
    assert {"fetch", "talk", "trigger", "puzzle", "escort", "shop"} <= kinds
    assert len(SUITE) - len(PLAN_CASES) >= 60
    for item in SUITE:
        verdict = grade(item.grading, item.reference)
        assert verdict.passed, (item.id, verdict.reason)


def test_sensitivity_on_mutated_wrong_answers() -> None:
    items = [i for i in SUITE if i.id.endswith((".00", ".01"))]
    report = measure(items, per_item=12)
    assert report.items == len(items) and report.mutants >= 12 * len(items) - 10
    assert report.sensitivity >= 0.99, [(m.item_id, m.operator) for m in report.survivors]
    assert not report.items_without_kill


def _fairy() -> tuple[dict[str, object], CrossSpec]:
    item = BY_ID["cross.fairy_fountain.00"]
    return item.grading, CrossSpec.model_validate(item.grading["spec"])


def _quest_and_messages(item_id: str) -> str:
    ref = BY_ID[item_id].reference
    start = ref.index("```json")
    return ref[start : ref.index("```", start + 7) + 3]


def test_another_correct_implementation_passes() -> None:
    """Hooked instructions replayed first, P and A saved, checks in another order, absolute
    addresses instead of labels: a different routine the spec allows."""
    grading, spec = _fairy()
    done, wall = spec.done, spec.trigger[0]
    hooked = "\n".join(spec.hook.host.splitlines()[:2])
    both = done.mask | wall.mask
    patch = f"""
org ${spec.hook.address:06X}
    JSL {spec.hook.routine}
    NOP
org ${spec.free_space.start + 0x40:06X}
{spec.hook.routine}:
{hooked}
    PHP
    PHA
    PHY
    LDA.l $7E008A
    CMP #$35
    BNE .out
    REP #$20
    LDA.l $7E0020
    CMP #$0C40
    SEP #$20
    BCS .out
    LDA.l ${done.address:06X}
    AND #${both:02X}
    CMP #${wall.mask:02X}
    BNE .out
    LDA.l ${done.address:06X}
    ORA #${done.mask:02X}
    STA.l ${done.address:06X}
    LDA #$50
    LDY #$01
    JSL $05E219
    LDY #$3D
    JSL $0799AD
    LDA.l $7EF343
    CMP #$1E
    BCS .out
    ADC #$0A
    CMP #$1F
    BCC .keep
    LDA #$1E
.keep
    STA.l $7EF343
.out
    PLY
    PLA
    PLP
    RTL
"""
    answer = _quest_and_messages("cross.fairy_fountain.00") + f"\n\n```asm\n{patch}\n```\n"
    verdict = grade(grading, answer)
    assert verdict.passed, verdict.reason


def _patch(item_id: str) -> str:
    ref = BY_ID[item_id].reference
    start = ref.index("```asm") + 7
    return ref[start : ref.index("```", start)]


@pytest.mark.parametrize(
    ("change", "check", "words"),
    [
        (lambda p: p + "\norg $008000\n    db $42\n", "ROM diff", "outside the hook site and the free space"),
        (lambda p: p.replace("    JSL Link_ReceiveItem\n", ""), "state 1", "calls: expected"),
        (lambda p: p.replace("    RTL\n", "    RTS\n"), "state 1", "did not return"),
        (lambda p: p.replace(f"{_HOOKED[1]}\n    RTL", "    RTL"), "state", "register A"),
        (lambda p: p.replace("org $08C3A2", "org $08C3A3"), "ROM diff", "outside"),
    ],
)
def test_wrong_patches_fail_with_evidence(change, check, words) -> None:  # type: ignore[no-untyped-def]
    _, spec = _fairy()
    item = BY_ID["cross.fairy_fountain.00"]
    from triforce.romhack.answer import answer_parts

    _, messages, quest, _ = answer_parts(item.reference, spec.hook.routine)
    proof = prove(spec, change(_patch(item.id)), messages=messages, quest=quest)
    assert not proof.passed
    first = proof.failures[0]
    assert first.name.startswith(check) and words in first.message, (first.name, first.message)


def test_reward_when_already_done_is_named() -> None:
    _, spec = _fairy()
    item = BY_ID["cross.fairy_fountain.00"]
    patch = _patch(item.id).replace("    AND #$01\n    BNE .skip\n", "", 1)
    from triforce.romhack.answer import answer_parts

    _, messages, quest, _ = answer_parts(item.reference, spec.hook.routine)
    proof = prove(spec, patch, messages=messages, quest=quest)
    failed = {c.name: c.message for c in proof.failures}
    assert list(failed) == [f"state {len(scenarios(spec))} 'already done'"]
    assert "nothing may change here" in next(iter(failed.values()))


def test_messages_room_and_quest_are_checked() -> None:
    talk = BY_ID["cross.master_sword_hint.00"]
    long = talk.reference.replace("Three pendants... then", "Three pendants... then the sacred blade")
    verdict = grade(talk.grading, long)
    assert not verdict.passed and "168" in verdict.reason
    room = BY_ID["cross.switch_room.00"]
    verdict = grade(room.grading, room.reference.replace("db $17, $00", "db $18, $00"))
    assert not verdict.passed and "tag byte is 24" in verdict.reason
    no_doors = room.reference.replace("    db $F0, $FF          ; the door list\n", "")
    no_doors = "\n".join(line for line in no_doors.splitlines() if "; door (" not in line) + "\n"
    verdict = grade(room.grading, no_doors)
    assert not verdict.passed and "no doors after F0 FF" in verdict.reason
    verdict = grade(room.grading, room.reference.replace('"kind": "puzzle"', '"kind": "combat"'))
    assert not verdict.passed and "quest: required beats" in verdict.reason
    assert grade(room.grading, "no code here").code == "no-code"


def test_spec_refuses_contradictions() -> None:
    _, spec = _fairy()
    data = spec.model_dump()
    with pytest.raises(ValidationError, match="overlaps the free space"):
        CrossSpec.model_validate({**data, "free_space": {"start": data["hook"]["address"], "end": "$08FFFF"}})
    with pytest.raises(ValidationError, match="tests the done flag"):
        bad = {"what": "flag", "address": data["done"]["address"], "op": "set", "mask": data["done"]["mask"]}
        CrossSpec.model_validate({**data, "trigger": [bad]})
    with pytest.raises(ValidationError, match="needs address, add, cap"):
        CrossSpec.model_validate({**data, "rewards": [{"kind": "counter"}]})


def test_scenarios_cover_met_broken_and_done() -> None:
    _, spec = _fairy()
    states = scenarios(spec)
    # fairy fountain: a counter reward (bombs) adds "met, counter already over its cap"
    assert [s.due for s in states] == [True, True, True] + [False] * len(spec.trigger) + [False]
    assert states[2].name == "met, counter already over its cap"
    assert states[-1].name == "already done"


def test_room_object_codec() -> None:
    data = bytes([0x09, 0x09, 0x01, 0xFC, 0x12, 0x34, 0x79, 0x52, 0xF9, 0xF0, 0xFF, 0x40, 0x00, 0xFF, 0xFF])
    objects = decode_list(data)
    assert objects.ok and objects.length == len(data) and objects.doors == [0x0040]
    assert [(o.id, o.form) for o in objects.objects] == [(0x01, 1), (0x134, 2), (0xF99, 3)]
    assert (objects.objects[0].x, objects.objects[0].y, objects.objects[0].size) == (2, 2, 5)
    assert "no $FFFF end" in decode_list(data[:-2]).error
    assert decode_torches(bytes([0x12, 0x04, 0xFF, 0xFF])) == ([0x0412], "")
    assert tag_needs(51) == ["door", "torches"] and tag_needs(62) == ["torches", "chest"]


def test_templates_are_deterministic() -> None:
    a, b = build("escort", 3), build("escort", 3)
    assert a.patch == b.patch and a.spec == b.spec and a.brief == b.brief


def test_mutants_are_wrong_answers_not_broken_ones() -> None:
    """Every mutant keeps a readable patch and JSON, so it is rejected by a proof, not by parsing."""
    from triforce.evaluate.graders.romhack import mutants

    item = BY_ID["cross.master_sword_hint.00"]
    made = mutants(item.reference, item.spec())
    assert {op for op, _ in made} >= {
        "missing-call",
        "overflowing-message",
        "write-outside-ranges",
        "swap-return",
    }
    codes = {grade(item.grading, answer).code for _, answer in made}
    assert "no-code" not in codes and "parse-error" not in codes and "ok" not in codes
