"""Run a suite against a backend: ask, grade, log every request/answer/verdict, resume.

Before the first request the backend gets one cheap pre-flight request (`Backend.check`): a
backend that cannot answer stops the run before anything is written. Requests run concurrently
(an asyncio semaphore); grading (asar + emulation, CPU bound) runs in worker threads so slow
endpoints and slow grading overlap. When the first answers all fail for backend reasons the run
stops early, marked `backend-unreachable`. Every finished (item, sample) is appended to
`records.jsonl` at once, so an interrupted run resumes where it stopped; records that failed
for backend reasons are retried on resume. `run.json` holds the run's fingerprint (suite digest,
backend identity with model and sampling options, grader version): a run folder resumes only
with the same fingerprint, or starts over with `restart=True`. `summary.json` and `report.html`
are written atomically at the end.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from triforce.errors import ConfigError, InputError
from triforce.evaluate.batching import BatchAssembler
from triforce.evaluate.graders import GradeContext, grade
from triforce.evaluate.metrics import summarize
from triforce.evaluate.suite import Suite, SuiteItem
from triforce.evaluate.verdict import Verdict
from triforce.fsio import (
    MAX_CONFIG_BYTES,
    ensure_output_dir,
    lines_bounded,
    read_text_bounded,
    write_text_atomic,
)
from triforce.models import Backend, Completion, ItemRequest, ask_many, messages_for

ProgressFn = Callable[[int, int], None]
RUN_FILE = "run.json"
# Files a run writes in its folder (and `restart` removes); nothing else there is touched.
RUN_OUTPUTS = ("records.jsonl", "summary.json", "report.html", RUN_FILE)
# The run stops when this many answers (or all of them, if fewer) failed for backend reasons
# before the first one came back.
ABORT_AFTER = 4


@dataclass
class RunResult:
    out_dir: Path
    summary: dict[str, Any]
    records: list[dict[str, Any]]
    resumed: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    status: str = "ok"  # "ok" | "backend-errors" (some failed) | "backend-unreachable" (stopped)
    problem: str | None = None  # what to tell the user when status is not "ok"
    restarted: list[str] = field(default_factory=list)  # fingerprint fields that differed


class _Unreachable(Exception):
    """Raised inside the answer callback to stop a run whose every answer fails."""


def grader_version() -> str:
    """A digest of the grading code (graders, their registry, answer extraction, verdicts):
    verdicts of two grader versions are not mixed in one run folder."""
    root = Path(__file__).parent
    graders = root / "graders"
    files = sorted([*graders.glob("*.py"), *graders.glob("*.yaml"), root / "answers.py", root / "verdict.py"])
    digest = hashlib.sha256()
    for path in files:
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def suite_digest(suite: Suite) -> str:
    """sha256 of the suite's items (ids, prompts, references, grading), in order."""
    digest = hashlib.sha256()
    for item in suite.items:
        digest.update(json.dumps(item.model_dump(mode="json"), sort_keys=True).encode("utf-8") + b"\n")
    return digest.hexdigest()


def run_fingerprint(suite: Suite, backend: Backend) -> dict[str, Any]:
    """Everything that decides the records of a run folder except the number of samples."""
    return {
        "suite": suite.name,
        "suite_sha256": suite_digest(suite),
        "backend": backend.identity(),
        "grader_version": grader_version(),
    }


def _differences(old: Any, new: Any, prefix: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out: list[str] = []
        for key in sorted(set(old) | set(new), key=str):
            out += _differences(old.get(key), new.get(key), f"{prefix}{key}.")
        return out
    return [] if old == new else [f"{prefix.rstrip('.')}: {old!r} -> {new!r}"]


def _claim_folder(out_dir: Path, fingerprint: dict[str, Any], restart: bool) -> list[str]:
    """Make `out_dir` this run's folder. A folder with the same fingerprint resumes; one whose
    records come from another run is refused (with `restart`, its files are removed); one with
    no usable record (only backend failures, or none) is simply taken over. Returns the
    fingerprint fields that differed when records were discarded."""
    run_file = out_dir / RUN_FILE
    changed: list[str] = []
    if run_file.is_file():
        try:
            old = json.loads(read_text_bounded(run_file, MAX_CONFIG_BYTES)).get("fingerprint")
        except (json.JSONDecodeError, AttributeError) as exc:
            raise InputError(f"{run_file}: not a run fingerprint ({exc}); use --restart") from exc
        changed = _differences(old, fingerprint)
    elif (out_dir / "records.jsonl").is_file():
        changed = ["fingerprint: none (records written by an older version) -> this run"]
    has_results = bool(changed) and bool(_load_done(out_dir / "records.jsonl"))
    if has_results and not restart:
        shown = "; ".join(changed[:4]) + (f" (and {len(changed) - 4} more)" if len(changed) > 4 else "")
        raise ConfigError(
            f"{out_dir}: holds the records of a different run ({shown}); they cannot be mixed with "
            "this one. Use another --out, or --restart to discard them."
        )
    if changed or restart:
        for name in RUN_OUTPUTS:
            (out_dir / name).unlink(missing_ok=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    if not run_file.is_file():
        write_text_atomic(
            run_file, json.dumps({"fingerprint": fingerprint, "created_at": time.time()}, indent=2)
        )
    return changed if has_results else []


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
    restart: bool = False,
) -> RunResult:
    """Evaluate every item `samples` times; returns the summary and all records (old and new).

    Raises BackendUnavailable before writing anything when the backend's pre-flight check
    fails, ConfigError when `out_dir` holds a run with another fingerprint (unless `restart`)."""
    try:
        await backend.check()
    except BaseException:
        await backend.aclose()
        raise
    ensure_output_dir(out_dir)
    fingerprint = run_fingerprint(suite, backend)
    restarted = _claim_folder(out_dir, fingerprint, restart)
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

    answered = backend_failures = 0
    abort_after = min(ABORT_AFTER, len(requests))
    last_error = ""

    async def graded(request: ItemRequest, completion: Completion) -> None:
        nonlocal finished, answered, backend_failures, last_error
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
        if completion.error:
            backend_failures += 1
            last_error = completion.error
            if not answered and backend_failures >= abort_after:
                raise _Unreachable
        else:
            answered += 1

    status, problem = "ok", None
    try:
        await ask_many(backend, requests, concurrency=concurrency, on_answer=graded)
    except _Unreachable:
        status = "backend-unreachable"
        problem = (
            f"backend unreachable: the first {backend_failures} request(s) to {backend.name} all failed, "
            f"so the run stopped and the other {len(requests) - backend_failures} were not asked "
            f"(rerun with the same --out once it answers); last error: {last_error}"
        )
    finally:
        log.close()
        pool.shutdown(wait=True)
        if assembler is not None:
            assembler.close()
        await backend.aclose()
    wanted = {item.id for item in suite.items}
    records = [r for r in done.values() if r["item_id"] in wanted and r["sample"] < samples] + new_records
    if status == "ok" and backend_failures:
        status = "backend-errors"
        problem = (
            f"{backend_failures} of {len(requests)} request(s) failed for backend reasons (last: {last_error}); "
            "they count as failures here and are asked again when the run is resumed with the same --out"
        )
    summary = summarize(records, samples)
    summary["run"] = {
        "suite": suite.name,
        "suite_path": suite.path,
        "backend": backend.name,
        "samples": samples,
        "concurrency": concurrency,
        "items": len(suite.items),
        "resumed_records": total - len(todo),
        "status": status,
        "problem": problem,
        "latency_measured": bool(getattr(backend, "measures_latency", True)),
        "fingerprint": fingerprint,
    }
    write_text_atomic(out_dir / "summary.json", json.dumps(summary, indent=2, default=str))
    if write_report:
        from triforce.evaluate.report import render_html

        write_text_atomic(out_dir / "report.html", render_html(summary, records))
    return RunResult(
        out_dir=out_dir,
        summary=summary,
        records=records,
        resumed=total - len(todo),
        status=status,
        problem=problem,
        restarted=restarted,
    )
