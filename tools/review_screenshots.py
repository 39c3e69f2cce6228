"""Screenshots of the review page for docs/ (queue, an item with its evidence, a refused
correction with its diff, the statistics), taken in Debian's chromium with Playwright.

    PYTHONPATH=src python tools/review_screenshots.py [--out docs/images]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from review_web_support import queue_with, review_server
from test_refine_queue import _NO_CAP, _candidate
from triforce.refine import ReviewQueue


def main() -> None:
    from playwright.sync_api import sync_playwright

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("docs/images"))
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        state = Path(tmp) / "st"
        tokens = queue_with(state, [_candidate(tag=f" {i}") for i in range(5)])
        with ReviewQueue(state / "queue.sqlite") as q:
            first = q.items()[0].id
            q.accept(first, "bob")
        with review_server(state) as url, sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path="/usr/bin/chromium",
                args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
            )
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            page.goto(url + "/login")
            page.fill("input[name=name]", "alice")
            page.fill("input[name=token]", tokens["alice"])
            page.click("button[type=submit]")
            page.wait_for_url(url + "/")
            page.goto(url + "/?status=all")
            page.screenshot(path=str(args.out / "review-queue.png"), full_page=True)
            page.goto(url + "/next")
            page.wait_for_selector("#accept")
            page.screenshot(path=str(args.out / "review-item.png"), full_page=True)
            page.fill("#editor", _NO_CAP)
            page.click("#save-correction")
            page.wait_for_selector("#correction-error")
            page.locator(".actions").screenshot(path=str(args.out / "review-correction-refused.png"))
            page.goto(url + "/stats")
            page.screenshot(path=str(args.out / "review-stats.png"), full_page=True)
            browser.close()
    print(f"screenshots in {args.out}")


if __name__ == "__main__":
    main()
