"""Backends that need no model: the reference answers and recorded answers.

`reference` answers every item with its reference solution (fenced, as a model would), so a run
with it proves the graders accept what they should. `replay:FILE` re-grades answers recorded by
an earlier run (its records.jsonl) or any JSONL with `item_id`, optional `sample`, and `answer`.
"""

from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path
from typing import Any

from triforce.errors import InputError
from triforce.fsio import lines_bounded
from triforce.models.base import Completion, ItemRequest


class ReferenceBackend:
    name = "reference"
    measures_latency = False

    async def check(self) -> None:
        return None

    def identity(self) -> dict[str, Any]:
        return {"kind": "reference"}

    async def complete(self, request: ItemRequest) -> Completion:
        start = time.perf_counter()
        text = request.reference
        if request.category in ("asm", "cross", "latency") and "```" not in text:
            text = f"Here is the routine.\n\n```asm\n{text}\n```\n"
        elapsed = time.perf_counter() - start
        return Completion(text=text, latency_s=elapsed, ttft_s=elapsed)

    async def aclose(self) -> None:
        return None


class ReplayBackend:
    measures_latency = False  # recorded timings belong to the run that recorded them

    def __init__(self, path: Path) -> None:
        self.name = f"replay:{path}"
        self._answers: dict[tuple[str, int], dict[str, object]] = {}
        if not path.exists():
            raise InputError(f"{path}: replay file does not exist")
        self.skipped: list[str] = []
        with path.open(encoding="utf-8") as fh:
            lines = [line.rstrip("\r\n") for line in lines_bounded(fh, str(path))]
        digest = hashlib.sha256()
        for line in lines:
            digest.update(line.encode("utf-8") + b"\n")
        self._sha256 = digest.hexdigest()
        last = max((i for i, raw in enumerate(lines) if raw.strip()), default=-1)
        for index, raw in enumerate(lines):
            if not raw.strip():
                continue
            try:
                row = json.loads(raw)
                key = (str(row["item_id"]), int(row.get("sample", 0)))
                row["answer"] = str(row["answer"])
            except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
                if index == last and isinstance(exc, json.JSONDecodeError):
                    # A run interrupted mid-write leaves a cut last line: skip it, say so.
                    self.skipped.append(f"{path}:{index + 1}: cut line skipped")
                    continue
                raise InputError(f"{path}:{index + 1}: needs 'item_id' and 'answer' ({exc})") from exc
            self._answers[key] = row

    async def check(self) -> None:
        return None

    def identity(self) -> dict[str, Any]:
        # the answers themselves, wherever the file lies: an edited file is a different run
        return {"kind": "replay", "sha256": self._sha256}

    async def complete(self, request: ItemRequest) -> Completion:
        row = self._answers.get((request.item_id, request.sample)) or self._answers.get((request.item_id, 0))
        if row is None:
            return Completion(error=f"no recorded answer for {request.item_id} sample {request.sample}")
        latency = row.get("latency_s")
        ttft = row.get("ttft_s")
        return Completion(
            text=str(row["answer"]),
            latency_s=float(latency) if isinstance(latency, int | float) else None,
            ttft_s=float(ttft) if isinstance(ttft, int | float) else None,
            error=str(row["error"]) if row.get("error") else None,
        )

    async def aclose(self) -> None:
        return None
