"""The review queue: lifecycle, re-verified corrections, time tracking, durability after a crash."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from triforce.errors import InputError
from triforce.refine import ReviewQueue, bundled_seeds
from triforce.refine.pairs import make_pair
from triforce.sample import Sample

_GRADING = {
    "kind": "asm-exec",
    "entry": "MagicShrine",
    "convention": "jsl",
    "states": [
        {"name": "low", "initial": {"memory": {"$7EF36E": "$10"}}, "expect": {"mem": {"$7EF36E": "$30"}}},
        {"name": "cap", "initial": {"memory": {"$7EF36E": "$70"}}, "expect": {"mem": {"$7EF36E": "$80"}}},
    ],
}
_GOOD = (
    "The shrine restores a quarter of the meter.\n\n```asm\nMagicShrine:\n    LDA.l $7EF36E\n    CLC\n"
    "    ADC #$20\n    CMP #$81\n    BCC .ok\n    LDA #$80\n.ok\n    STA.l $7EF36E\n    RTL\n```\n"
)
_NO_CAP = _GOOD.replace("    CMP #$81\n    BCC .ok\n    LDA #$80\n", "")


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def _candidate(answer: str = _GOOD, tag: str = "") -> Sample:
    return make_pair(f"Design a magic shrine{tag}.", answer, _GRADING, corpus="pilot", origin="synthetic")


def test_lifecycle_accept_reject_and_time_tracking(tmp_path: Path) -> None:
    clock = Clock()
    with ReviewQueue(tmp_path / "q.sqlite", clock=clock) as q:
        a, b = _candidate(tag=" A"), _candidate(tag=" B")
        assert q.add(a, {"passed": True, "code": "ok"}, iteration=1)
        assert q.add(b, {"passed": True, "code": "ok"}, iteration=1)
        assert not q.add(a, {"passed": True}, iteration=2)  # already queued
        assert {i.id for i in q.items("pending")} == {a.id, b.id}
        q.open(a.id[:8], "alice")
        clock.now += 6 * 60
        done = q.accept(a.id[:8], "alice", notes="clean")
        assert done.status == "accepted" and done.reviewer == "alice" and done.seconds_spent == 360
        assert (
            done.final().verification is not None and done.final().verification.method == "asar+exec+review"
        )
        with pytest.raises(InputError, match="already accepted by alice"):
            q.reject(a.id, "bob", "late")
        with pytest.raises(InputError, match="--reason"):
            q.reject(b.id, "bob", "  ")
        q.reject(b.id, "bob", "quest design contradicts canon", minutes=14)
        stats = q.stats()
        assert stats.counts == {"pending": 0, "accepted": 1, "corrected": 0, "rejected": 1}
        assert stats.acceptance_rate == 0.5
        assert stats.minutes_per_sample == 10.0 and stats.reviewed_minutes == 20.0
        assert [s.id for s in q.accepted_samples()] == [a.id]
        actions = [e["action"] for e in q.events(a.id)]
        assert actions == ["enqueued", "opened", "accepted"]


def test_correction_is_reverified_and_refused_with_the_reason(tmp_path: Path) -> None:
    with ReviewQueue(tmp_path / "q.sqlite") as q:
        bad = _candidate(_NO_CAP)
        q.add(bad, {"passed": True}, iteration=1)
        with pytest.raises(InputError, match=r"correction refused: \(wrong-memory\).*\$7EF36E"):
            q.correct(bad.id, _NO_CAP.replace("ADC #$20", "ADC #$30"), "carol")
        with pytest.raises(InputError, match=r"\(assemble-error\)"):
            q.correct(bad.id, _GOOD.replace("LDA #$80", "LDA #$80 +"), "carol")
        assert q.get(bad.id).status == "pending"
        assert [e["action"] for e in q.events(bad.id)].count("correction-refused") == 2
        item = q.correct(bad.id, _GOOD, "carol", notes="added the cap")
        assert item.status == "corrected"
        fixed = item.final()
        assert fixed.id != bad.id and fixed.answer() == _GOOD
        assert fixed.meta["corrected_from"] == bad.id and fixed.meta["assembled_hex"]
        assert fixed.verification is not None and fixed.verification.passed
        assert fixed.verification.method == "asar+exec+expert-correction"


def test_accept_reverifies(tmp_path: Path) -> None:
    with ReviewQueue(tmp_path / "q.sqlite") as q:
        bad = _candidate(_NO_CAP)
        q.add(bad, {"passed": True}, iteration=1)  # a verdict that lies: accept proves again
        with pytest.raises(InputError, match="no longer verifies"):
            q.accept(bad.id, "dave")
        assert q.get(bad.id).status == "pending"


def test_unknown_and_ambiguous_ids(tmp_path: Path) -> None:
    with ReviewQueue(tmp_path / "q.sqlite") as q:
        for s in bundled_seeds()[:3]:
            q.add(s, {"passed": True}, iteration=1)
        with pytest.raises(InputError, match="no queue item"):
            q.get("zzzz")
        with pytest.raises(InputError, match="several items"):
            q.get("")


_CRASH = textwrap.dedent(
    """
    import os, sys
    from triforce.refine.queue import ReviewQueue
    from triforce.refine import bundled_seeds
    q = ReviewQueue(__import__("pathlib").Path(sys.argv[1]))
    seeds = bundled_seeds()
    q.add(seeds[0], {"passed": True}, iteration=1)       # committed
    q._db.execute("BEGIN IMMEDIATE")                     # a decision half written ...
    q._db.execute("UPDATE items SET status = 'rejected', reviewer = 'x' WHERE id = ?", (seeds[0].id,))
    q._db.execute("INSERT INTO items (id, iteration, status, sample, verdict, created_at) "
                  "VALUES ('half', 1, 'pending', '{', '{}', 0)")
    os._exit(9)                                          # ... and the process dies before COMMIT
    """
)


def test_reopen_after_a_crash_mid_write(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite"
    src = str(Path(__file__).resolve().parents[1] / "src")
    proc = subprocess.run(
        [sys.executable, "-c", _CRASH, str(path)], env={"PYTHONPATH": src}, capture_output=True, text=True
    )
    assert proc.returncode == 9, proc.stderr
    with ReviewQueue(path) as q:
        items = q.items()
        assert [(i.status, i.reviewer) for i in items] == [("pending", None)]
        assert items[0].sample.id == bundled_seeds()[0].id
        assert q.accept(items[0].id, "erin").status == "accepted"
    with ReviewQueue(path) as q:  # the decision survived a reopen
        assert q.get(items[0].id).status == "accepted"


def test_not_a_database(tmp_path: Path) -> None:
    path = tmp_path / "q.sqlite"
    path.write_text("this is not sqlite" * 100)
    with pytest.raises(InputError, match="not a review queue"):
        ReviewQueue(path)
