"""`triforce dataset verify`: every recorded fact re-checked from the sample alone, and tampering caught."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from gen_helpers import ALL, gen_corpus
from triforce.generate.synth import WorkOptions, process_routines
from triforce.generate.verify import check_sample, verify_samples


@pytest.fixture(scope="module")
def samples() -> list[dict[str, Any]]:
    units = process_routines([(r, ALL) for r in gen_corpus().routines], WorkOptions(seed=0))
    return [dict(s) for u in units for s in u["samples"]]


def test_every_sample_of_a_build_verifies(samples: list[dict[str, Any]]) -> None:
    report = verify_samples([*samples, {"id": "lore", "meta": {}}])
    assert report.checked == len(samples) and report.passed == len(samples), report.failed
    assert report.skipped == {"no execution record": 1}
    assert set(report.per_generator) == set(ALL)


def _one(samples: list[dict[str, Any]], **where: str) -> dict[str, Any]:
    return copy.deepcopy(next(s for s in samples if all(s["meta"].get(k) == v for k, v in where.items())))


def test_a_changed_result_a_changed_answer_or_a_moved_entry_is_caught(samples: list[dict[str, Any]]) -> None:
    s = _one(samples, generator="base")
    s["meta"]["exec"]["states"][3]["final"]["a"] ^= 1
    (problem,), _ = check_sample(s)
    assert problem.startswith("state ") and "A=" in problem

    s = _one(samples, generator="optimize")
    s["meta"]["exec"]["states"][0]["final"]["writes"] = {"$7E1234": "01"}
    assert "memory written differs" in check_sample(s)[0][0]

    s = _one(samples, generator="doc")
    s["meta"]["exec"]["code"] = s["meta"]["exec"]["code"].replace("RTL", "RTS", 1)
    assert check_sample(s)[0]

    s = _one(samples, generator="hook")
    s["meta"]["exec"]["code"] += "\n    LDA #$ZZ\n"
    assert check_sample(s)[0][0] == "the patch in the assistant message differs from the recorded patch"
    _edit_answer(s, lambda code: code.rstrip("\n") + "\n\n    LDA #$ZZ\n")  # both agree: asar decides
    assert check_sample(s)[0][0].startswith("asar rejects the code")


def _edit_answer(sample: dict[str, Any], edit: Any) -> None:
    """Apply `edit` to the code block of the assistant message (what the model trains on)."""
    msg = sample["messages"][-1]
    head, rest = msg["content"].split("```asm\n", 1)
    code, tail = rest.split("```", 1)
    msg["content"] = f"{head}```asm\n{edit(code).rstrip(chr(10))}\n```{tail}"


@pytest.mark.parametrize(
    ("generator", "old", "new"),
    [
        ("base", "DEX", "INX"),
        ("base", "RTS", "RTL"),
        ("debug", "RTL", "RTS"),
        ("optimize", "CLC", "SEC"),
        ("base", "\n", "\n    this line is garbage\n"),
        ("hook", "JSL", "JML"),
    ],
)
def test_an_edited_assistant_message_fails_verify(
    samples: list[dict[str, Any]], generator: str, old: str, new: str
) -> None:
    """The training text is what is proven: editing the assistant message alone is caught."""
    s = next(
        copy.deepcopy(x)
        for x in samples
        if x["meta"]["generator"] == generator and old in x["messages"][-1]["content"].split("```asm")[-1]
    )
    _edit_answer(s, lambda code: code.replace(old, new, 1))
    problems, _ = check_sample(s)
    assert problems and ("assistant message" in problems[0] or "differs from the recorded" in problems[0])
    report = verify_samples([s])
    assert report.passed == 0 and report.failed


def test_prompts_and_claims_must_match_the_record(samples: list[dict[str, Any]]) -> None:
    debug = _one(samples, generator="debug")
    debug["messages"][1]["content"] = debug["messages"][1]["content"].replace(
        "```asm\n", "```asm\n    NOP\n", 1
    )
    assert check_sample(debug)[0] == ["the code in the user message is not the recorded buggy version"]
    base = _one(samples, generator="base")
    base["messages"][-1]["content"] = re.sub(
        r"\((\d+)-", lambda m: f"({int(m.group(1)) - 1}-", base["messages"][-1]["content"]
    )
    assert check_sample(base)[0] == ["the assistant message's state count or cycle range is not the record's"]
    doc = _one(samples, generator="doc")
    doc["messages"][-1]["content"] = doc["messages"][-1]["content"].replace(
        "- Memory written:", "- Memory written: $7E0000,"
    )
    assert "does not state the recorded fact" in check_sample(doc)[0][0]
    doc = _one(samples, generator="doc")
    doc["messages"][1]["content"] = doc["messages"][1]["content"].replace("RTL", "RTS")
    assert check_sample(doc)[0] == ["the routine in the user message is not the recorded routine"]
    doc = _one(samples, generator="doc")
    doc["meta"]["facts"]["registers_changed"] = []
    assert check_sample(doc)[0][0].startswith("doc facts differ from a re-run")
    opt = _one(samples, generator="optimize")
    opt["messages"][-1]["content"] = re.sub(r"\((\d+) ->", "(999 ->", opt["messages"][-1]["content"])
    assert "sizes are not the assembled" in check_sample(opt)[0][0]


def _set_buggy(sample: dict[str, Any], code: str) -> None:
    """Another buggy version, in the record and in the prompt that shows it."""
    sample["meta"]["buggy"] = code
    user = sample["messages"][1]
    head, rest = user["content"].split("```asm\n", 1)
    user["content"] = f"{head}```asm\n{code.rstrip(chr(10))}\n```{rest.split('```', 1)[1]}"


def test_debug_proofs_are_rechecked(samples: list[dict[str, Any]]) -> None:
    by_kind = {s["meta"]["proof"]["kind"]: s for s in samples if s["meta"]["generator"] == "debug"}
    assert set(by_kind) == {"asar", "exec"}
    asar = copy.deepcopy(by_kind["asar"])
    _set_buggy(asar, asar["meta"]["exec"]["code"])  # the "buggy" code is the correct one
    assert check_sample(asar)[0] == ["proof: asar accepts the buggy code the sample says it rejects"]
    ex = copy.deepcopy(by_kind["exec"])
    _set_buggy(ex, ex["meta"]["exec"]["code"])
    assert check_sample(ex)[0][0].startswith("proof: the buggy code does not do what the sample shows")


def test_a_run_in_a_batch_never_sees_a_neighbours_bytes() -> None:
    """Snippets share one image in a batch: a routine reading or jumping past its own bytes would
    meet the next snippet's code, which the sample's own image does not hold."""
    from triforce.generate.execution import SHARED, Assembler, run_states
    from triforce.generate.states import StateSpec

    reader = "Main:\n    LDA.l $009000\n    RTL\n"  # one slot ($1000 bytes) further on
    jumper = "Main:\n    JML $009000\n"  # runs whatever is there
    neighbour = "Main:\n    LDA #$5A\n    RTL\n"  # its first byte, $A9, sits at $009000
    results = Assembler().assemble_many([reader, neighbour, jumper])
    # each is assembled as it is alone at $008000 (asar's `base`), whatever slot holds its bytes
    assert [r.chunks[0].address for r in results] == [0x008000, 0x008000, 0x008000]
    (read,) = run_states(results[0], 0x008000, "jsl", [StateSpec("s")])
    (ran,) = run_states(results[1], 0x008000, "jsl", [StateSpec("s")])
    (jumped,) = run_states(results[2], 0x008000, "jsl", [StateSpec("s")])
    SHARED.clear()
    assert read.returned and read.regs["a"] & 0xFF == 0x00  # what the image alone holds there, not $A9
    assert ran.returned and ran.regs["a"] & 0xFF == 0x5A
    assert jumped.reason == "BRK"  # zero bytes alone; in the shared image it would have returned $5A


def test_generator_runs_and_verify_use_the_return_rule(samples: list[dict[str, Any]]) -> None:
    """The build's executions reject an RTL where RTS is due even when the byte above the frame is
    the routine's bank; so does verify for a recorded routine whose code ends in the wrong return."""
    from triforce.generate.execution import Assembler, run_states
    from triforce.generate.states import StateSpec

    (image,) = Assembler(batch=False).assemble_many(["Sub:\n    INX\n    RTL\n"])
    lucky = StateSpec("lucky", memory={0x7E0200: 0x00})
    (out,) = run_states(image, 0x008000, "jsr", [lucky])
    assert out.reason == "BAD_RETURN"
    s = next(
        copy.deepcopy(x)
        for x in samples
        if x["meta"]["generator"] == "base" and x["meta"]["exec"]["convention"] == "jsr"
    )
    s["meta"]["exec"]["code"] = s["meta"]["exec"]["code"].replace("RTS", "RTL")
    _edit_answer(s, lambda code: code.replace("RTS", "RTL"))  # message and record agree: execution decides
    for st in s["meta"]["exec"]["states"]:
        st["initial"].setdefault("memory", {})["$7E0200"] = "00"
    assert any("stopped by BAD_RETURN" in p or "BAD_RETURN" in p for p in check_sample(s)[0])


def test_cli_verify_exit_code_and_json(samples: list[dict[str, Any]], tmp_path: Path) -> None:
    from triforce.cli import app

    good = tmp_path / "good.jsonl"
    good.write_text("".join(json.dumps(s) + "\n" for s in samples[:6]))
    res = CliRunner().invoke(app, ["dataset", "verify", str(good), "--json", "-j", "1"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["passed"] == 6
    bad = copy.deepcopy(samples[0])
    bad["meta"]["exec"]["states"][0]["final"]["x"] ^= 1
    broken = tmp_path / "bad.jsonl"
    broken.write_text(json.dumps(bad) + "\n")
    res = CliRunner().invoke(app, ["dataset", "verify", str(broken), "-j", "1"])
    assert res.exit_code == 1 and "FAILED" in res.output


def test_cli_verify_says_what_to_verify_instead_of_training_rows(tmp_path: Path) -> None:
    from triforce.cli import app

    rows = tmp_path / "train.jsonl"
    rows.write_text(
        json.dumps({"messages": [{"role": "user", "content": "hi"}], "id": "x", "task": "t"}) + "\n"
    )
    res = CliRunner().invoke(app, ["dataset", "verify", str(rows)])
    assert res.exit_code != 0 and "training rows" in str(res.exception)
