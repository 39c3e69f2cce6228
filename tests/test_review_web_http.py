"""The review page over plain HTTP, without JavaScript: sign-in, CSRF, leases, decisions."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest

from review_web_support import queue_with, review_server
from test_refine_queue import _GOOD, _NO_CAP, _candidate
from triforce.refine import ReviewQueue


def _login(client: httpx.Client, name: str, token: str) -> None:
    r = client.post("/login", data={"name": name, "token": token, "next": "/"})
    assert r.status_code == 303, r.text


def _csrf(html: str) -> str:
    m = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert m, "no CSRF field on the page"
    return m.group(1)


@pytest.fixture
def served(tmp_path: Path):  # type: ignore[no-untyped-def]
    state = tmp_path / "st"
    samples = [_candidate(tag=f" {i}") for i in range(3)]
    tokens = queue_with(state, samples)
    with review_server(state) as url:
        yield url, tokens, state, samples


def test_no_anonymous_access_and_wrong_tokens_refused(served) -> None:  # type: ignore[no-untyped-def]
    url, _tokens, _, samples = served
    with httpx.Client(base_url=url) as c:
        assert c.get("/").status_code == 303
        assert c.post(f"/items/{samples[0].id}/accept", data={}).status_code == 303  # to the login page
        r = c.post("/login", data={"name": "alice", "token": "wrong"})
        assert r.status_code == 401 and "wrong token" in r.text
        assert c.get("/", follow_redirects=False).headers["location"].startswith("/login")


def test_accept_reject_correct_without_javascript(served) -> None:  # type: ignore[no-untyped-def]
    url, tokens, state, _samples = served
    with httpx.Client(base_url=url) as c:
        _login(c, "alice", tokens["alice"])
        r = c.get("/next")
        assert r.status_code == 303
        page = c.get(r.headers["location"])
        assert "Verifier" in page.text and "MagicShrine" in page.text and "yours for" in page.text
        first = r.headers["location"].rsplit("/", 1)[1]
        # a post without the CSRF token is refused
        assert c.post(f"/items/{first}/accept", data={}).status_code == 400
        r = c.post(f"/items/{first}/accept", data={"csrf": _csrf(page.text)})
        assert r.status_code == 303 and r.headers["location"] == "/next"
        second = c.get("/next").headers["location"].rsplit("/", 1)[1]
        page = c.get(f"/items/{second}")
        r = c.post(f"/items/{second}/reject", data={"csrf": _csrf(page.text), "reason": ""})
        assert r.status_code == 422 and "needs a --reason" in r.text
        r = c.post(f"/items/{second}/reject", data={"csrf": _csrf(page.text), "reason": "wrong dungeon"})
        assert r.status_code == 303
        third = c.get("/next").headers["location"].rsplit("/", 1)[1]
        page = c.get(f"/items/{third}")
        r = c.post(f"/items/{third}/correct", data={"csrf": _csrf(page.text), "answer": _NO_CAP})
        assert r.status_code == 422 and "correction refused" in r.text and "$7EF36E" in r.text
        assert 'class="del"' in r.text  # the diff against the model's answer is shown
        fixed = _GOOD.replace("quarter", "fourth")
        r = c.post(f"/items/{third}/correct", data={"csrf": _csrf(page.text), "answer": fixed})
        assert r.status_code == 303
        assert "Nothing left for you" in c.get("/next").text
    with ReviewQueue(state / "queue.sqlite") as q:
        assert q.stats().counts == {"pending": 0, "accepted": 1, "corrected": 1, "rejected": 1}
        assert [d["reviewer"] for i in q.items() for d in i.decisions] == ["alice"] * 3


def test_two_reviewers_get_different_items(served) -> None:  # type: ignore[no-untyped-def]
    url, tokens, _, _samples = served
    with httpx.Client(base_url=url) as a, httpx.Client(base_url=url) as b:
        _login(a, "alice", tokens["alice"])
        _login(b, "bob", tokens["bob"])
        got_a = a.get("/next").headers["location"]
        got_b = b.get("/next").headers["location"]
        assert got_a != got_b
        page = b.get(got_a)  # bob looks at alice's item: read-only
        assert "being reviewed by alice" in page.text and 'id="accept"' not in page.text
        r = b.post(got_a + "/accept", data={"csrf": _csrf(page.text)})
        assert r.status_code == 409 and "being reviewed by alice" in r.text


def test_a_new_token_ends_old_sessions(served) -> None:  # type: ignore[no-untyped-def]
    url, tokens, state, _ = served
    with httpx.Client(base_url=url) as c:
        _login(c, "alice", tokens["alice"])
        assert c.get("/").status_code == 200
        with ReviewQueue(state / "queue.sqlite") as q:
            q.add_reviewer("alice")
        assert c.get("/").status_code == 303
