"""Every generator on real routines (bundled and test corpus), each sample re-verified independently."""

from __future__ import annotations

import re
from typing import Any

import pytest

from gen_helpers import ALL, gen_corpus, recheck, run_text
from triforce.generate.states import from_byte_runs
from triforce.generate.synth import WorkOptions, process_routines
from triforce.sample import Sample
from triforce.snes.asar import assemble


@pytest.fixture(scope="module")
def bundled_units() -> list[dict[str, Any]]:
    from triforce.corpus import bundled_corpus

    routines = bundled_corpus().routines
    # A spread over the bundled files (every 8th routine) keeps the test short; optimize finds
    # fewer sites, so it looks at every routine.
    chosen = routines[::10]
    units = process_routines([(r, ALL) for r in chosen], WorkOptions(seed=3))
    with_sites = [r for r in routines if r not in chosen and _has_rewrite_site(r)][:6]
    return units + process_routines([(r, ["optimize"]) for r in with_sites], WorkOptions(seed=3))


def _has_rewrite_site(r: Any) -> bool:
    from triforce.generate.context import make_subject
    from triforce.generate.optimize import rewrites, variants

    subj = make_subject(r)
    if not hasattr(subj, "body"):
        return False
    return any(variants(subj.body, rw, r.entry_width.m, r.entry_width.x, r.name) for rw in rewrites())


@pytest.fixture(scope="module")
def test_units() -> list[dict[str, Any]]:
    return process_routines([(r, ALL) for r in gen_corpus().routines], WorkOptions(seed=0))


def _samples(units: list[dict[str, Any]], gen: str | None = None) -> list[dict[str, Any]]:
    return [s for u in units for s in u["samples"] if gen is None or s["meta"]["generator"] == gen]


def _code_blocks(text: str) -> list[str]:
    return re.findall(r"```asm\n(.*?)```", text, flags=re.S)


@pytest.mark.slow
@pytest.mark.parametrize("gen", ALL)
def test_each_generator_produces_rechecked_samples(bundled_units: list[dict[str, Any]], gen: str) -> None:
    samples = _samples(bundled_units, gen)
    assert samples, f"{gen}: no samples from the bundled routines"
    for s in samples:
        Sample.model_validate(s)  # the shared schema
        assert s["domain"] == "din" and s["task"] == f"asm.{gen}" and s["source"] == f"alttp-asm-{gen}"
        assert [m["role"] for m in s["messages"]] == ["system", "user", "assistant"]
        v = s["verification"]
        assert v["assembled"] and v["executed"] and v["passed"]
        assert recheck(s, max_states=4) == v["states_tested"] > 0


def test_answers_assemble_as_shipped(test_units: list[dict[str, Any]]) -> None:
    for s in _samples(test_units):
        answer = s["messages"][2]["content"]
        blocks = _code_blocks(answer)
        if s["task"] == "asm.doc":
            assert not blocks
            continue
        code = s["meta"]["exec"]["code"]
        if s["task"] == "asm.hook":
            assert blocks[-1].strip() in code  # the patch is the tail of the verified text
        else:
            assert blocks[-1].strip() == code.strip()
        assert assemble(code, org=0x008000, stubs=True).ok


def test_gen_corpus_samples_recheck(test_units: list[dict[str, Any]]) -> None:
    samples = _samples(test_units)
    assert len(samples) > 30
    for s in samples:
        recheck(s)


def test_debug_symptoms_are_reproducible(test_units: list[dict[str, Any]]) -> None:
    for s in _samples(test_units, "debug"):
        proof = s["meta"]["proof"]
        buggy = s["meta"]["buggy"]
        if proof["kind"] == "asar":
            res = assemble(buggy, org=0x008000, stubs=True)
            assert not res.ok
            assert res.errors[0].message in proof["diagnostic"]
            assert proof["diagnostic"] in s["messages"][1]["content"]
        else:
            ex = s["meta"]["exec"]
            run = run_text(buggy, ex["entry"], ex["convention"], proof["state"])
            exp = proof["expected"]
            got = {k: getattr(run.final, k) for k in ("a", "x", "y", "s", "d", "db", "p")}
            assert run.reason != "returned" or any(got[k] != exp[k] for k in got) or run.writes, proof
            if run.reason == "returned" and all(got[k] == exp[k] for k in got):
                # Registers agree: then memory must differ.
                assert dict(run.writes) != from_byte_runs(exp["writes"])


def test_doc_facts_come_from_execution(test_units: list[dict[str, Any]]) -> None:
    doc = next(s for s in _samples(test_units, "doc") if s["meta"]["routine"] == "Test_Heal")
    text = doc["messages"][2]["content"]
    assert "$7EF36D" in text  # read and written: from the bus watch
    assert "Memory written: $7EF36D" in text
    facts = doc["meta"]["facts"]
    assert facts["writes"] == [0x7EF36D] and 0x7EF36D in facts["reads"]
    assert "a" in facts["registers_changed"] and "x" in facts["registers_preserved"]
    lo, hi, _ = facts["cycles"]
    assert 0 < lo <= hi


def test_base_task_quotes_an_executed_example(test_units: list[dict[str, Any]]) -> None:
    base = next(s for s in _samples(test_units, "base") if s["meta"]["routine"] == "Test_KeysAdd")
    user = base["messages"][1]["content"]
    assert "Example (executed)" in user and "called with JSL" in user
    assert "A 16-bit" in user  # from `;@entry m16 x16`


def test_samples_are_deterministic() -> None:
    from gen_helpers import routine

    r = routine("Test_RupeesTake")
    a = process_routines([(r, ALL)], WorkOptions(seed=5))
    b = process_routines([(r, ALL)], WorkOptions(seed=5))
    assert [s["id"] for s in a[0]["samples"]] == [s["id"] for s in b[0]["samples"]]
    assert a[0]["samples"] == b[0]["samples"]
