"""Error-correction chains: every wrong turn really fails with the quoted diagnostic, the last passes."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from test_refine_loop import _GOOD, _MAGIC, _NO_CAP  # the refine loop's own magic-shrine prompt
from triforce.generate.build import generator_names
from triforce.generate.domain import Source, load_generator, registry
from triforce.refine import StepOptions, bundled_seeds, init_state, step
from triforce.refine.chains import ChainGenerator, changes, corpus_problems
from triforce.refine.loop import State


def _row(sample: Any) -> dict[str, Any]:
    return dict(json.loads(sample.model_dump_json()))


@pytest.fixture(scope="module")
def popcount() -> list[dict[str, Any]]:
    gen = ChainGenerator()
    unit = next(u for u in gen.units([], 0) if u.key == "corpus:Bits_Popcount8")
    res = gen.run(unit, 0)
    return [_row(s) for s in res.samples]


def test_registered_for_build_and_verify() -> None:
    assert registry()["chains"] == "triforce.refine.chains:ChainGenerator"
    assert "chains" in generator_names()  # `triforce build` with no -g runs every generator
    assert isinstance(load_generator("chains"), ChainGenerator)


def test_problems_come_from_the_bundled_corpus_and_seeds() -> None:
    gen = ChainGenerator()
    keys = [u.key for u in gen.units([], 0)]
    assert sum(k.startswith("corpus:") for k in keys) == len(corpus_problems()) >= 90
    assert any(k.startswith("seed:") for k in keys)
    assert any(k.startswith("text:") for k in keys)


def test_chains_of_every_asm_kind_verify(popcount: list[dict[str, Any]]) -> None:
    kinds = {tuple(s["meta"]["chain"]["kinds"]) for s in popcount}
    assert {("asar",), ("exec",), ("asar", "exec")} <= kinds
    origins = {o.split(":")[0] for s in popcount for o in s["meta"]["chain"]["from"]}
    assert {"chains", "mutant", "debug"} <= origins
    gen = ChainGenerator()
    for s in popcount:
        assert s["task"] == "cross.error_chain" and s["source"] == "error-correction-chains"
        assert gen.check(s) == [], s["meta"]["chain"]
    asar = next(s for s in popcount if s["meta"]["chain"]["kinds"] == ["asar"])
    assert "(Eunknown_command)" in asar["messages"][3]["content"] or "asar" in asar["messages"][3]["content"]
    exec_ = next(s for s in popcount if s["meta"]["chain"]["kinds"] == ["exec"])
    assert "state " in exec_["messages"][3]["content"]


def _tamper(sample: dict[str, Any], index: int, old: str, new: str) -> dict[str, Any]:
    out = json.loads(json.dumps(sample))
    assert old in out["messages"][index]["content"]
    out["messages"][index]["content"] = out["messages"][index]["content"].replace(old, new, 1)
    return out


def test_check_catches_a_wrong_diagnostic(popcount: list[dict[str, Any]]) -> None:
    gen = ChainGenerator()
    exec_ = next(s for s in popcount if s["meta"]["chain"]["kinds"] == ["exec"])
    bad = _tamper(exec_, 3, "state ", "state 9")
    assert any("quoted diagnostic" in p for p in gen.check(bad))
    asar = next(s for s in popcount if s["meta"]["chain"]["kinds"] == ["asar"])
    bad = _tamper(asar, 3, "line ", "line 1")
    assert any("quoted diagnostic" in p for p in gen.check(bad))


def test_check_catches_a_last_answer_that_fails(popcount: list[dict[str, Any]]) -> None:
    gen = ChainGenerator()
    s = next(s for s in popcount if s["meta"]["chain"]["kinds"] == ["exec"])
    wrong_code = s["messages"][2]["content"]
    bad = json.loads(json.dumps(s))
    last = bad["messages"][-1]["content"]
    bad["messages"][-1]["content"] = last[: last.index("```asm")] + wrong_code
    problems = gen.check(bad)
    assert any("last answer fails" in p for p in problems)


def test_check_catches_a_wrong_turn_that_passes(popcount: list[dict[str, Any]]) -> None:
    gen = ChainGenerator()
    s = next(s for s in popcount if s["meta"]["chain"]["kinds"] == ["exec"])
    bad = json.loads(json.dumps(s))
    last = bad["messages"][-1]["content"]
    bad["messages"][2]["content"] = last[last.index("```asm") :]
    assert any("passes, but the chain says it fails" in p for p in gen.check(bad))


def test_check_catches_wrong_line_claims(popcount: list[dict[str, Any]]) -> None:
    gen = ChainGenerator()
    s = next(s for s in popcount if s["meta"]["chain"]["kinds"] == ["exec"])
    bad = _tamper(s, 4, "- line ", "- line 1")
    assert any("stated line changes" in p for p in gen.check(bad))


def test_check_catches_a_diagnosis_quoting_code_that_is_not_there(popcount: list[dict[str, Any]]) -> None:
    gen = ChainGenerator()
    s = next(s for s in popcount if s["meta"]["chain"]["from"] == ["mutant:flip-branch"])
    quoted = s["messages"][4]["content"].split("`")[1]
    bad = _tamper(s, 4, f"`{quoted}`", "`BVS .nowhere`")
    assert any("line of neither code block" in p for p in gen.check(bad))


def test_changes_states_replacements_and_removals() -> None:
    assert changes("A\nB\nC\n", "A\nX\nC\n") == ["- line 2: `B` -> `X`"]
    assert changes("A\nB\nPHA\nC\n", "A\nB\nC\n") == ["- line 3: remove `PHA`"]
    assert changes("A\nC\n", "A\nB\nC\n") == ["- after line 1: add `B`"]


def test_text_chains_verify_and_catch_tampering() -> None:
    gen = ChainGenerator()
    res = gen.run(next(u for u in gen.units([], 0) if u.key == "text:000"), 0)
    rows = [_row(s) for s in res.samples]
    assert len(rows) >= 8
    for r in rows:
        assert r["meta"]["chain"]["kinds"] == ["text"]
        assert gen.check(r) == []
    r = rows[0]
    assert "overflow: line" in r["messages"][3]["content"]
    bad = _tamper(r, 3, "px", "px!")
    assert any("layout report" in p for p in gen.check(bad))
    # the "fixed" message is the broken one again: it does not fit
    bad = json.loads(json.dumps(r))
    last = bad["messages"][-1]["content"]
    fixed = last[last.index("```text") : last.index("```", last.index("```text") + 3) + 3]
    bad["messages"][-1]["content"] = last.replace(fixed, bad["messages"][2]["content"])
    assert any("does not fit" in p for p in gen.check(bad))


def test_rejected_refine_candidates_become_chains(tmp_path: Path) -> None:
    root = tmp_path / "st"
    init_state(root, bundled_seeds(), "bundled")
    prompts = tmp_path / "p.jsonl"
    prompts.write_text(
        json.dumps(
            {
                "id": "magic",
                "prompt": "Design a magic shrine; MagicShrine adds $20, max $80.",
                "grading": _MAGIC,
            }
        )
        + "\n",
        encoding="utf-8",
    )
    replay = tmp_path / "replay.jsonl"
    replay.write_text(
        json.dumps({"item_id": "magic", "sample": 0, "answer": _NO_CAP})
        + "\n"
        + json.dumps({"item_id": "magic", "sample": 1, "answer": _GOOD})
        + "\n",
        encoding="utf-8",
    )
    step(root, StepOptions(prompts=prompts, backend=f"replay:{replay}", train=False, samples=2))
    with State(root).queue() as q:
        [item] = q.items()
        q.accept(item.id, "ana")
    gen = ChainGenerator()
    [unit] = [u for u in gen.units([Source(root)], 0) if u.key.startswith("refine:")]
    res = gen.run(unit, 0)
    [chain] = [_row(s) for s in res.samples]
    assert chain["meta"]["chain"]["from"] == ["refine:0001"]
    assert chain["provenance"]["origin"] == "synthetic"
    assert "$7EF36E" in chain["messages"][3]["content"]  # the grader's evidence names the byte
    assert gen.check(chain) == []
