"""One bootstrap iteration end to end: seed → candidates → auto-verification → dedup/decontam → queue."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from review_web_support import free_port  # a port nothing listens on: connections are refused
from triforce.errors import InputError
from triforce.evaluate.suite import load_suite
from triforce.refine import State, StepOptions, bundled_seeds, init_state, status, step
from triforce.refine.pairs import make_pair

_MAGIC = {
    "kind": "asm-exec",
    "entry": "MagicShrine",
    "convention": "jsl",
    "states": [
        {"name": "low", "initial": {"memory": {"$7EF36E": "$10"}}, "expect": {"mem": {"$7EF36E": "$30"}}},
        {"name": "cap", "initial": {"memory": {"$7EF36E": "$70"}}, "expect": {"mem": {"$7EF36E": "$80"}}},
    ],
}
_GOOD = (
    "A shrine in the Swamp of Evil restores a quarter of Link's magic.\n\n```asm\nMagicShrine:\n"
    "    LDA.l $7EF36E\n    CLC\n    ADC #$20\n    CMP #$81\n    BCC .ok\n    LDA #$80\n.ok\n"
    "    STA.l $7EF36E\n    RTL\n```\n"
)
_NO_CAP = _GOOD.replace("    CMP #$81\n    BCC .ok\n    LDA #$80\n", "")


def _prompts() -> list[dict[str, Any]]:
    key_seed = next(s for s in bundled_seeds() if s.meta["grading"]["entry"] == "KeyGiver")
    key_code = key_seed.answer().split("```asm")[1]
    fairy = load_suite("cross").by_id()["cross.fairy_fountain_reward"]
    return [
        {
            "id": "magic-shrine",
            "prompt": "Design a magic shrine; MagicShrine adds $20 magic, max $80.",
            "grading": _MAGIC,
            "reference": _GOOD,
        },
        {
            "id": "magic-nocap",
            "prompt": "Design a magic well; MagicShrine adds $20 magic, max $80.",
            "grading": _MAGIC,
            "reference": _NO_CAP,
        },
        {
            "id": "key-again",
            "prompt": "Design a thief who returns a stolen key; KeyGiver adds a key (max 9).",
            "grading": key_seed.meta["grading"],
            "reference": "The thief repents at the well and gives the key back.\n\n```asm" + key_code,
        },
        {
            "id": "fairy-leak",
            "prompt": fairy.prompt,
            "grading": fairy.grading["asm"],
            "reference": fairy.reference,
        },
        {
            "id": "silent",
            "prompt": "Design anything; MagicShrine as above.",
            "grading": _MAGIC,
            "reference": "I would rather not.",
        },
    ]


def _write(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


@pytest.fixture
def state(tmp_path: Path) -> Path:
    # the hand-written asm-exec seeds (the loop's numbers below count them)
    seeds = [s for s in bundled_seeds() if s.meta["grading"]["kind"] != "romhack"]
    init_state(tmp_path / "st", seeds, "bundled")
    return tmp_path / "st"


def test_one_iteration_with_the_reference_backend(state: Path, tmp_path: Path) -> None:
    prompts = _write(tmp_path / "p.jsonl", _prompts())
    record = step(state, StepOptions(prompts=prompts, backend="reference", train=False))
    assert record["phase"] == "done" and record["n"] == 1
    assert (record["generated"], record["auto_verified"], record["auto_rejected"]) == (5, 3, 2)
    assert (record["duplicates"], record["contaminated"], record["enqueued"]) == (1, 1, 1)
    rejects = {r["prompt_id"]: r for r in map(json.loads, (state / "iterations/0001/rejects.jsonl").open())}
    assert rejects["magic-nocap"]["code"] == "wrong-memory" and "$7EF36E" in rejects["magic-nocap"]["reason"]
    assert rejects["silent"]["code"] == "entry-missing"  # the reference backend fences it
    assert rejects["key-again"]["code"] == "duplicate"
    assert (
        rejects["fairy-leak"]["code"] == "contaminated"
        and "fairy_fountain_reward" in rejects["fairy-leak"]["reason"]
    )
    with State(state).queue() as q:
        [item] = q.items("pending")
        assert item.sample.meta["prompt_id"] == "magic-shrine" and item.verdict["passed"]
        assert item.sample.verification is not None and item.sample.verification.states_tested == 2
        q.accept(item.id, "alice", minutes=8)

    st = status(state)
    assert st["seed"] == 13 and st["pool"] == 14 and st["next_target"] == 100
    [row] = st["iterations"]
    assert row["accepted"] == 1 and row["acceptance_rate"] == 1.0 and row["reviewer_minutes"] == 8.0
    assert row["auto_pass_rate"] == 0.6
    assert st["projection"] == {
        "target": 100,
        "pairs_needed": 86,
        "candidates_to_review": 86,
        "reviewer_hours": 11.5,
    }
    assert len(State(state).pool()) == 14

    # A second iteration uses only the new prompts; a replay backend answers it.
    more = [{"id": "magic-2", "prompt": "Design a second magic shrine.", "grading": _MAGIC}]
    prompts2 = _write(tmp_path / "p2.jsonl", [*_prompts(), *more])
    replay = _write(
        tmp_path / "answers.jsonl",
        [{"item_id": "magic-2", "answer": _GOOD.replace("Swamp of Evil", "Lost Woods")}],
    )
    rec2 = step(state, StepOptions(prompts=prompts2, backend=f"replay:{replay}", train=False))
    assert rec2["prompt_ids"] == ["magic-2"] and rec2["generated"] == 1
    assert rec2["duplicates"] == 1  # same bytes as the pair accepted in iteration 1
    with pytest.raises(InputError, match="no new prompts"):
        step(state, StepOptions(prompts=prompts2, backend="reference", train=False))


def test_an_interrupted_step_resumes_where_it_stopped(state: Path, tmp_path: Path) -> None:
    prompts = _write(tmp_path / "p.jsonl", _prompts())
    calls: list[int] = []

    def crash(stage: str, done: int, total: int) -> None:
        calls.append(done)
        if stage == "generate" and done == 2:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        step(state, StepOptions(prompts=prompts, train=False, concurrency=1), progress=crash)
    manifest = State(state).manifest()
    assert manifest["iterations"][0]["phase"] == "generate"
    log = state / "iterations/0001/candidates.jsonl"
    with log.open("a") as fh:
        fh.write('{"prompt_id": "magic-nocap", "sam')  # a line cut by the crash
    record = step(state, StepOptions(prompts=prompts, train=False, concurrency=1))
    assert record["n"] == 1 and record["resumed"] == 1 and record["skipped_as_done"] == 2
    assert (record["generated"], record["enqueued"], record["cut_lines_dropped"]) == (5, 1, 1)
    assert len(State(state).manifest()["iterations"]) == 1


def test_init_refuses_bad_seeds_and_double_init(tmp_path: Path) -> None:
    seeds = bundled_seeds()
    broken = seeds[0].model_copy(update={"task": "quest.design"})
    with pytest.raises(InputError, match=r"(?s)1 seed pair.*field task"):
        init_state(tmp_path / "st", [broken, *seeds[1:]], "seed.jsonl")
    assert not (tmp_path / "st" / "manifest.json").exists()
    fairy = load_suite("cross").by_id()["cross.fairy_fountain_reward"]
    leak = make_pair(fairy.prompt, fairy.reference, fairy.grading["asm"], corpus="x", origin="original")
    with pytest.raises(InputError, match=r"(?s)1 seed pair.*matches evaluation item cross/cross\.fairy"):
        init_state(tmp_path / "st", [leak, *seeds[:3]], "seed.jsonl")
    init_state(tmp_path / "st", seeds, "bundled")
    with pytest.raises(InputError, match="already initialised"):
        init_state(tmp_path / "st", seeds, "bundled")


def test_bad_prompt_files_name_line_and_field(state: Path, tmp_path: Path) -> None:
    bad = _write(
        tmp_path / "bad.jsonl",
        [{"id": "x", "prompt": "p", "grading": {"kind": "asm-exec", "entry": "E", "states": []}}],
    )
    with pytest.raises(InputError, match=r"bad.jsonl:1: field grading\.convention"):
        step(state, StepOptions(prompts=bad, train=False))
    with pytest.raises(InputError, match="--config"):
        step(state, StepOptions(prompts=_write(tmp_path / "p.jsonl", _prompts()), train=True))


def test_an_unreachable_backend_leaves_the_prompts_unused(state: Path, tmp_path: Path) -> None:
    from triforce.evaluate.reference_server import serve_references
    from triforce.models import BackendUnavailable

    prompts = _write(tmp_path / "p.jsonl", _prompts())
    down = f"http://127.0.0.1:{free_port()}/v1"
    with pytest.raises(BackendUnavailable, match=r"backend unreachable.*stay unused"):
        step(state, StepOptions(prompts=prompts, backend=down, train=False))
    assert State(state).manifest()["iterations"] == []
    # a server that answers the pre-flight request but fails every chat request: the same
    with serve_references({}) as server:
        opts = StepOptions(prompts=prompts, backend=server.url, train=False, model="fail-100000")
        with pytest.raises(BackendUnavailable, match="first 4 request"):
            step(state, opts)
        assert server.requests < 5 * 4  # stopped early (4 attempts per request), the rest cancelled
    assert State(state).manifest()["iterations"] == []
    record = step(state, StepOptions(prompts=prompts, backend="reference", train=False))
    assert record["n"] == 1 and record["generated"] == 5 and record["enqueued"] == 1


def test_prompts_whose_candidates_all_failed_are_released(state: Path, tmp_path: Path) -> None:
    prompts = _write(tmp_path / "p.jsonl", _prompts())
    replay = _write(tmp_path / "answers.jsonl", [{"item_id": "magic-shrine", "answer": _GOOD}])
    record = step(state, StepOptions(prompts=prompts, backend=f"replay:{replay}", train=False))
    assert record["enqueued"] == 1 and record["reject_codes"] == {"backend-error": 4}
    assert record["released_prompt_ids"] == ["fairy-leak", "key-again", "magic-nocap", "silent"]
    again = step(state, StepOptions(prompts=prompts, backend="reference", train=False))
    assert sorted(again["prompt_ids"]) == record["released_prompt_ids"]


def test_a_failed_pilot_training_accepts_the_flags_it_asks_for(state: Path, tmp_path: Path) -> None:
    import yaml
    from typer.testing import CliRunner

    from triforce.cli import app
    from triforce.errors import TriforceError

    broken = tmp_path / "broken-model"
    broken.mkdir()  # a model folder without config or weights: loading it fails
    config = {
        "name": "pilot",
        "model": {"name": str(broken)},
        "data": {"paths": ["replaced-by-the-loop.jsonl"]},
    }
    (tmp_path / "pilot.yaml").write_text(yaml.safe_dump(config))
    prompts = _write(tmp_path / "p.jsonl", _prompts())
    runner = CliRunner()
    common = ["refine", "step", "--state", str(state), "--prompts", str(prompts), "--json"]
    failed = runner.invoke(app, [*common, "--config", str(tmp_path / "pilot.yaml")])
    assert isinstance(failed.exception, TriforceError), failed.output
    assert State(state).manifest()["iterations"] == []
    done = runner.invoke(app, [*common, "--no-train", "--backend", "reference"])
    assert done.exit_code == 0, done.output
    record = json.loads(done.stdout)
    assert record["n"] == 1 and record["trained"] is False and record["generated"] == 5
