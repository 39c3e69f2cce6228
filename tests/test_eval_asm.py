"""ASM grading by execution: references pass, mutants fail, hostile answers are contained.

Needs the 65816 machine (`triforce.snes.machine`); skipped only while that package is absent.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

pytest.importorskip("triforce.snes.machine")

from triforce.evaluate.graders import GradeContext, grade
from triforce.evaluate.runner import run_suite
from triforce.evaluate.sensitivity import EQUIVALENT, measure, mutants_of
from triforce.evaluate.suite import load_suite, load_suites
from triforce.models import ReferenceBackend

SPEC = {
    "kind": "asm-exec",
    "entry": "AddTen",
    "convention": "jsl",
    "max_instructions": 2000,
    "states": [
        {"name": "plain", "initial": {"a": "$0005", "p": "$00"}, "expect": {"a": "$000F", "flags": {"m": 0}}},
        {
            "name": "stale carry",
            "initial": {"a": "$FFFF", "p": "$01"},
            "expect": {"a": "$0009", "flags": {"m": 0}},
        },
    ],
}
GOOD = "AddTen:\n    CLC\n    ADC #$000A\n    RTL\n"


def _grade(code: str, fence: str = "asm", spec: dict[str, object] | None = None) -> object:
    return grade(spec or SPEC, f"```{fence}\n{code}```", GradeContext(asm_timeout_s=2.0))


@pytest.mark.slow
def test_reference_backend_scores_100_percent(tmp_path: Path) -> None:
    suite = load_suites(["asm", "cross", "latency"])
    result = asyncio.run(run_suite(suite, ReferenceBackend(), tmp_path / "ref", concurrency=2))
    failures = [(r["item_id"], r["verdict"]["reason"]) for r in result.records if not r["verdict"]["passed"]]
    assert failures == []
    assert result.summary["categories"]["asm"]["pass@1"] == 1.0
    assert result.summary["categories"]["asm"]["items"] >= 120
    states = sum(len(i.grading["states"]) for i in suite.items if i.category == "asm")
    assert states >= 550


@pytest.mark.slow
def test_every_item_rejects_wrong_answers() -> None:
    """Mutants of every reference (3 per item, spread over mistake kinds) are rejected >= 99%."""
    report = measure(load_suite("asm").items, per_item=3)
    assert report.items >= 120 and report.items_without_kill == []
    assert report.sensitivity >= 0.99, [(m.item_id, m.description) for m in report.survivors]


def test_every_jsr_item_rejects_rtl_and_call_and_stack_mistakes() -> None:
    """The bundled suite's JSR items reject an RTS -> RTL version of their reference at the
    reference's own address (bank $00, where the byte above the frame used to be the bank), and
    every RTS<->RTL, JSR<->JSL and stack-imbalance mutant of the whole suite is rejected."""
    items = load_suite("asm").items
    jsr = [i for i in items if i.grading["convention"] == "jsr"]
    assert len(jsr) >= 6
    for item in jsr:
        verdict = grade(item.grading, f"```asm\n{item.reference.replace('RTS', 'RTL')}```", GradeContext())
        assert verdict.code == "bad-stop", (item.id, verdict.reason)
    report = measure(items, operators=frozenset({"swap-return", "swap-call", "stack-imbalance"}))
    counts = report.to_json()["by_operator"]
    assert set(counts) == {"swap-return", "swap-call", "stack-imbalance"}
    assert counts["stack-imbalance"]["total"] >= 2 * len(items)
    assert report.survivors == [] and report.equivalent == 0


def test_a_lucky_return_byte_still_fails_with_the_stack_off() -> None:
    spec = {**SPEC, "entry": "AddTen", "convention": "jsr"}
    spec["states"] = [
        {**st, "initial": {**st["initial"], "memory": {"$7E0200": "$00"}}}  # type: ignore[dict-item]
        for st in SPEC["states"]  # type: ignore[attr-defined]
    ]
    verdict = _grade(GOOD, spec=spec)
    assert verdict.code == "bad-stop" and "S off by +1" in verdict.reason  # type: ignore[attr-defined]
    assert _grade(GOOD.replace("RTL", "RTS"), spec=spec).passed  # type: ignore[attr-defined]


def test_one_address_rule_in_every_field_of_an_item() -> None:
    """initial.memory, expect.mem, writable and org read an address the same way; a bare number
    is refused in each, never read as decimal in one field and hex in another."""
    from triforce.evaluate.graders.asm import AsmSpec

    def spec(key: str, writable: str = "$7E2000", org: str = "$008000") -> dict[str, object]:
        return {
            "kind": "asm-exec",
            "entry": "Put",
            "convention": "jsl",
            "org": org,
            "writable": [writable],
            "states": [{"name": "s", "initial": {"memory": {key: "$05"}}, "expect": {"mem": {key: "$05"}}}],
        }

    ok = AsmSpec.model_validate(spec("$7E1000"))
    assert ok.states[0].initial.memory == {0x7E1000: 5}
    assert AsmSpec.model_validate(spec("0x7E1000")).states[0].initial.memory == {0x7E1000: 5}
    for bad in (
        spec("1000"),
        spec("7EF360"),
        spec("$7E1000", writable="1000-1FFF"),
        spec("$7E1000", org="8000"),
    ):
        with pytest.raises(ValueError, match="has no base"):
            AsmSpec.model_validate(bad)


def test_equivalent_mutants_exist_and_are_explained() -> None:
    by_id = {i.id: i for i in load_suite("asm").items}
    for (item_id, change, line), why in EQUIVALENT.items():
        assert why
        if item_id.startswith("cpp."):
            continue  # the C++ grader's own mutants: tests/test_cpp_grader.py checks those
        assert any(
            m.description == change and m.line == line for m in mutants_of(item_id, by_id[item_id].reference)
        ), (item_id, change)


def test_verdicts_say_why() -> None:
    assert _grade(GOOD).passed  # type: ignore[attr-defined]
    assert _grade(GOOD, fence="65816").passed  # type: ignore[attr-defined]
    no_clc = _grade(GOOD.replace("    CLC\n", ""))
    assert (
        no_clc.code == "wrong-register"
        and "state 2 'stale carry': wrong register A: expected $0009, got $000A" in no_clc.reason
    )  # type: ignore[attr-defined]
    assert no_clc.score == 0.5  # type: ignore[attr-defined]
    rts = _grade(GOOD.replace("RTL", "RTS"))
    assert rts.code == "bad-stop" and "RTS vs RTL" in rts.reason  # type: ignore[attr-defined]
    width = _grade("AddTen:\n    SEP #$20\n    CLC\n    ADC #$0A\n    RTL\n")
    assert not width.passed  # type: ignore[attr-defined]
    bad = _grade("AddTen:\n    STZ $7EF340\n    RTL\n")
    assert bad.code == "assemble-error" and "did not assemble: line 2" in bad.reason  # type: ignore[attr-defined]
    missing = grade(SPEC, "```asm\nAddEleven:\n RTL\n```")
    assert missing.code == "entry-missing"
    scribble = _grade(
        "AddTen:\n    STA $10\n    CLC\n    ADC #$000A\n    RTL\n"
    )  # $7E0010 is the game module
    assert (
        scribble.code == "wrong-memory" and "changed memory outside its contract: $7E0010" in scribble.reason
    )  # type: ignore[attr-defined]
    calls = _grade("AddTen:\n    JSL Sprite_Unknown\n    CLC\n    ADC #$000A\n    RTL\n")
    assert calls.passed  # type: ignore[attr-defined]  # an external routine becomes a stub (RTL), not an error


def test_memory_and_flag_expectations() -> None:
    spec = {
        "kind": "asm-exec",
        "entry": "Put",
        "convention": "jsr",
        "max_instructions": 100,
        "states": [
            {
                "name": "s",
                "initial": {"a": "$0012", "p": "$30", "db": "$7E", "memory": {"$7EF36F": "$05"}},
                "expect": {"mem": {"$7EF36F": "$12"}, "flags": {"c": 1}},
            }
        ],
    }
    assert _grade("Put:\n    STA.l $7EF36F\n    SEC\n    RTS\n", spec=spec).passed  # type: ignore[attr-defined]
    mem = _grade("Put:\n    STA.l $7EF370\n    SEC\n    RTS\n", spec=spec)
    assert mem.code == "wrong-memory" and "$7EF36F: expected $12, got $05" in mem.reason  # type: ignore[attr-defined]
    flag = _grade("Put:\n    STA.l $7EF36F\n    CLC\n    RTS\n", spec=spec)
    assert flag.code == "wrong-flag" and "flag C: expected 1, got 0" in flag.reason  # type: ignore[attr-defined]
    # An 8-bit store through DB=$7E and a direct-page mirror write land on the same byte.
    assert _grade("Put:\n    STA $F36F\n    SEC\n    RTS\n", spec=spec).passed  # type: ignore[attr-defined]


HOSTILE = {
    "incbin": 'AddTen:\n    RTL\nincbin "/etc/passwd"\n',
    "incsrc": 'incsrc "/etc/passwd"\nAddTen:\n    RTL\n',
    "readfile": 'AddTen:\n    LDA #readfile1("/etc/passwd", 0)\n    RTL\n',
    "infinite loop": "AddTen:\n-\n    BRA -\n",
    "stack bomb": "AddTen:\n-\n    PHA\n    BRA -\n",
    "memory bomb": "AddTen:\n    RTL\nfill $7FFFFFFF\n",
    "endless while": "!i = 0\nwhile 1 == 1\n!i #= !i+1\nendwhile\nAddTen:\n    RTL\n",
    "macro bomb": "macro boom(n)\n    %boom(<n>)\n    %boom(<n>)\nendmacro\nAddTen:\n    %boom(1)\n    RTL\n",
}


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_answers_are_contained(name: str) -> None:
    verdict = _grade(HOSTILE[name])
    assert not verdict.passed  # type: ignore[attr-defined]
    assert "root:" not in json.dumps(verdict.model_dump())  # type: ignore[attr-defined]
    assert verdict.code in {"assemble-error", "instruction-limit", "bad-stop"}, verdict.reason  # type: ignore[attr-defined]


def test_batch_assembler_shares_asar_runs_between_threads() -> None:
    from concurrent.futures import ThreadPoolExecutor

    from triforce.evaluate.batching import BatchAssembler

    batcher = BatchAssembler(window_s=0.05)
    sources = [f"AddTen:\n    CLC\n    ADC #${i:04X}\n    RTL\n" for i in range(12)] + [
        "AddTen:\n    STZ $7EF340\n    RTL\n"
    ]
    try:
        with ThreadPoolExecutor(max_workers=13) as pool:
            results = list(pool.map(lambda src: batcher(src, 0x008000), sources))
    finally:
        batcher.close()
    assert [r.ok for r in results] == [True] * 12 + [False]  # the broken answer is isolated
    assert batcher.snippets == 13 and batcher.batches < 13
    shared = BatchAssembler()
    try:
        verdicts = [grade(SPEC, f"```asm\n{src}```", GradeContext(assembler=shared)) for src in sources[9:11]]
    finally:
        shared.close()
    assert [v.passed for v in verdicts] == [False, True]  # ADC #$0009 wrong, ADC #$000A right
