"""Exporting splits for trainers: TRL `messages` JSONL, Alpaca, ShareGPT and Parquet.

Curriculum ordering (the plan's Risk 3 mitigation) puts pure-domain samples (din, nayru,
farore) before cross-domain ones in the training split; each stage is shuffled with the seed.
"""

from __future__ import annotations

import json
import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from triforce.dataset.sample_io import write_parquet
from triforce.fsio import write_text_atomic
from triforce.sample import Sample

Format = Literal["messages", "alpaca", "sharegpt", "parquet"]
Order = Literal["shuffle", "curriculum", "input"]
PURE_DOMAINS = ("din", "nayru", "farore")


class ExportConfig(BaseModel):
    model_config = ConfigDict(extra="forbid")
    formats: list[Format] = Field(default_factory=lambda: list[Format](["messages", "parquet"]))
    order: Order = "shuffle"
    seed: int = 0


def order_samples(samples: Sequence[Sample], order: Order, seed: int = 0) -> list[Sample]:
    """Training order: as given, shuffled, or curriculum (pure domains first, then cross)."""
    out = list(samples)
    if order == "input":
        return out
    rng = random.Random(seed)
    if order == "shuffle":
        rng.shuffle(out)
        return out
    pure = [s for s in out if s.domain in PURE_DOMAINS]
    mixed = [s for s in out if s.domain not in PURE_DOMAINS]
    rng.shuffle(pure)
    rng.shuffle(mixed)
    return pure + mixed


def to_messages(s: Sample) -> dict[str, Any]:
    """TRL conversational form: `messages` plus flat string columns (safe for Arrow)."""
    return {
        "messages": [{"role": m.role, "content": m.content} for m in s.messages],
        "id": s.id,
        "domain": s.domain,
        "task": s.task,
        "source": s.source,
    }


def to_alpaca(s: Sample) -> dict[str, Any]:
    """Alpaca (LLaMA-Factory flavour): the last user turn and answer, earlier turns as history."""
    system = "\n".join(m.content for m in s.messages if m.role == "system")
    turns: list[list[str]] = []
    pending_user: list[str] = []
    for m in s.messages:
        if m.role == "user":
            pending_user.append(m.content)
        elif m.role == "assistant":
            turns.append(["\n".join(pending_user), m.content])
            pending_user = []
    if pending_user:  # a conversation that ends on the user: keep it, with an empty answer
        turns.append(["\n".join(pending_user), ""])
    instruction, output = turns[-1] if turns else ("", "")
    return {
        "instruction": instruction,
        "input": "",
        "output": output,
        "system": system,
        "history": turns[:-1],
        "id": s.id,
    }


_SHAREGPT_ROLE = {"system": "system", "user": "human", "assistant": "gpt"}


def to_sharegpt(s: Sample) -> dict[str, Any]:
    return {
        "conversations": [{"from": _SHAREGPT_ROLE[m.role], "value": m.content} for m in s.messages],
        "id": s.id,
    }


_WRITERS = {"messages": to_messages, "alpaca": to_alpaca, "sharegpt": to_sharegpt}


def _jsonl(rows: Sequence[dict[str, Any]]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows)


def export(
    splits: Mapping[str, Sequence[Sample]], out_dir: Path, config: ExportConfig | None = None
) -> dict[str, list[Path]]:
    """Write every split in every format; returns the paths.

    Layout: `out_dir/<split>.jsonl` (TRL messages), `out_dir/alpaca/<split>.jsonl`,
    `out_dir/sharegpt/<split>.jsonl`, `out_dir/parquet/<split>.parquet` (full Sample records).

    Only the training split is reordered (curriculum or shuffle); evaluation splits keep order.
    Empty splits are not written.
    """
    cfg = config or ExportConfig()
    written: dict[str, list[Path]] = {f: [] for f in cfg.formats}
    for name, samples in splits.items():
        if not samples:  # an empty JSONL file makes `load_dataset` fail: leave the split out
            continue
        ordered = order_samples(samples, cfg.order if name == "train" else "input", cfg.seed)
        for fmt in cfg.formats:
            if fmt == "parquet":
                path = out_dir / "parquet" / f"{name}.parquet"
                write_parquet(path, ordered)
            else:
                # TRL messages sit at the top (`<out>/train.jsonl`: what `triforce train` reads);
                # the other forms get a folder each
                path = out_dir / f"{name}.jsonl" if fmt == "messages" else out_dir / fmt / f"{name}.jsonl"
                write_text_atomic(path, _jsonl([_WRITERS[fmt](s) for s in ordered]))
            written[fmt].append(path)
    return written
