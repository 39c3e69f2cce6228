"""The bundled expert seed pairs: every ASM half proven by asar + execution, on real ALTTP addresses."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from triforce.errors import InputError
from triforce.refine import bundled_seeds, validate_seed
from triforce.refine.pairs import TASK, grading_of

# Vanilla US addresses from the domain brief §4 the seeds may touch.
_KNOWN = (
    {0x7E0010, 0x7E0022, 0x7E0023}
    | set(range(0x7EF340, 0x7EF344))
    | {
        0x7EF359,
        0x7EF35A,
        0x7EF35B,
        0x7EF360,
        0x7EF361,
        0x7EF36C,
        0x7EF36D,
        0x7EF36E,
        0x7EF36F,
        0x7EF377,
    }
)


def test_every_bundled_seed_verifies_by_execution() -> None:
    seeds = bundled_seeds()
    assert len(seeds) >= 10
    assert sum(grading_of(s)["kind"] == "romhack" for s in seeds) >= 100
    verified, problems = validate_seed(seeds, "bundled")
    assert problems == []
    assert len(verified) == len(seeds)
    for s in verified:
        assert s.task == TASK and s.domain == "cross" and s.provenance.origin == "original"
        assert s.verification is not None and s.verification.passed and s.verification.executed
        assert s.verification.states_tested >= 2
        assert s.meta["assembled_hex"]
        assert "```asm" in s.answer() and len(s.answer().split("```asm")[0].split()) >= 25  # real prose


def test_seeds_touch_only_documented_alttp_addresses() -> None:
    for s in bundled_seeds():
        if grading_of(s)["kind"] != "asm-exec":
            continue  # romhack seeds: every address is the spec's, proven by the romhack prover
        code = s.answer().split("```asm")[1]
        for text in re.findall(r"\$(7E[0-9A-F]{4})", code):
            assert int(text, 16) in _KNOWN, (s.meta["grading"]["entry"], text)
        for state in grading_of(s)["states"]:
            for addr in state["initial"].get("memory", {}):
                assert int(addr[1:], 16) in _KNOWN


def test_a_broken_seed_is_refused_with_the_graders_reason() -> None:
    seeds = bundled_seeds()
    good = seeds[0]
    broken_answer = good.answer().replace("STA.l $7EF36D", "STA.l $7EF36E")
    msgs = [*good.messages[:-1], good.messages[-1].model_copy(update={"content": broken_answer})]
    broken = type(good).model_validate(
        {**good.model_dump(), "messages": [m.model_dump() for m in msgs], "id": ""}
    )
    wrong_task = type(good).model_validate({**good.model_dump(), "task": "asm.base", "id": ""})
    verified, problems = validate_seed([broken, wrong_task, *seeds[1:3]], "seed.jsonl")
    assert len(verified) == 2
    assert "record 1" in problems[0] and "(wrong-memory)" in problems[0] and "$7EF36D" in problems[0]
    assert "record 2" in problems[1] and "field task" in problems[1]


def test_a_seed_without_grading_names_the_field() -> None:
    s = bundled_seeds()[0]
    bare = type(s).model_validate({**s.model_dump(), "meta": {}})
    _, problems = validate_seed([bare], "p.jsonl")
    assert "meta.grading" in problems[0]
    with pytest.raises(InputError, match=r"meta\.grading"):
        grading_of(bare)


def test_the_bundled_prompt_batch_is_sound(tmp_path: Path) -> None:
    """Every bundled prompt's grading accepts its reference routine and matches no evaluation item."""
    from triforce.refine import StepOptions, init_state, step
    from triforce.refine.loop import BUNDLED_PROMPTS, read_prompts

    prompts = read_prompts(BUNDLED_PROMPTS)
    assert len(prompts) >= 5 and all(p.reference for p in prompts)
    init_state(tmp_path / "st", bundled_seeds()[:2], "bundled")
    record = step(tmp_path / "st", StepOptions(prompts=BUNDLED_PROMPTS, backend="reference", train=False))
    assert record["auto_verified"] == record["enqueued"] == len(prompts)


def test_a_broken_romhack_seed_is_refused_with_the_provers_evidence() -> None:
    seed = next(s for s in bundled_seeds() if grading_of(s)["kind"] == "romhack")
    answer = seed.answer().replace("    PLY\n", "", 1)
    msgs = [*seed.messages[:-1], seed.messages[-1].model_copy(update={"content": answer})]
    broken = type(seed).model_validate(
        {**seed.model_dump(), "messages": [m.model_dump() for m in msgs], "id": ""}
    )
    verified, problems = validate_seed([broken, seed], "romhack_pairs.yaml")
    assert len(verified) == 1 and verified[0].meta["assembled_hex"]
    assert "record 1" in problems[0] and "did not return" in problems[0]
