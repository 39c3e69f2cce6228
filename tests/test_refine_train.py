"""The loop's train step for real: a tiny local Qwen2 pilot trained on the seed, then asked for candidates."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

pytestmark = [pytest.mark.train, pytest.mark.slow]
pytest.importorskip("trl")
pytest.importorskip("peft")

from triforce.refine import State, StepOptions, bundled_seeds, init_state, status, step  # noqa: E402


def test_step_trains_the_pilot_and_generates_with_its_adapter(tmp_path: Path) -> None:
    from triforce.train import tiny

    # the 13 hand-written asm-exec seeds (the counts below are theirs)
    seeds = [s for s in bundled_seeds() if s.meta["grading"]["kind"] != "romhack"]
    tiny.build_tiny_model(
        tmp_path / "tiny", [{"messages": [m.model_dump() for m in s.messages]} for s in seeds]
    )
    config = {
        "name": "pilot",
        "model": {"name": str(tmp_path / "tiny")},
        "lora": {"rank": 4, "alpha": 8, "dropout": 0.0},
        "training": {
            "batch_size": 4,
            "gradient_accumulation": 1,
            "epochs": 1,
            "learning_rate": 1e-2,
            "warmup_steps": 0,
            "seq_length": 512,
            "gradient_checkpointing": False,
            "max_steps": 2,
        },
        "data": {"paths": ["replaced-by-the-loop.jsonl"]},
        "logging": {"steps": 1},
        "checkpointing": {"save_steps": 100},
    }
    (tmp_path / "pilot.yaml").write_text(yaml.safe_dump(config))
    init_state(tmp_path / "st", seeds, "bundled")
    grading = {
        "kind": "asm-exec",
        "entry": "MagicShrine",
        "convention": "jsl",
        "states": [{"name": "s", "initial": {}, "expect": {"mem": {"$7EF36E": "$80"}}}],
    }
    (tmp_path / "p.jsonl").write_text(
        json.dumps({"id": "m", "prompt": "Design a magic shrine.", "grading": grading})
    )

    record = step(
        tmp_path / "st",
        StepOptions(
            prompts=tmp_path / "p.jsonl", config=str(tmp_path / "pilot.yaml"), max_tokens=16, samples=2
        ),
    )
    folder = State(tmp_path / "st").iteration_dir(1)
    trained_on = (folder / "train.jsonl").read_text().splitlines()
    assert len(trained_on) == 13 and record["trained_on"] == 13
    roles = [m["role"] for m in json.loads(trained_on[0])["messages"]]
    assert roles == ["system", "user", "assistant"]  # the system prompt the pilot is asked with
    assert (folder / "pilot" / "adapter" / "adapter_config.json").is_file()
    assert record["backend"] == f"hf:{folder / 'pilot' / 'adapter'}"
    # Two steps of training on a random model cannot write a routine: both candidates are
    # refused by verification with a reason, and the reviewer sees none of them.
    assert (record["generated"], record["auto_verified"], record["enqueued"]) == (2, 0, 0)
    assert sum(record["reject_codes"].values()) == 2
    assert set(record["reject_codes"]) <= {"no-code", "entry-missing", "assemble-error"}
    row = status(tmp_path / "st")["iterations"][0]
    assert row["trained"] and row["auto_pass_rate"] == 0.0
