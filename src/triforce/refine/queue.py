"""The expert review queue: pilot candidates wait here until a person accepts, corrects or rejects them.

Stored in SQLite (stdlib): every state change is one transaction, so a crash mid-write leaves
either the old state or the new one, never half of each. Each item keeps the candidate sample,
the automatic verdict the reviewer is shown, who decided, when, why, and how long the review
took (from the first `show` to the decision), which is what checks the plan's 10 min/sample.
Every action is also appended to an `events` table: the audit trail of the dataset.

Several reviewers can work at once: each is registered with a token (`add_reviewer`, stored as a
hash), takes an item with a lease that expires (`lease_next`), so two reviewers never hold the
same item, and an item can require two independent decisions (`set_reviews_per_item(2)`), whose
agreement (Cohen's kappa, Krippendorff's alpha) the stats report. Each reviewer's decision and
time on task is kept in `decisions`; the item's own status follows once enough agree.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import sqlite3
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from triforce.errors import InputError
from triforce.refine.agreement import cohen_kappa, krippendorff_alpha
from triforce.refine.pairs import verify_pair
from triforce.sample import Sample

Status = Literal["pending", "accepted", "corrected", "rejected"]
LEASE_MINUTES = 15.0  # how long a reviewer holds an item before others may take it
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
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
CREATE TABLE IF NOT EXISTS reviewers (
    name TEXT PRIMARY KEY,
    token_sha256 TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS leases (
    item_id TEXT PRIMARY KEY,
    reviewer TEXT NOT NULL,
    started_at REAL NOT NULL,
    expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS decisions (
    item_id TEXT NOT NULL,
    reviewer TEXT NOT NULL,
    decision TEXT NOT NULL CHECK (decision IN ('accepted', 'corrected', 'rejected')),
    reason TEXT NOT NULL DEFAULT '',
    final TEXT,
    at REAL NOT NULL,
    seconds REAL,
    PRIMARY KEY (item_id, reviewer)
);
CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
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


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def _outcome(decisions: list[str], required: int) -> str | None:
    """The item's status once its decisions settle it, else None (too few, or a dispute).

    All reject -> rejected; none reject -> corrected when anyone corrected, else accepted. Mixed
    decisions are a dispute until one side holds a strict majority of more than `required`."""
    if len(decisions) < required:
        return None
    rejects = decisions.count("rejected")
    keeps = len(decisions) - rejects
    if keeps and rejects and (len(decisions) <= required or keeps == rejects):
        return None
    if rejects > keeps:
        return "rejected"
    return "corrected" if "corrected" in decisions else "accepted"


def verify_correction(sample: Sample, answer: str) -> tuple[Sample, Any]:
    """The sample with its last assistant turn replaced by `answer`, re-proven (content id anew)."""
    messages = [m for m in sample.messages if m.role != "assistant"]
    fixed = sample.model_copy(
        update={"messages": [*messages, sample.messages[-1].model_copy(update={"content": answer})], "id": ""}
    )
    fixed = type(fixed).model_validate(fixed.model_dump())  # recompute the content id
    return verify_pair(fixed, method="asar+exec+expert-correction")


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
    decisions: list[dict[str, Any]] = field(default_factory=list)  # one per reviewer, in time order

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
            "decisions": [
                {k: d[k] for k in ("reviewer", "decision", "reason", "at", "seconds")} for d in self.decisions
            ],
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
    reviews_per_item: int = 1
    # items with two or more decisions: how often reviewers agree, beyond chance
    agreement: dict[str, Any] = field(default_factory=dict)
    per_reviewer: dict[str, dict[str, Any]] = field(default_factory=dict)

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
            "reviews_per_item": self.reviews_per_item,
            "agreement": self.agreement,
            "per_reviewer": self.per_reviewer,
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
            decisions=[
                dict(d)
                for d in self._db.execute(
                    "SELECT * FROM decisions WHERE item_id = ? ORDER BY at, reviewer", (row["id"],)
                ).fetchall()
            ],
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

    # -- reviewers and leases -----------------------------------------------------------------

    def add_reviewer(self, name: str) -> str:
        """Register a reviewer (or issue a new token to one) and return the token, shown once:
        only its SHA-256 is stored."""
        if not _NAME.fullmatch(name):
            raise InputError(f"reviewer name {name!r}: use 1-64 letters, digits, '.', '_' or '-'")
        token = secrets.token_urlsafe(24)
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO reviewers (name, token_sha256, created_at) VALUES (?, ?, ?)",
                (name, _digest(token), self._clock()),
            )
            self._event(db, "-", "reviewer-token", name, "")
        return token

    def reviewers(self) -> list[str]:
        return [str(r[0]) for r in self._db.execute("SELECT name FROM reviewers ORDER BY name")]

    def authenticate(self, name: str, token: str) -> bool:
        """Whether `token` is this reviewer's current token (constant-time comparison)."""
        row = self._db.execute("SELECT token_sha256 FROM reviewers WHERE name = ?", (name,)).fetchone()
        return row is not None and hmac.compare_digest(str(row[0]), _digest(token))

    def fingerprint(self, name: str) -> str:
        """A short fingerprint of the reviewer's current token ("" when unknown): sessions carry it,
        so issuing a new token ends the old sessions."""
        row = self._db.execute("SELECT token_sha256 FROM reviewers WHERE name = ?", (name,)).fetchone()
        return "" if row is None else str(row[0])[:16]

    def reviews_per_item(self) -> int:
        row = self._db.execute("SELECT value FROM settings WHERE key = 'reviews_per_item'").fetchone()
        return int(row[0]) if row else 1

    def set_reviews_per_item(self, n: int) -> None:
        """How many independent decisions an item needs (1-5); items already decided keep theirs."""
        if not 1 <= n <= 5:
            raise InputError(f"reviews per item must be 1-5, got {n}")
        with self._tx() as db:
            db.execute(
                "INSERT OR REPLACE INTO settings (key, value) VALUES ('reviews_per_item', ?)", (str(n),)
            )
            self._event(db, "-", "reviews-per-item", None, str(n))

    def holder(self, ref: str) -> tuple[str, float] | None:
        """(reviewer, expires_at) of the item's live lease, or None."""
        row = self._db.execute(
            "SELECT reviewer, expires_at FROM leases WHERE item_id = ? AND expires_at > ?",
            (self.resolve(ref), self._clock()),
        ).fetchone()
        return None if row is None else (str(row[0]), float(row[1]))

    def lease_next(
        self, reviewer: str, minutes: float = LEASE_MINUTES, iteration: int | None = None
    ) -> QueueItem | None:
        """The next pending item this reviewer has not decided and nobody else holds, leased to
        them for `minutes` (their own unexpired lease comes back first); None when none is left."""
        now = self._clock()
        with self._tx() as db:
            db.execute("DELETE FROM leases WHERE expires_at <= ?", (now,))
            query = (
                "SELECT i.id FROM items i LEFT JOIN leases l ON l.item_id = i.id "
                "WHERE i.status = 'pending' AND (l.reviewer IS NULL OR l.reviewer = ?) "
                "AND NOT EXISTS (SELECT 1 FROM decisions d WHERE d.item_id = i.id AND d.reviewer = ?)"
            )
            args: list[object] = [reviewer, reviewer]
            if iteration is not None:
                query += " AND i.iteration = ?"
                args.append(iteration)
            row = db.execute(
                query + " ORDER BY (l.reviewer IS NULL), i.created_at, i.id LIMIT 1", args
            ).fetchone()
            if row is None:
                return None
            self._take(db, str(row[0]), reviewer, now, minutes)
        return self.get(str(row[0]))

    def lease(self, ref: str, reviewer: str, minutes: float = LEASE_MINUTES) -> QueueItem:
        """Lease one item to this reviewer; refused while another reviewer holds it."""
        item_id = self.resolve(ref)
        now = self._clock()
        with self._tx() as db:
            db.execute("DELETE FROM leases WHERE expires_at <= ?", (now,))
            row = db.execute("SELECT status FROM items WHERE id = ?", (item_id,)).fetchone()
            if row["status"] != "pending":
                raise InputError(
                    f"item {item_id} is already {row['status']}; only pending items are reviewed"
                )
            self._check_free(db, item_id, reviewer, now)
            self._take(db, item_id, reviewer, now, minutes)
        return self.get(item_id)

    def release(self, ref: str, reviewer: str) -> None:
        """Give a lease back (skip): the item goes back to the queue for others."""
        item_id = self.resolve(ref)
        with self._tx() as db:
            cur = db.execute("DELETE FROM leases WHERE item_id = ? AND reviewer = ?", (item_id, reviewer))
            if cur.rowcount:
                self._event(db, item_id, "released", reviewer, "")

    def _take(self, db: sqlite3.Connection, item_id: str, reviewer: str, now: float, minutes: float) -> None:
        old = db.execute("SELECT reviewer, started_at FROM leases WHERE item_id = ?", (item_id,)).fetchone()
        started = float(old["started_at"]) if old is not None and old["reviewer"] == reviewer else now
        db.execute(
            "INSERT OR REPLACE INTO leases (item_id, reviewer, started_at, expires_at) VALUES (?, ?, ?, ?)",
            (item_id, reviewer, started, now + minutes * 60),
        )
        cur = db.execute("UPDATE items SET opened_at = ? WHERE id = ? AND opened_at IS NULL", (now, item_id))
        if old is None or old["reviewer"] != reviewer:
            self._event(db, item_id, "leased", reviewer, f"{minutes:g} min")
        if cur.rowcount:
            self._event(db, item_id, "opened", reviewer, "")

    def _check_free(self, db: sqlite3.Connection, item_id: str, reviewer: str, now: float) -> None:
        row = db.execute(
            "SELECT reviewer, expires_at FROM leases WHERE item_id = ? AND expires_at > ?", (item_id, now)
        ).fetchone()
        if row is not None and row["reviewer"] != reviewer:
            left = max(1, round((float(row["expires_at"]) - now) / 60))
            raise InputError(
                f"item {item_id} is being reviewed by {row['reviewer']} (lease ends in {left} min)"
            )

    # -- reviewing ----------------------------------------------------------------------------

    def open(self, ref: str, reviewer: str | None = None) -> QueueItem:
        """Show an item for review; the first opening of a pending item starts its review clock.
        (Reading takes no lease: `lease`/`lease_next` hold an item for one reviewer.)"""
        item_id = self.resolve(ref)
        with self._tx() as db:
            cur = db.execute(
                "UPDATE items SET opened_at = ? WHERE id = ? AND status = 'pending' AND opened_at IS NULL",
                (self._clock(), item_id),
            )
            if cur.rowcount:
                self._event(db, item_id, "opened", reviewer, "")
        return self.get(item_id)

    def _pending(self, ref: str, reviewer: str | None = None) -> QueueItem:
        item = self.get(ref)
        if item.status != "pending":
            raise InputError(
                f"item {item.id} is already {item.status}"
                + (f" by {item.reviewer}" if item.reviewer else "")
                + "; only pending items can be decided"
            )
        if reviewer is not None and any(d["reviewer"] == reviewer for d in item.decisions):
            raise InputError(
                f"item {item.id}: {reviewer} has already decided it; it waits for another reviewer"
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
        """Record one reviewer's decision; the item is decided once enough decisions agree."""
        now = self._clock()
        if minutes is not None and minutes < 0:
            raise InputError("--minutes must not be negative")
        with self._tx() as db:
            self._check_free(db, item.id, reviewer, now)
            lease = db.execute(
                "SELECT started_at FROM leases WHERE item_id = ? AND reviewer = ?", (item.id, reviewer)
            ).fetchone()
            if minutes is not None:
                seconds: float | None = minutes * 60
            elif lease is not None:
                seconds = max(0.0, now - float(lease["started_at"]))
            elif item.opened_at is not None and not item.decisions:
                seconds = max(0.0, now - item.opened_at)
            else:
                seconds = None
            try:
                db.execute(
                    "INSERT INTO decisions (item_id, reviewer, decision, reason, final, at, seconds) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?)",
                    (
                        item.id,
                        reviewer,
                        status,
                        reason,
                        final.model_dump_json() if final else None,
                        now,
                        seconds,
                    ),
                )
            except sqlite3.IntegrityError:
                raise InputError(f"item {item.id}: {reviewer} has already decided it") from None
            db.execute("DELETE FROM leases WHERE item_id = ?", (item.id,))
            self._event(db, item.id, status, reviewer, reason or notes)
            rows = db.execute("SELECT * FROM decisions WHERE item_id = ? ORDER BY at, reviewer", (item.id,))
            decisions = [dict(r) for r in rows.fetchall()]
            outcome = _outcome([d["decision"] for d in decisions], self.reviews_per_item())
            if outcome is None:
                if len(decisions) >= self.reviews_per_item():
                    self._event(db, item.id, "disputed", None, ", ".join(d["decision"] for d in decisions))
            else:
                kept = [d for d in decisions if d["decision"] == outcome] or decisions
                timed = [d["seconds"] for d in decisions if d["seconds"] is not None]
                cur = db.execute(
                    "UPDATE items SET status = ?, reviewer = ?, reason = ?, notes = ?, final = ?, "
                    "decided_at = ?, seconds_spent = ? WHERE id = ? AND status = 'pending'",
                    (
                        outcome,
                        ", ".join(d["reviewer"] for d in decisions),
                        "; ".join(
                            d["reason"] for d in decisions if d["decision"] == "rejected" and d["reason"]
                        ),
                        notes,
                        None if outcome == "rejected" else kept[0]["final"],
                        now,
                        sum(timed) if timed else None,
                        item.id,
                    ),
                )
                if cur.rowcount != 1:
                    raise InputError(f"item {item.id} was decided by someone else meanwhile")
        return self.get(item.id)

    def accept(self, ref: str, reviewer: str, notes: str = "", minutes: float | None = None) -> QueueItem:
        """Accept a candidate as generated. It was auto-verified when enqueued; re-proven here."""
        item = self._pending(ref, reviewer)
        proved, verdict = verify_pair(item.sample, method="asar+exec+review")
        if not verdict.passed:
            raise InputError(f"item {item.id}: no longer verifies: ({verdict.code}) {verdict.reason}")
        return self._decide(item, "accepted", reviewer, notes=notes, final=proved, minutes=minutes)

    def reject(
        self, ref: str, reviewer: str, reason: str, notes: str = "", minutes: float | None = None
    ) -> QueueItem:
        if not reason.strip():
            raise InputError("a rejection needs a --reason (it trains the next reviewer and the filters)")
        item = self._pending(ref, reviewer)
        return self._decide(item, "rejected", reviewer, reason=reason.strip(), notes=notes, minutes=minutes)

    def correct(
        self, ref: str, answer: str, reviewer: str, notes: str = "", minutes: float | None = None
    ) -> QueueItem:
        """Replace the answer with the reviewer's; refused (item stays pending) unless it verifies."""
        item = self._pending(ref, reviewer)
        if not answer.strip():
            raise InputError(f"item {item.id}: the corrected answer is empty")
        proved, verdict = verify_correction(item.sample, answer)
        if not verdict.passed:
            with self._tx() as db:
                self._event(db, item.id, "correction-refused", reviewer, f"({verdict.code}) {verdict.reason}")
            raise InputError(f"item {item.id}: correction refused: ({verdict.code}) {verdict.reason}")
        meta = {**proved.meta, "corrected_from": item.id}
        proved = proved.model_copy(update={"meta": meta})
        return self._decide(item, "corrected", reviewer, notes=notes, final=proved, minutes=minutes)

    def disputed(self) -> list[QueueItem]:
        """Pending items whose required decisions disagree: a further reviewer settles them."""
        need = self.reviews_per_item()
        return [i for i in self.items("pending") if len(i.decisions) >= need]

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
        units = [[d["decision"] for d in item.decisions] for item in items if len(item.decisions) >= 2]
        kappa = cohen_kappa([(u[0], u[1]) for u in units])
        alpha = krippendorff_alpha(units)
        per_reviewer: dict[str, dict[str, Any]] = {}
        for item in items:
            for d in item.decisions:
                mine = per_reviewer.setdefault(d["reviewer"], {"decisions": 0, "minutes": 0.0})
                mine["decisions"] += 1
                mine[d["decision"]] = mine.get(d["decision"], 0) + 1
                mine["minutes"] = round(mine["minutes"] + (d["seconds"] or 0.0) / 60, 2)
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
            reviews_per_item=self.reviews_per_item(),
            agreement={
                "items": len(units),
                "cohen_kappa": None if kappa is None else round(kappa, 4),
                "krippendorff_alpha": None if alpha is None else round(alpha, 4),
                "disputed": len(self.disputed()),
            },
            per_reviewer=dict(sorted(per_reviewer.items())),
        )
