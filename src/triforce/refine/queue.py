"""The expert review queue: pilot candidates wait here until a person accepts, corrects or rejects them.

Stored in SQLite (stdlib): every state change is one transaction, so a crash mid-write leaves
either the old state or the new one, never half of each. Each item keeps the candidate sample,
the automatic verdict the reviewer is shown, who decided, when, why, and how long the review
took (from the first `show` to the decision), which is what checks the plan's 10 min/sample.
Every action is also appended to an `events` table: the audit trail of the dataset.
"""

from __future__ import annotations

import json
import sqlite3
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from triforce.errors import InputError
from triforce.refine.pairs import verify_pair
from triforce.sample import Sample

Status = Literal["pending", "accepted", "corrected", "rejected"]
STATUSES: tuple[str, ...] = ("pending", "accepted", "corrected", "rejected")
PLAN_MINUTES_PER_SAMPLE = 10.0

_SCHEMA = """
CREATE TABLE IF NOT EXISTS items (
    id TEXT PRIMARY KEY,
    iteration INTEGER NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'accepted', 'corrected', 'rejected')),
    sample TEXT NOT NULL,
    verdict TEXT NOT NULL,
    final TEXT,
    reviewer TEXT,
    notes TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    created_at REAL NOT NULL,
    opened_at REAL,
    decided_at REAL,
    seconds_spent REAL
);
CREATE TABLE IF NOT EXISTS events (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    item_id TEXT NOT NULL,
    at REAL NOT NULL,
    action TEXT NOT NULL,
    reviewer TEXT,
    detail TEXT NOT NULL DEFAULT ''
);
"""


@dataclass
class QueueItem:
    id: str
    iteration: int
    status: str
    sample: Sample
    verdict: dict[str, Any]
    final_sample: Sample | None  # what joins the dataset once decided (re-verified)
    reviewer: str | None
    notes: str
    reason: str
    created_at: float
    opened_at: float | None
    decided_at: float | None
    seconds_spent: float | None

    def final(self) -> Sample:
        """What joins the dataset: the correction when there is one, else the candidate."""
        return self.final_sample or self.sample

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "iteration": self.iteration,
            "status": self.status,
            "sample": self.sample.model_dump(mode="json"),
            "verdict": self.verdict,
            "final": self.final_sample.model_dump(mode="json") if self.final_sample else None,
            "reviewer": self.reviewer,
            "notes": self.notes,
            "reason": self.reason,
            "created_at": self.created_at,
            "opened_at": self.opened_at,
            "decided_at": self.decided_at,
            "minutes_spent": None if self.seconds_spent is None else round(self.seconds_spent / 60, 2),
        }


@dataclass
class QueueStats:
    counts: dict[str, int]
    by_iteration: dict[int, dict[str, int]]
    decided: int
    acceptance_rate: float | None  # (accepted + corrected) / decided
    reviewed_minutes: float
    minutes_per_sample: float | None  # mean over decisions with a measured time
    median_minutes: float | None
    timed: int
    reviewer_minutes_by_iteration: dict[int, float] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "counts": self.counts,
            "by_iteration": {str(k): v for k, v in self.by_iteration.items()},
            "decided": self.decided,
            "acceptance_rate": self.acceptance_rate,
            "reviewed_minutes": round(self.reviewed_minutes, 2),
            "minutes_per_sample": self.minutes_per_sample,
            "median_minutes": self.median_minutes,
            "timed_decisions": self.timed,
            "plan_minutes_per_sample": PLAN_MINUTES_PER_SAMPLE,
            "reviewer_minutes_by_iteration": {
                str(k): round(v, 2) for k, v in self.reviewer_minutes_by_iteration.items()
            },
        }


class ReviewQueue:
    """A SQLite-backed queue; open it with `ReviewQueue(path)`, use as a context manager."""

    def __init__(self, path: Path, clock: Any = time.time) -> None:
        self.path = path
        self._clock = clock
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(str(path), isolation_level=None, timeout=30)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
        except sqlite3.DatabaseError as exc:
            raise InputError(f"{path}: not a review queue database ({exc})") from exc
        self._db.row_factory = sqlite3.Row

    def close(self) -> None:
        self._db.close()

    def __enter__(self) -> ReviewQueue:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            yield self._db
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        self._db.execute("COMMIT")

    def _event(
        self, db: sqlite3.Connection, item_id: str, action: str, reviewer: str | None, detail: str
    ) -> None:
        db.execute(
            "INSERT INTO events (item_id, at, action, reviewer, detail) VALUES (?, ?, ?, ?, ?)",
            (item_id, self._clock(), action, reviewer, detail),
        )

    # -- adding -------------------------------------------------------------------------------

    def add(self, sample: Sample, verdict: dict[str, Any], iteration: int) -> bool:
        """Enqueue a candidate as pending; False when an item with its id is already queued."""
        with self._tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO items (id, iteration, status, sample, verdict, created_at) "
                "VALUES (?, ?, 'pending', ?, ?, ?)",
                (sample.id, iteration, sample.model_dump_json(), json.dumps(verdict), self._clock()),
            )
            added = cur.rowcount == 1
            if added:
                self._event(db, sample.id, "enqueued", None, f"iteration {iteration}")
        return added

    # -- reading ------------------------------------------------------------------------------

    def _row(self, row: sqlite3.Row) -> QueueItem:
        return QueueItem(
            id=row["id"],
            iteration=row["iteration"],
            status=row["status"],
            sample=Sample.model_validate_json(row["sample"]),
            verdict=json.loads(row["verdict"]),
            final_sample=Sample.model_validate_json(row["final"]) if row["final"] else None,
            reviewer=row["reviewer"],
            notes=row["notes"],
            reason=row["reason"],
            created_at=row["created_at"],
            opened_at=row["opened_at"],
            decided_at=row["decided_at"],
            seconds_spent=row["seconds_spent"],
        )

    def resolve(self, ref: str) -> str:
        """An item id from a full id or a unique prefix (ids are long hashes)."""
        rows = self._db.execute(
            "SELECT id FROM items WHERE id = ? OR id LIKE ? ESCAPE '\\' LIMIT 3",
            (ref, ref.replace("%", "\\%").replace("_", "\\_") + "%"),
        ).fetchall()
        exact = [r["id"] for r in rows if r["id"] == ref]
        if exact:
            return str(exact[0])
        if not rows:
            raise InputError(f"{self.path}: no queue item {ref!r}")
        if len(rows) > 1:
            raise InputError(f"{self.path}: {ref!r} matches several items; give more of the id")
        return str(rows[0]["id"])

    def get(self, ref: str) -> QueueItem:
        item_id = self.resolve(ref)
        row = self._db.execute("SELECT * FROM items WHERE id = ?", (item_id,)).fetchone()
        return self._row(row)

    def items(self, status: str | None = None, iteration: int | None = None) -> list[QueueItem]:
        query = "SELECT * FROM items WHERE 1=1"
        args: list[object] = []
        if status is not None:
            if status not in STATUSES:
                raise InputError(f"--status {status!r}: expected one of {', '.join(STATUSES)}")
            query += " AND status = ?"
            args.append(status)
        if iteration is not None:
            query += " AND iteration = ?"
            args.append(iteration)
        rows = self._db.execute(query + " ORDER BY created_at, id", args).fetchall()
        return [self._row(r) for r in rows]

    def ids(self) -> set[str]:
        return {str(r[0]) for r in self._db.execute("SELECT id FROM items")}

    def events(self, ref: str | None = None) -> list[dict[str, Any]]:
        if ref is None:
            rows = self._db.execute("SELECT * FROM events ORDER BY seq").fetchall()
        else:
            rows = self._db.execute(
                "SELECT * FROM events WHERE item_id = ? ORDER BY seq", (self.resolve(ref),)
            ).fetchall()
        return [dict(r) for r in rows]

    # -- reviewing ----------------------------------------------------------------------------

    def open(self, ref: str, reviewer: str | None = None) -> QueueItem:
        """Show an item for review; the first opening of a pending item starts its review clock."""
        item_id = self.resolve(ref)
        with self._tx() as db:
            cur = db.execute(
                "UPDATE items SET opened_at = ? WHERE id = ? AND status = 'pending' AND opened_at IS NULL",
                (self._clock(), item_id),
            )
            if cur.rowcount:
                self._event(db, item_id, "opened", reviewer, "")
        return self.get(item_id)

    def _pending(self, ref: str) -> QueueItem:
        item = self.get(ref)
        if item.status != "pending":
            raise InputError(
                f"item {item.id} is already {item.status}"
                + (f" by {item.reviewer}" if item.reviewer else "")
                + "; only pending items can be decided"
            )
        return item

    def _decide(
        self,
        item: QueueItem,
        status: Status,
        reviewer: str,
        *,
        reason: str = "",
        notes: str = "",
        final: Sample | None = None,
        minutes: float | None = None,
    ) -> QueueItem:
        now = self._clock()
        if minutes is not None:
            if minutes < 0:
                raise InputError("--minutes must not be negative")
            seconds: float | None = minutes * 60
        else:
            seconds = None if item.opened_at is None else max(0.0, now - item.opened_at)
        with self._tx() as db:
            cur = db.execute(
                "UPDATE items SET status = ?, reviewer = ?, reason = ?, notes = ?, final = ?, "
                "decided_at = ?, seconds_spent = ? WHERE id = ? AND status = 'pending'",
                (
                    status,
                    reviewer,
                    reason,
                    notes,
                    final.model_dump_json() if final else None,
                    now,
                    seconds,
                    item.id,
                ),
            )
            if cur.rowcount != 1:
                raise InputError(f"item {item.id} was decided by someone else meanwhile")
            self._event(db, item.id, status, reviewer, reason or notes)
        return self.get(item.id)

    def accept(self, ref: str, reviewer: str, notes: str = "", minutes: float | None = None) -> QueueItem:
        """Accept a candidate as generated. It was auto-verified when enqueued; re-proven here."""
        item = self._pending(ref)
        proved, verdict = verify_pair(item.sample, method="asar+exec+review")
        if not verdict.passed:
            raise InputError(f"item {item.id}: no longer verifies: ({verdict.code}) {verdict.reason}")
        return self._decide(item, "accepted", reviewer, notes=notes, final=proved, minutes=minutes)

    def reject(
        self, ref: str, reviewer: str, reason: str, notes: str = "", minutes: float | None = None
    ) -> QueueItem:
        if not reason.strip():
            raise InputError("a rejection needs a --reason (it trains the next reviewer and the filters)")
        item = self._pending(ref)
        return self._decide(item, "rejected", reviewer, reason=reason.strip(), notes=notes, minutes=minutes)

    def correct(
        self, ref: str, answer: str, reviewer: str, notes: str = "", minutes: float | None = None
    ) -> QueueItem:
        """Replace the answer with the reviewer's; refused (item stays pending) unless it verifies."""
        item = self._pending(ref)
        if not answer.strip():
            raise InputError(f"item {item.id}: the corrected answer is empty")
        messages = [m for m in item.sample.messages if m.role != "assistant"]
        fixed = item.sample.model_copy(
            update={
                "messages": [*messages, item.sample.messages[-1].model_copy(update={"content": answer})],
                "id": "",
            }
        )
        fixed = type(fixed).model_validate(fixed.model_dump())  # recompute the content id
        proved, verdict = verify_pair(fixed, method="asar+exec+expert-correction")
        if not verdict.passed:
            with self._tx() as db:
                self._event(db, item.id, "correction-refused", reviewer, f"({verdict.code}) {verdict.reason}")
            raise InputError(f"item {item.id}: correction refused: ({verdict.code}) {verdict.reason}")
        meta = {**proved.meta, "corrected_from": item.id}
        proved = proved.model_copy(update={"meta": meta})
        return self._decide(item, "corrected", reviewer, notes=notes, final=proved, minutes=minutes)

    # -- summaries ----------------------------------------------------------------------------

    def accepted_samples(self) -> list[Sample]:
        """Every accepted or corrected pair, in the form that joins the dataset."""
        return [i.final() for i in self.items() if i.status in ("accepted", "corrected")]

    def stats(self) -> QueueStats:
        items = self.items()
        counts = {s: 0 for s in STATUSES}
        by_iteration: dict[int, dict[str, int]] = {}
        minutes_by_iteration: dict[int, float] = {}
        spent: list[float] = []
        for item in items:
            counts[item.status] += 1
            row = by_iteration.setdefault(item.iteration, {s: 0 for s in STATUSES})
            row[item.status] += 1
            if item.status != "pending" and item.seconds_spent is not None:
                spent.append(item.seconds_spent / 60)
                minutes_by_iteration[item.iteration] = (
                    minutes_by_iteration.get(item.iteration, 0.0) + item.seconds_spent / 60
                )
        decided = counts["accepted"] + counts["corrected"] + counts["rejected"]
        rate = (counts["accepted"] + counts["corrected"]) / decided if decided else None
        return QueueStats(
            counts=counts,
            by_iteration=by_iteration,
            decided=decided,
            acceptance_rate=None if rate is None else round(rate, 4),
            reviewed_minutes=sum(spent),
            minutes_per_sample=round(statistics.fmean(spent), 2) if spent else None,
            median_minutes=round(statistics.median(spent), 2) if spent else None,
            timed=len(spent),
            reviewer_minutes_by_iteration=minutes_by_iteration,
        )
