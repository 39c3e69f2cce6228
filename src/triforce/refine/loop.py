"""The bootstrap loop of plan Phase 3: expert seed → pilot → candidates → verification → review.

One `step` is one iteration: train the pilot on every accepted pair (seed + reviewed), let it
answer new quest prompts, prove each candidate's ASM half by execution (failures go to the
iteration's `rejects.jsonl` with the grader's reason, never to a reviewer), drop duplicates of
what exists and anything matching an evaluation item, and enqueue the rest for expert review.

State folder:
    manifest.json            seed count, targets, one record per iteration (counts, phase)
    seed.jsonl               the verified expert seed pairs
    queue.sqlite             the review queue (`triforce review ...`)
    iterations/NNNN/         train.jsonl, pilot/ (training run), candidates.jsonl (raw answers,
                             appended as they arrive: the resume log), rejects.jsonl, report.json
Every file is written atomically or appended line by line; a step interrupted at any point
resumes where it stopped when run again. A step that fails changes nothing a retry needs: a
backend that cannot answer (pre-flight request, or every first answer failing) or a pilot
training that fails leaves no iteration behind, so the retry plans again from its own flags
and the prompts stay unused; answers that failed for backend reasons are asked again on resume,
and a prompt none of whose candidates got an answer is released for a later iteration.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from triforce.dataset.sample_io import read_jsonl, write_jsonl
from triforce.errors import InputError
from triforce.fsio import (
    MAX_CONFIG_BYTES,
    MAX_DATA_BYTES,
    ensure_output_dir,
    read_bytes_bounded,
    read_text_bounded,
    write_json_atomic,
    write_text_atomic,
)
from triforce.models.base import BackendUnavailable
from triforce.refine.pairs import make_pair, prove, validate_seed, with_proof
from triforce.refine.queue import ReviewQueue
from triforce.sample import Sample

# Plan Phase 3: 100 expert pairs, 400 more from the pilot, bootstrap to 3,000.
TARGETS: tuple[int, ...] = (100, 400, 3000)
MANIFEST = "manifest.json"
# Generation stops when this many answers (or all, if fewer) fail before the first one arrives.
ABORT_AFTER = 4
# A first batch of new quest prompts (with test states and reference routines for dry runs).
BUNDLED_PROMPTS = Path(__file__).parent / "prompts" / "first_quests.jsonl"
Progress = Callable[[str, int, int], None]


class PromptItem(BaseModel):
    """One new quest prompt for the pilot: the request and the test states its routine must pass."""

    model_config = ConfigDict(extra="ignore")
    id: str = Field(min_length=1)
    prompt: str = Field(min_length=1)
    grading: dict[str, Any]
    reference: str = ""  # an answer for the `reference` backend (tests, dry runs)
    system: str | None = None
    category: str = "cross"


def read_prompts(path: Path) -> list[PromptItem]:
    """Read PROMPTS.jsonl; errors name file:line and field. Suite items (cross/asm) also fit."""
    from triforce.refine.pairs import check_grading

    if not path.is_file():
        raise InputError(f"{path}: prompts file does not exist")
    items: list[PromptItem] = []
    seen: set[str] = set()
    for line, raw in enumerate(read_text_bounded(path, MAX_DATA_BYTES).splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            data = json.loads(raw)
            item = PromptItem.model_validate(data)
        except json.JSONDecodeError as exc:
            raise InputError(f"{path}:{line}: not valid JSON: {exc.msg}") from exc
        except ValidationError as exc:
            err = exc.errors()[0]
            field = ".".join(str(p) for p in err["loc"]) or "<item>"
            raise InputError(f"{path}:{line}: field {field}: {err['msg']}") from exc
        if item.grading.get("kind") not in ("asm-exec", "cross"):
            raise InputError(f"{path}:{line}: field grading.kind: expected 'asm-exec' or 'cross'")
        check_grading(item.grading, f"{path}:{line}")
        if item.id in seen:
            raise InputError(f"{path}:{line}: field id: {item.id!r} appears twice")
        seen.add(item.id)
        items.append(item)
    return items


@dataclass
class State:
    """A refinement state folder."""

    root: Path

    @property
    def manifest_path(self) -> Path:
        return self.root / MANIFEST

    @property
    def seed_path(self) -> Path:
        return self.root / "seed.jsonl"

    @property
    def queue_path(self) -> Path:
        return self.root / "queue.sqlite"

    def iteration_dir(self, n: int) -> Path:
        return self.root / "iterations" / f"{n:04d}"

    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def manifest(self) -> dict[str, Any]:
        if not self.exists():
            raise InputError(f"{self.root}: not a refinement state folder (run `triforce refine init` first)")
        try:
            data: dict[str, Any] = json.loads(read_text_bounded(self.manifest_path, MAX_CONFIG_BYTES))
        except json.JSONDecodeError as exc:
            raise InputError(f"{self.manifest_path}:{exc.lineno}: not valid JSON: {exc.msg}") from exc
        return data

    def save(self, manifest: dict[str, Any]) -> None:
        write_json_atomic(self.manifest_path, manifest)

    def queue(self) -> ReviewQueue:
        self.manifest()
        return ReviewQueue(self.queue_path)

    def seed(self) -> list[Sample]:
        return read_jsonl(self.seed_path).samples

    def pool(self) -> list[Sample]:
        """Every pair the next pilot trains on: the seed plus accepted and corrected reviews."""
        with self.queue() as q:
            return [*self.seed(), *q.accepted_samples()]


def init_state(root: Path, seed: Sequence[Sample], seed_name: str, force: bool = False) -> dict[str, Any]:
    """Validate the expert seed (schema + ASM proven) and create the state folder."""
    state = State(root)
    if state.exists() and not force:
        raise InputError(f"{root}: already initialised (use --force to replace the seed)")
    if not seed:
        raise InputError(f"{seed_name}: the seed holds no pairs")
    verified, problems = validate_seed(seed, seed_name)
    problems += _contamination(verified, seed_name)
    if problems:
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        raise InputError(f"{len(problems)} seed pair(s) refused:\n  " + "\n  ".join(problems[:5]) + more)
    ensure_output_dir(root)
    write_jsonl(state.seed_path, verified)
    manifest = {
        "version": 1,
        "created_at": time.time(),
        "seed_file": seed_name,
        "seed_count": len(verified),
        "targets": list(TARGETS),
        "iterations": [],
    }
    state.save(manifest)
    with state.queue():
        pass
    return manifest


def _contamination(samples: Sequence[Sample], name: str) -> list[str]:
    """A seed pair that matches an evaluation item would leak the benchmark into every pilot."""
    from triforce.dataset.decontam import bundled_suite_paths, decontaminate

    if not samples:
        return []
    _, report = decontaminate(samples, suites=bundled_suite_paths())
    return [
        f"{name}: pair {h.sample_id} matches evaluation item {h.suite}/{h.item_id} ({h.kind})"
        for h in report.hits
    ]


# -- one iteration --------------------------------------------------------------------------------


@dataclass
class StepOptions:
    prompts: Path
    backend: str = "reference"
    config: str | None = None  # train config (file or preset); None with train=False
    train: bool = True
    limit: int | None = None  # new prompts used this iteration
    samples: int = 1  # candidates per prompt
    concurrency: int = 4
    max_tokens: int = 1024
    temperature: float = 0.0
    decontaminate: bool = True
    train_overrides: dict[str, Any] | None = None
    model: str = "default"  # `model` field for an OpenAI-compatible endpoint
    api_key: str | None = None


def _append_jsonl(path: Path, row: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        fh.flush()


def _read_log(path: Path) -> list[dict[str, Any]]:
    """Rows of an append-only log; a cut last line (crash mid-write) is dropped."""
    if not path.is_file():
        return []
    rows = []
    for raw in read_text_bounded(path, MAX_DATA_BYTES).splitlines():
        try:
            rows.append(json.loads(raw))
        except json.JSONDecodeError:
            continue
    return rows


def _repair_log(path: Path) -> int:
    """Cut a partial last line left by a crash, so new rows start on a line of their own."""
    if not path.is_file():
        return 0
    data = read_bytes_bounded(path, MAX_DATA_BYTES)
    if not data or data.endswith(b"\n"):
        return 0
    keep = data.rfind(b"\n") + 1
    with path.open("r+b") as fh:
        fh.truncate(keep)
    return len(data) - keep


def _used_prompt_ids(manifest: dict[str, Any], current: int) -> set[str]:
    """Prompts of other iterations, less those released because no candidate got an answer."""
    return {
        p
        for it in manifest["iterations"]
        if it["n"] != current
        for p in it.get("prompt_ids", [])
        if p not in it.get("released_prompt_ids", ())
    }


def _with_system(sample: Sample) -> list[dict[str, str]]:
    """The chat as the pilot will see it when asked: the backends' system prompt when it has none."""
    from triforce.models.base import DEFAULT_SYSTEM

    messages = [m.model_dump() for m in sample.messages]
    if messages[0]["role"] != "system":
        messages.insert(0, {"role": "system", "content": DEFAULT_SYSTEM})
    return messages


def _train_pilot(state: State, n: int, opts: StepOptions, record: dict[str, Any]) -> str:
    """Train the pilot on the pool; returns the `hf:` backend spec of its adapter."""
    from triforce.train.config import load_config
    from triforce.train.runner import train

    if opts.config is None:
        raise InputError(
            "refine step needs --config TRAIN.yaml to train the pilot (or --no-train with --backend)"
        )
    folder = state.iteration_dir(n)
    data = folder / "train.jsonl"
    pool = state.pool()
    # the pool as it is now: an earlier, failed attempt may have seen fewer accepted pairs
    write_text_atomic(data, "".join(json.dumps({"messages": _with_system(s)}) + "\n" for s in pool))
    overrides = {
        "data.paths": [str(data.resolve())],
        "data.mix": None,
        "output.dir": str((folder / "pilot").resolve()),
        **(opts.train_overrides or {}),
    }
    cfg = load_config(opts.config, overrides)
    result = train(cfg)
    record["trained_on"] = len(pool)
    record["adapter"] = str(result.adapter_dir)
    return f"hf:{result.adapter_dir}"


async def _generate(
    backend_spec: str,
    jobs: list[tuple[PromptItem, int]],
    log: Path,
    opts: StepOptions,
    progress: Progress | None,
) -> None:
    from triforce.models import Completion, ItemRequest, ask_many, make_backend, messages_for

    backend = make_backend(
        backend_spec,
        concurrency=opts.concurrency,
        max_tokens=opts.max_tokens,
        temperature=opts.temperature,
        model=opts.model,
        api_key=opts.api_key,
    )
    done = answered = failed = 0
    last_error = ""
    requests = [
        ItemRequest(
            item_id=item.id,
            sample=k,
            messages=messages_for(item.prompt, item.system),
            reference=item.reference,
            category=item.category,
        )
        for item, k in jobs
    ]

    abort_after = min(ABORT_AFTER, len(requests))

    async def logged(request: ItemRequest, completion: Completion) -> None:
        nonlocal done, answered, failed, last_error
        _append_jsonl(
            log,
            {
                "prompt_id": request.item_id,
                "sample": request.sample,
                "answer": completion.text,
                "error": completion.error,
                "latency_s": completion.latency_s,
                "backend": backend.name,
            },
        )
        done += 1
        if progress:
            progress("generate", done, len(jobs))
        if completion.error:
            failed += 1
            last_error = completion.error
            if not answered and failed >= abort_after:
                raise BackendUnavailable(
                    f"backend unreachable: the first {failed} request(s) to {backend.name} all failed "
                    f"(last error: {last_error})"
                )
        else:
            answered += 1

    try:
        await backend.check()
    except BaseException:
        await backend.aclose()
        raise
    await ask_many(backend, requests, concurrency=opts.concurrency, on_answer=logged, close=True)


def _drop_failed(log: Path) -> int:
    """Remove answers that failed for backend reasons from the log, so they are asked again."""
    rows = _read_log(log)
    keep = [r for r in rows if not r.get("error")]
    if len(keep) != len(rows):
        write_text_atomic(log, "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in keep))
    return len(rows) - len(keep)


def _dedup_against(existing: list[Sample], fresh: list[Sample]) -> tuple[list[Sample], dict[str, str]]:
    """Drop fresh samples duplicating an existing one or an earlier fresh one: {dropped id: kept id}."""
    from triforce.dataset.dedup import dedup

    if not fresh:
        return [], {}
    old_ids = {s.id for s in existing}
    dropped: dict[str, str] = {}
    keep = [s for s in fresh if s.id not in old_ids]
    for s in fresh:
        if s.id in old_ids:
            dropped[s.id] = s.id
    _, report = dedup([*existing, *keep])
    fresh_ids = {s.id for s in keep}
    for r in report.removals:
        if r.removed in fresh_ids:
            dropped[r.removed] = r.kept
        elif r.kept in fresh_ids:  # dedup kept the newcomer over an existing pair: still a duplicate
            dropped[r.kept] = r.removed
    return [s for s in keep if s.id not in dropped], dropped


def _forget(state: State, manifest: dict[str, Any], record: dict[str, Any]) -> None:
    """Drop an iteration that produced nothing worth keeping: its prompts are free again."""
    manifest["iterations"] = [it for it in manifest["iterations"] if it is not record]
    state.save(manifest)
    (state.iteration_dir(record["n"]) / "candidates.jsonl").unlink(missing_ok=True)


def step(root: Path, opts: StepOptions, progress: Progress | None = None) -> dict[str, Any]:
    """Run (or resume) one iteration; returns its manifest record."""
    state = State(root)
    manifest = state.manifest()
    prompts = read_prompts(opts.prompts)
    open_its = [it for it in manifest["iterations"] if it["phase"] != "done"]
    if open_its and open_its[-1]["phase"] == "train":
        # An iteration whose pilot never finished training produced nothing: plan it again from
        # this invocation's flags (another config, or --no-train --backend) instead of the old ones.
        _forget(state, manifest, open_its[-1])
        open_its = []
    if open_its:
        record = open_its[-1]
        n = record["n"]
        record["resumed"] = record.get("resumed", 0) + 1
    else:
        n = len(manifest["iterations"]) + 1
        used = _used_prompt_ids(manifest, n)
        fresh = [p for p in prompts if p.id not in used]
        if opts.limit is not None:
            fresh = fresh[: opts.limit]
        if not fresh:
            raise InputError(
                f"{opts.prompts}: no new prompts (all {len(prompts)} were used by earlier iterations)"
            )
        record = {
            "n": n,
            "phase": "train",
            "started_at": time.time(),
            "prompts_file": str(opts.prompts),
            "prompt_ids": [p.id for p in fresh],
            "samples_per_prompt": opts.samples,
            "pool_before": len(state.pool()),
            "trained": opts.train,
        }
        manifest["iterations"].append(record)
        state.save(manifest)
    folder = state.iteration_dir(n)
    folder.mkdir(parents=True, exist_ok=True)
    by_id = {p.id: p for p in prompts}
    missing = [pid for pid in record["prompt_ids"] if pid not in by_id]
    if missing:
        raise InputError(
            f"{opts.prompts}: iteration {n} used prompt(s) no longer in the file: {', '.join(missing[:3])}"
        )
    chosen = [by_id[pid] for pid in record["prompt_ids"]]

    if record["phase"] == "train":
        try:
            backend = _train_pilot(state, n, opts, record) if record["trained"] else opts.backend
        except BaseException:
            _forget(state, manifest, record)  # a failed training leaves no iteration behind
            raise
        record["backend"] = backend
        record["phase"] = "generate"
        state.save(manifest)

    log = folder / "candidates.jsonl"
    if record["phase"] == "generate":
        if _repair_log(log):
            record["cut_lines_dropped"] = record.get("cut_lines_dropped", 0) + 1
        retried = _drop_failed(log)
        if retried:
            record["backend_errors_retried"] = record.get("backend_errors_retried", 0) + retried
        have = {(r["prompt_id"], r["sample"]) for r in _read_log(log)}
        jobs = [(p, k) for p in chosen for k in range(record["samples_per_prompt"]) if (p.id, k) not in have]
        record["skipped_as_done"] = len(have)
        if jobs:
            try:
                asyncio.run(_generate(record["backend"], jobs, log, opts, progress))
            except BackendUnavailable as exc:
                _drop_failed(log)
                if not record["trained"] and not _read_log(log):
                    _forget(state, manifest, record)
                    raise BackendUnavailable(
                        f"{exc}; nothing was kept: iteration {n} was not started and its "
                        f"{len(chosen)} prompt(s) stay unused"
                    ) from exc
                state.save(manifest)
                kept = "its pilot and " if record["trained"] else ""
                raise BackendUnavailable(
                    f"{exc}; iteration {n} keeps {kept}{len(_read_log(log))} answer(s) and asks for "
                    "the rest when `refine step` runs again"
                ) from exc
        record["phase"] = "verify"
        state.save(manifest)

    if record["phase"] == "verify":
        record.update(_verify_and_enqueue(state, n, by_id, _read_log(log), opts, progress))
        record["phase"] = "done"
        record["finished_at"] = time.time()
        state.save(manifest)
        write_json_atomic(folder / "report.json", record)
    return record


def _verify_and_enqueue(
    state: State,
    n: int,
    by_id: dict[str, PromptItem],
    rows: list[dict[str, Any]],
    opts: StepOptions,
    progress: Progress | None,
) -> dict[str, Any]:
    folder = state.iteration_dir(n)
    rejects: list[dict[str, Any]] = []
    passed: list[tuple[Sample, dict[str, Any]]] = []
    seen: set[tuple[str, int]] = set()
    for i, row in enumerate(rows, start=1):
        key = (row["prompt_id"], int(row["sample"]))
        if key in seen:
            continue
        seen.add(key)
        item = by_id[row["prompt_id"]]
        if row.get("error"):
            rejects.append({**key_row(key), "code": "backend-error", "reason": str(row["error"])})
            continue
        if not str(row.get("answer", "")).strip():
            rejects.append({**key_row(key), "code": "no-code", "reason": "empty answer"})
            continue
        sample = make_pair(
            item.prompt,
            str(row["answer"]),
            item.grading,
            system=item.system,
            corpus="triforce-refine-pilot",
            origin="synthetic",
            routine=item.id,
            meta={
                "refine_iteration": n,
                "prompt_id": item.id,
                "candidate": int(row["sample"]),
                "backend": row.get("backend", ""),
            },
        )
        proof = prove(item.grading, sample.answer(), where=f"{item.id}#{row['sample']}")
        if not proof.verdict.passed:
            rejects.append({**key_row(key), "code": proof.verdict.code, "reason": proof.verdict.reason})
        else:
            passed.append((with_proof(sample, proof), proof.verdict.model_dump(mode="json")))
        if progress:
            progress("verify", i, len(rows))
    candidates = [s for s, _ in passed]
    with state.queue() as q:
        existing = [*state.seed(), *[it.final() for it in q.items()]]
    kept, dropped = _dedup_against(existing, candidates)
    for sid, other in dropped.items():
        s = next(c for c in candidates if c.id == sid)
        rejects.append(
            {
                **key_row((s.meta["prompt_id"], s.meta["candidate"])),
                "code": "duplicate",
                "reason": f"duplicates {other}",
            }
        )
    contaminated = 0
    if opts.decontaminate and kept:
        from triforce.dataset.decontam import bundled_suite_paths, decontaminate

        clean, report = decontaminate(kept, suites=bundled_suite_paths())
        clean_ids = {s.id for s in clean}
        for s in kept:
            if s.id not in clean_ids:
                hit = next(h for h in report.hits if h.sample_id == s.id)
                rejects.append(
                    {
                        **key_row((s.meta["prompt_id"], s.meta["candidate"])),
                        "code": "contaminated",
                        "reason": f"matches evaluation item {hit.suite}/{hit.item_id} ({hit.kind})",
                    }
                )
        contaminated = len(kept) - len(clean)
        kept = clean
    # A prompt none of whose candidates got an answer was not tried: it goes back to the pool.
    answered = {r["prompt_id"] for r in rows if not r.get("error")}
    released = sorted({r["prompt_id"] for r in rows} - answered)
    verdicts = {s.id: v for s, v in passed}
    enqueued = 0
    with state.queue() as q:
        for s in kept:
            enqueued += q.add(s, verdicts[s.id], n)
    tmp = folder / "rejects.jsonl.tmp"
    tmp.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rejects), encoding="utf-8")
    tmp.replace(folder / "rejects.jsonl")
    auto_failed = sum(1 for r in rejects if r["code"] not in ("duplicate", "contaminated"))
    return {
        "generated": len(seen),
        "auto_verified": len(passed),
        "auto_rejected": auto_failed,
        "duplicates": len(dropped),
        "contaminated": contaminated,
        "enqueued": enqueued,
        "reject_codes": _count(r["code"] for r in rejects),
        "released_prompt_ids": released,
    }


def key_row(key: tuple[str, int]) -> dict[str, Any]:
    return {"prompt_id": key[0], "sample": key[1]}


def _count(codes: Any) -> dict[str, int]:
    out: dict[str, int] = {}
    for c in codes:
        out[c] = out.get(c, 0) + 1
    return out


# -- status ---------------------------------------------------------------------------------------


def status(root: Path) -> dict[str, Any]:
    """Per-iteration counts and progress toward the plan's 100 → 400 → 3,000 targets."""
    state = State(root)
    manifest = state.manifest()
    with state.queue() as q:
        stats = q.stats()
    rows = []
    for it in manifest["iterations"]:
        review = stats.by_iteration.get(it["n"], {})
        decided = sum(review.get(k, 0) for k in ("accepted", "corrected", "rejected"))
        good = review.get("accepted", 0) + review.get("corrected", 0)
        rows.append(
            {
                "iteration": it["n"],
                "phase": it["phase"],
                "trained": it.get("trained", False),
                "backend": it.get("backend", ""),
                "prompts": len(it.get("prompt_ids", [])),
                "generated": it.get("generated", 0),
                "auto_verified": it.get("auto_verified", 0),
                "auto_rejected": it.get("auto_rejected", 0),
                "duplicates": it.get("duplicates", 0),
                "contaminated": it.get("contaminated", 0),
                "enqueued": it.get("enqueued", 0),
                "pending": review.get("pending", 0),
                "accepted": review.get("accepted", 0),
                "corrected": review.get("corrected", 0),
                "rejected": review.get("rejected", 0),
                "acceptance_rate": round(good / decided, 4) if decided else None,
                "auto_pass_rate": round(it["auto_verified"] / it["generated"], 4)
                if it.get("generated")
                else None,
                "reviewer_minutes": round(stats.reviewer_minutes_by_iteration.get(it["n"], 0.0), 2),
            }
        )
    pool = manifest["seed_count"] + stats.counts["accepted"] + stats.counts["corrected"]
    targets = manifest.get("targets", list(TARGETS))
    next_target = next((t for t in targets if t > pool), None)
    rate = stats.acceptance_rate
    projection = None
    if next_target is not None and rate:
        need = next_target - pool
        candidates = need / rate
        projection = {
            "target": next_target,
            "pairs_needed": need,
            "candidates_to_review": round(candidates),
            "reviewer_hours": round(candidates * (stats.minutes_per_sample or 10.0) / 60, 1),
        }
    return {
        "state": str(root),
        "seed": manifest["seed_count"],
        "pool": pool,
        "targets": targets,
        "next_target": next_target,
        "iterations": rows,
        "queue": stats.to_json(),
        "projection": projection,
    }
