"""The review page in a real browser: Playwright driving Debian's chromium (tools/sysdeps/chromium.sh).

Clicks through accept, reject, correct (a refused correction, then one that verifies), the
keyboard path, two reviewers at once, and the bootstrap loop end to end: a pilot served over
HTTP answers the prompts, `refine step` verifies and queues its candidates, a reviewer accepts
one in the browser and it joins the exported pairs.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest

from review_web_support import queue_with, review_server
from test_refine_queue import _GOOD, _NO_CAP, _candidate
from triforce.refine import ReviewQueue

sync_api = pytest.importorskip("playwright.sync_api")
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield b
        b.close()


def _sign_in(browser: Any, url: str, name: str, token: str) -> Any:
    page = browser.new_context().new_page()
    page.goto(url + "/")
    assert "/login" in page.url
    page.fill("input[name=name]", name)
    page.fill("input[name=token]", token)
    page.click("button[type=submit]")
    page.wait_for_url(url + "/")
    return page


def _item_id(page: Any) -> str:
    return str(page.url.rsplit("/", 1)[1])


def test_accept_reject_and_correct_by_clicking(browser: Any, tmp_path: Path) -> None:
    state = tmp_path / "st"
    tokens = queue_with(state, [_candidate(tag=f" {i}") for i in range(3)])
    with review_server(state) as url:
        page = _sign_in(browser, url, "alice", tokens["alice"])
        page.click("text=Review the next item")
        page.wait_for_selector("#accept")
        assert "PASS" in page.inner_text("#verdict")
        assert "MagicShrine" in page.inner_text("#answer")
        page.click("#accept")
        page.wait_for_selector("#reject-reason")
        page.fill("#reject-reason", "the shrine contradicts the story")
        page.click("#reject")
        page.wait_for_selector("#editor")
        third = _item_id(page)
        page.fill("#editor", _NO_CAP)
        page.click("#save-correction")  # htmx: refused in place, the editor keeps the draft
        page.wait_for_selector("#correction-error")
        assert "correction refused" in page.inner_text("#correction-error")
        assert page.locator("#correction-diff .del").count() >= 1
        assert _item_id(page) == third and page.input_value("#editor") == _NO_CAP
        page.fill("#editor", _GOOD.replace("quarter", "fourth"))
        page.click("#preview")
        page.wait_for_selector("#correction-ok")
        page.click("#save-correction")
        page.wait_for_selector("#empty")
        page.goto(url + "/stats")
        assert page.inner_text("#acceptance").startswith("67")
    with ReviewQueue(state / "queue.sqlite") as q:
        assert q.stats().counts == {"pending": 0, "accepted": 1, "corrected": 1, "rejected": 1}


def test_the_keyboard_path(browser: Any, tmp_path: Path) -> None:
    state = tmp_path / "st"
    tokens = queue_with(state, [_candidate(tag=f" {i}") for i in range(3)])
    with review_server(state) as url:
        page = _sign_in(browser, url, "bob", tokens["bob"])
        page.keyboard.press("n")
        page.wait_for_selector("#accept")
        first = _item_id(page)
        page.keyboard.press("a")  # accept
        page.wait_for_function(f"!location.pathname.endsWith('{first}')")
        page.wait_for_selector("#reject-reason")
        page.keyboard.press("r")  # focus the reason, type, Enter submits
        page.keyboard.type("quest gives the reward twice")
        page.keyboard.press("Enter")
        page.wait_for_selector("#editor")
        page.keyboard.press("e")
        page.keyboard.press("Control+a")
        page.keyboard.type(_GOOD.replace("quarter", "third"))
        page.keyboard.press("Control+Enter")
        page.wait_for_selector("#empty")
    with ReviewQueue(state / "queue.sqlite") as q:
        decided = {i.status for i in q.items()}
        assert decided == {"accepted", "rejected", "corrected"}


def test_two_reviewers_at_once(browser: Any, tmp_path: Path) -> None:
    state = tmp_path / "st"
    tokens = queue_with(state, [_candidate(tag=f" {i}") for i in range(2)])
    with ReviewQueue(state / "queue.sqlite") as q:
        q.set_reviews_per_item(2)
    with review_server(state) as url:
        alice = _sign_in(browser, url, "alice", tokens["alice"])
        bob = _sign_in(browser, url, "bob", tokens["bob"])
        alice.goto(url + "/next")
        bob.goto(url + "/next")
        alice.wait_for_selector("#accept")
        bob.wait_for_selector("#accept")
        a_item, b_item = _item_id(alice), _item_id(bob)
        assert a_item != b_item
        bob.goto(f"{url}/items/{a_item}")  # alice's item: bob may look, not decide
        assert "being reviewed by alice" in bob.inner_text("#lease")
        assert bob.locator("#accept").count() == 0
        alice.click("#accept")
        alice.wait_for_selector("#empty")  # the other item is bob's while he holds it
        # each item needs both reviews: bob finishes his, then takes alice's, and she takes his
        bob.goto(f"{url}/items/{b_item}")
        bob.click("#accept")
        bob.wait_for_selector("#accept")
        assert _item_id(bob) == a_item
        bob.click("#accept")
        bob.wait_for_selector("#empty")
        alice.goto(url + "/next")
        alice.wait_for_selector("#accept")
        assert _item_id(alice) == b_item
        alice.click("#accept")
        alice.wait_for_selector("#empty")
        bob.goto(url + "/stats")
        assert "Items with two or more reviews: 2" in bob.inner_text("#agreement")
    with ReviewQueue(state / "queue.sqlite") as q:
        assert all(i.status == "accepted" and len(i.decisions) == 2 for i in q.items())


def test_bootstrap_loop_end_to_end_with_a_pilot_over_http(browser: Any, tmp_path: Path) -> None:
    from test_refine_loop import _MAGIC
    from triforce.evaluate.reference_server import serve_references
    from triforce.refine import StepOptions, bundled_seeds, init_state, step

    state = tmp_path / "st"
    init_state(state, bundled_seeds(), "bundled")
    prompts = tmp_path / "prompts.jsonl"
    rows = [
        {"id": "shrine-a", "prompt": "Design a magic shrine in the desert.", "grading": _MAGIC},
        {"id": "shrine-b", "prompt": "Design a magic shrine without a cap.", "grading": _MAGIC},
    ]
    prompts.write_text("".join(json.dumps(r) + "\n" for r in rows))
    answers = {rows[0]["prompt"]: _GOOD.replace("shrine", "desert shrine"), rows[1]["prompt"]: _NO_CAP}
    with serve_references(answers) as pilot, ThreadPoolExecutor(1) as pool:
        # its own thread: Playwright's sync API keeps an event loop running in this one
        options = StepOptions(prompts=prompts, backend=pilot.url, train=False)
        record = pool.submit(step, state, options).result()
    assert (record["generated"], record["auto_verified"], record["enqueued"]) == (2, 1, 1)
    with ReviewQueue(state / "queue.sqlite") as q:
        token = q.add_reviewer("alice")
    with review_server(state) as url:
        page = _sign_in(browser, url, "alice", token)
        page.click("text=Review the next item")
        page.wait_for_selector("#accept")
        assert "desert shrine" in page.inner_text("#answer")
        page.click("#accept")
        page.wait_for_selector("#empty")
    from triforce.refine import State

    pool = State(state).pool()
    assert any("desert shrine" in s.answer() for s in pool)
