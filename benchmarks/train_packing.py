"""Training throughput on CPU: padded batches (baseline) against BFD packing, same data and steps.

Runs the real stack (`triforce.train.runner.train`: TRL SFTTrainer + PEFT LoRA) on the tiny local
Qwen2 model, with conversations of uneven length so padding matters. Prints tokens/s of real
(non-padding) tokens for both and the ratio packed / padded.

    PYTHONPATH=src python benchmarks/train_packing.py [--steps 30]
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

import yaml

from triforce.train import tiny
from triforce.train.config import load_config
from triforce.train.runner import train


def _uneven(n: int) -> list[dict]:
    rows = tiny.conversations(n)
    for i, r in enumerate(rows):  # answers of 1..8 repetitions: lengths spread over ~4x
        r["messages"][-1]["content"] = " ".join([r["messages"][-1]["content"]] * (1 + i % 8))
    return rows


def _run(root: Path, name: str, packing: bool, steps: int) -> dict:
    cfg = {
        "name": name,
        "model": {"name": str(root / "model")},
        "lora": {"rank": 8, "alpha": 16, "dropout": 0.0},
        "training": {
            "batch_size": 8,
            "gradient_accumulation": 1,
            "epochs": 100,
            "learning_rate": 1e-3,
            "warmup_steps": 0,
            "seq_length": 512,
            "packing": packing,
            "gradient_checkpointing": False,
        },
        "data": {"paths": [str(root / "data.jsonl")]},
        "output": {"dir": str(root / name)},
        "logging": {"steps": steps, "tensorboard": False},
        "checkpointing": {"save_steps": 10_000},
    }
    path = root / f"{name}.yaml"
    path.write_text(yaml.safe_dump(cfg))
    return train(load_config(path), max_steps=steps).metrics


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        rows = _uneven(96)
        tiny.build_tiny_model(root / "model", rows)
        tiny.write_messages_jsonl(root / "data.jsonl", rows)
        padded = _run(root, "padded", False, args.steps)
        packed = _run(root, "packed", True, args.steps)
    result = {
        "steps": args.steps,
        "padded_tokens_per_s": padded["tokens_per_second"],
        "packed_tokens_per_s": packed["tokens_per_second"],
        "ratio_packed_over_padded": round(packed["tokens_per_second"] / padded["tokens_per_second"], 2),
        "padded_tokens_seen": padded["tokens_seen"],
        "packed_tokens_seen": packed["tokens_seen"],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
