"""Run a suite against a backend: ask, grade, log every request/answer/verdict, resume.

Requests run concurrently (an asyncio semaphore); grading (asar + emulation, CPU bound) runs in
worker threads so slow endpoints and slow grading overlap. Every finished (item, sample) is
appended to `records.jsonl` at once, so an interrupted run resumes where it stopped; records
that failed for backend reasons are retried on resume. `summary.json` and `report.html` are
written atomically at the end.
"""

from __future__ import annotations

import asyncio
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triforce.evaluate.batching import BatchAssembler
from triforce.evaluate.graders import GradeContext, grade
from triforce.evaluate.metrics import summarize
from triforce.evaluate.suite import Suite, SuiteItem
from triforce.evaluate.verdict import Verdict
from triforce.fsio import ensure_output_dir, lines_bounded, write_text_atomic
from triforce.models import Backend, Completion, ItemRequest, ask_many, messages_for

ProgressFn = Callable[[int, int], None]


@dataclass
class RunResult:
    out_dir: Path
    summary: dict[str, Any]
    records: list[dict[str, Any]]
    resumed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)


def grade_completion(
    item: SuiteItem, completion: Completion, assembler: BatchAssembler | None = None
) -> Verdict:
    """The verdict for one answer; a backend failure is a failed verdict with its reason."""
    if completion.error:
        return Verdict.fail("backend-error", f"backend failed: {completion.error}")
    ctx = GradeContext(latency_s=completion.latency_s, ttft_s=completion.ttft_s, assembler=assembler)
    try:
        return grade(item.grading, completion.text, ctx)
    except Exception as exc:  # a grader crash must not sink the run; it is recorded and counted
        return Verdict.fail("invalid-format", f"grader error: {exc.__class__.__name__}: {exc}")


def _load_done(path: Path) -> dict[tuple[str, int], dict[str, Any]]:
    done: dict[tuple[str, int], dict[str, Any]] = {}
    if not path.exists():
        return done
    with path.open(encoding="utf-8") as fh:
        for raw in lines_bounded(fh, str(path)):
            try:
                rec = json.loads(raw)
            except json.JSONDecodeError:
                continue  # a line cut by an interruption: that sample runs again
            if rec.get("verdict", {}).get("code") == "backend-error":
                continue
            done[(rec["item_id"], int(rec["sample"]))] = rec
    return done


class _RecordLog:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._fh = path.open("a", encoding="utf-8")
        self._lock = asyncio.Lock()

    async def append(self, record: dict[str, Any]) -> None:
        async with self._lock:
            self._fh.write(json.dumps(record, ensure_ascii=False) + "\n")
            self._fh.flush()
            os.fsync(self._fh.fileno())

    def close(self) -> None:
        self._fh.close()


async def run_suite(
    suite: Suite,
    backend: Backend,
    out_dir: Path,
    *,
    samples: int = 1,
    concurrency: int = 8,
    progress: ProgressFn | None = None,
    write_report: bool = True,
) -> RunResult:
    """Evaluate every item `samples` times; returns the summary and all records (old and new)."""
    ensure_output_dir(out_dir)
    records_path = out_dir / "records.jsonl"
    done = _load_done(records_path)
    # Rewrite the log without lines we will redo, so each (item, sample) appears once.
    write_text_atomic(records_path, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in done.values()))
    todo = [(item, s) for item in suite.items for s in range(samples) if (item.id, s) not in done]
    total = len(suite.items) * samples
    finished = total - len(todo)
    if progress:
        progress(finished, total)
    log = _RecordLog(records_path)
    # Graders run in their own threads; with several at once, their asar runs are batched.
    pool = ThreadPoolExecutor(max_workers=max(1, concurrency), thread_name_prefix="triforce-grade")
    assembler = BatchAssembler() if concurrency > 1 else None
    loop = asyncio.get_running_loop()
    new_records: list[dict[str, Any]] = []
    items = {item.id: item for item in suite.items}
    requests = [
        ItemRequest(
            item_id=item.id,
            sample=sample,
            messages=messages_for(item.prompt, item.system),
            reference=item.reference,
            category=item.category,
        )
        for item, sample in todo
    ]

    async def graded(request: ItemRequest, completion: Completion) -> None:
        nonlocal finished
        item = items[request.item_id]
        started = time.time() - (completion.latency_s or 0.0)
        verdict = await loop.run_in_executor(pool, grade_completion, item, completion, assembler)
        record = {
            "item_id": item.id,
            "category": item.category,
            "tags": item.tags,
            "sample": request.sample,
            "backend": backend.name,
            "started_at": started,
            "request": {"messages": request.messages},
            "answer": completion.text,
            "latency_s": completion.latency_s,
            "ttft_s": completion.ttft_s,
            "attempts": completion.attempts,
            "error": completion.error,
            "usage": completion.usage,
            "verdict": verdict.model_dump(),
        }
        await log.append(record)
        new_records.append(record)
        finished += 1
        if progress:
            progress(finished, total)

    try:
        await ask_many(backend, requests, concurrency=concurrency, on_answer=graded)
    finally:
        log.close()
        pool.shutdown(wait=True)
        if assembler is not None:
            assembler.close()
        await backend.aclose()
    wanted = {item.id for item in suite.items}
    records = [r for r in done.values() if r["item_id"] in wanted and r["sample"] < samples] + new_records
    summary = summarize(records, samples)
    summary["run"] = {
        "suite": suite.name,
        "suite_path": suite.path,
        "backend": backend.name,
        "samples": samples,
        "concurrency": concurrency,
        "items": len(suite.items),
        "resumed_records": total - len(todo),
    }
    write_text_atomic(out_dir / "summary.json", json.dumps(summary, indent=2, default=str))
    if write_report:
        from triforce.evaluate.report import render_html

        write_text_atomic(out_dir / "report.html", render_html(summary, records))
    return RunResult(out_dir=out_dir, summary=summary, records=records, resumed=total - len(todo))
