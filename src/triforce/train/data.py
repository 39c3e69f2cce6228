"""Training data: TRL `messages` JSONL or Triforce Sample JSONL, read the same way.

Both formats carry a `messages` list per line; Sample records add metadata that training ignores
except for the curriculum field. Reading is strict (a malformed line names its file and line)
because a silently dropped sample is a silently different model.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from triforce.errors import InputError
from triforce.fsio import lines_bounded
from triforce.train.config import CurriculumSection

_ROLES = {"system", "user", "assistant"}


@dataclass(frozen=True)
class Conversation:
    messages: list[dict[str, str]]
    record: dict[str, Any]  # the whole JSON line, for the curriculum field
    file: str
    line: int


def read_conversations(files: list[Path]) -> list[Conversation]:
    out: list[Conversation] = []
    for path in files:
        if not path.is_file():
            raise InputError(f"{path}: training data file not found")
        with path.open(encoding="utf-8") as fh:
            for number, text in enumerate(lines_bounded(fh, str(path)), start=1):
                if not text.strip():
                    continue
                out.append(_parse_line(text, path, number))
    if not out:
        raise InputError(f"{', '.join(map(str, files))}: no training samples")
    return out


def _parse_line(text: str, path: Path, number: int) -> Conversation:
    where = f"{path}:{number}"
    try:
        record = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{where}: not valid JSON ({exc.msg})") from exc
    if not isinstance(record, dict) or not isinstance(record.get("messages"), list):
        raise InputError(f"{where}: expected an object with a 'messages' list")
    messages = []
    for i, m in enumerate(record["messages"]):
        if not isinstance(m, dict) or m.get("role") not in _ROLES or not isinstance(m.get("content"), str):
            raise InputError(f"{where}: messages[{i}] needs role (system/user/assistant) and string content")
        messages.append({"role": m["role"], "content": m["content"]})
    if not any(m["role"] == "assistant" for m in messages):
        raise InputError(f"{where}: no assistant message, nothing to learn")
    return Conversation(messages=messages, record=record, file=str(path), line=number)


def fingerprint(files: list[Path]) -> dict[str, Any]:
    """SHA-256 of each data file and of all of them in order: which data made this adapter."""
    total = hashlib.sha256()
    per_file = {}
    for path in files:
        h = hashlib.sha256()
        with path.open("rb") as fh:
            for chunk in iter(lambda: fh.read(1 << 20), b""):
                h.update(chunk)
        per_file[str(path)] = h.hexdigest()
        total.update(h.digest())
    return {"sha256": total.hexdigest(), "files": per_file}


def _dotted(record: dict[str, Any], path: str) -> Any:
    node: Any = record
    for part in path.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def order_for_curriculum(
    convs: list[Conversation], curriculum: CurriculumSection, seed: int
) -> list[Conversation]:
    """Shuffle, keep the file order, or sort stably by stage (pure domains before mixed).

    Within a stage the order is shuffled with the seed so each stage still mixes its sources.
    A value missing from `stages` sorts after all listed stages, in file order.
    """
    if curriculum.order == "dataset":
        return list(convs)
    rng = random.Random(seed)
    if curriculum.order == "shuffle":
        shuffled = list(convs)
        rng.shuffle(shuffled)
        return shuffled
    rank = {stage: i for i, stage in enumerate(curriculum.stages)}
    buckets: dict[int, list[Conversation]] = {}
    for conv in convs:
        value = _dotted(conv.record, curriculum.field)
        buckets.setdefault(rank.get(str(value), len(rank)), []).append(conv)
    ordered: list[Conversation] = []
    for key in sorted(buckets):
        bucket = buckets[key]
        if key < len(rank):
            rng.shuffle(bucket)
        ordered.extend(bucket)
    return ordered


@dataclass(frozen=True)
class LengthStats:
    count: int
    min: int
    p50: int
    p95: int
    max: int
    over_max: int
    max_length: int

    def to_json(self) -> dict[str, int]:
        return self.__dict__.copy()


def length_stats(lengths: list[int], max_length: int) -> LengthStats:
    if not lengths:
        return LengthStats(0, 0, 0, 0, 0, 0, max_length)
    s = sorted(lengths)

    def pct(q: float) -> int:
        return s[min(len(s) - 1, round(q * (len(s) - 1)))]

    return LengthStats(
        count=len(s),
        min=s[0],
        p50=pct(0.5),
        p95=pct(0.95),
        max=s[-1],
        over_max=sum(1 for n in s if n > max_length),
        max_length=max_length,
    )
