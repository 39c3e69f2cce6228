"""Several reviewers on one queue: tokens, leases that expire, two reviews per item, agreement."""

from __future__ import annotations

from pathlib import Path

import pytest

from test_refine_queue import _GOOD, _NO_CAP, Clock, _candidate
from triforce.errors import InputError
from triforce.refine import ReviewQueue
from triforce.refine.agreement import cohen_kappa, krippendorff_alpha
from triforce.refine.queue import _outcome


def _queue(tmp_path: Path, n: int = 3) -> tuple[ReviewQueue, Clock, list[str]]:
    clock = Clock()
    q = ReviewQueue(tmp_path / "q.sqlite", clock=clock)
    ids = []
    for i in range(n):
        s = _candidate(tag=f" {i}")
        q.add(s, {"passed": True, "code": "ok"}, iteration=1)
        ids.append(s.id)
        clock.now += 1
    return q, clock, ids


def test_tokens_are_stored_hashed_and_checked(tmp_path: Path) -> None:
    q, _, _ = _queue(tmp_path, 0)
    token = q.add_reviewer("alice")
    assert q.authenticate("alice", token) and not q.authenticate("alice", token + "x")
    assert not q.authenticate("mallory", token)
    raw = (tmp_path / "q.sqlite").read_bytes() + (tmp_path / "q.sqlite-wal").read_bytes()
    assert token.encode() not in raw
    again = q.add_reviewer("alice")  # a new token replaces the old one
    assert q.authenticate("alice", again) and not q.authenticate("alice", token)
    with pytest.raises(InputError, match="reviewer name"):
        q.add_reviewer("bad name; drop")
    assert q.reviewers() == ["alice"]


def test_two_reviewers_never_hold_the_same_item_and_leases_expire(tmp_path: Path) -> None:
    q, clock, _ids = _queue(tmp_path)
    a = q.lease_next("alice")
    b = q.lease_next("bob")
    assert a is not None and b is not None and a.id != b.id
    assert q.lease_next("alice").id == a.id  # one's own lease comes back first
    with pytest.raises(InputError, match="being reviewed by alice"):
        q.lease(a.id, "bob")
    with pytest.raises(InputError, match="being reviewed by alice"):
        q.reject(a.id, "bob", "not mine to decide")
    clock.now += 16 * 60  # alice walked away: her lease is gone
    assert q.lease(a.id, "bob").id == a.id
    q.release(a.id, "bob")
    assert q.holder(a.id) is None


def test_time_on_task_runs_from_the_lease(tmp_path: Path) -> None:
    q, clock, _ = _queue(tmp_path, 1)
    item = q.lease_next("alice")
    assert item is not None
    clock.now += 7 * 60
    done = q.accept(item.id, "alice")
    assert done.status == "accepted" and done.seconds_spent == 7 * 60
    assert done.decisions[0]["reviewer"] == "alice" and done.decisions[0]["seconds"] == 7 * 60
    assert q.lease_next("alice") is None


def test_two_reviews_per_item_agree_or_dispute(tmp_path: Path) -> None:
    q, _, ids = _queue(tmp_path)
    q.set_reviews_per_item(2)
    first = q.accept(ids[0], "alice")
    assert first.status == "pending" and len(first.decisions) == 1
    with pytest.raises(InputError, match="already decided"):
        q.accept(ids[0], "alice")
    assert q.lease_next("alice").id != ids[0]  # alice is not offered what she decided
    both = q.correct(ids[0], _GOOD.replace("quarter", "fourth"), "bob")
    assert both.status == "corrected" and both.reviewer == "alice, bob"
    assert "fourth" in both.final().answer()
    # a split decision waits for a third reviewer, who settles it
    q.accept(ids[1], "alice")
    split = q.reject(ids[1], "bob", "the shrine is in the wrong dungeon")
    assert split.status == "pending" and [i.id for i in q.disputed()] == [ids[1]]
    settled = q.reject(ids[1], "carol", "agrees with bob")
    assert settled.status == "rejected" and "wrong dungeon" in settled.reason
    stats = q.stats()
    assert stats.agreement["items"] == 2 and stats.agreement["disputed"] == 0
    assert stats.per_reviewer["alice"]["decisions"] == 2


def test_a_refused_correction_is_not_a_decision(tmp_path: Path) -> None:
    q, _, ids = _queue(tmp_path, 1)
    with pytest.raises(InputError, match="correction refused"):
        q.correct(ids[0], _NO_CAP, "alice")
    assert q.get(ids[0]).decisions == [] and q.get(ids[0]).status == "pending"


def test_outcome_rule() -> None:
    assert _outcome(["accepted"], 2) is None
    assert _outcome(["accepted", "corrected"], 2) == "corrected"
    assert _outcome(["rejected", "rejected"], 2) == "rejected"
    assert _outcome(["accepted", "rejected"], 2) is None
    assert _outcome(["accepted", "rejected", "accepted"], 2) == "accepted"
    assert _outcome(["accepted", "rejected", "rejected"], 2) == "rejected"
    assert _outcome(["rejected"], 1) == "rejected"


def test_agreement_statistics_by_hand() -> None:
    # (a,a) (a,a) (r,r) (a,r): observed 3/4; marginals a 3|2, r 1|2 -> chance 1/2 -> kappa 0.5
    pairs = [("a", "a"), ("a", "a"), ("r", "r"), ("a", "r")]
    assert cohen_kappa(pairs) == pytest.approx(0.5)
    # coincidences: o_aa 4, o_rr 2, o_ar = o_ra = 1; n_a 5, n_r 3, n 8 -> 1 - 7*2/30
    assert krippendorff_alpha([list(p) for p in pairs]) == pytest.approx(1 - 14 / 30)
    assert cohen_kappa([("a", "a")]) is None  # one label only: undefined
    assert krippendorff_alpha([["a"], ["b"]]) is None
    # perfect agreement with two labels in use
    assert krippendorff_alpha([["a", "a"], ["r", "r"]]) == pytest.approx(1.0)
