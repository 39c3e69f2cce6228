"""`triforce review serve`: the review queue as a small web app for experts.

FastAPI + Jinja2 templates, htmx 2 (vendored) for partial updates and keyboard shortcuts, and
plain HTML forms underneath, so every action also works without JavaScript. Each request opens
the queue's SQLite file (WAL; every action one transaction), so several reviewers, several
server processes and the CLI can work on one queue at once. A reviewer takes an item with a
lease (nobody else gets it until it expires or they decide), time on task runs from the lease,
and a correction is re-verified on save and refused with the reason if it fails.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Form, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from triforce.errors import InputError
from triforce.refine.queue import LEASE_MINUTES, STATUSES, ReviewQueue, verify_correction
from triforce.refine.web.session import COOKIE, SESSION_HOURS, Signer, load_secret
from triforce.refine.web.views import diff_lines, item_view

_HERE = resources.files("triforce.refine.web")
FILTERS = (*STATUSES, "disputed", "all")
MAX_ANSWER = 64 * 1024  # characters a correction may have


class _Unauthenticated(Exception):
    pass


def create_app(
    state_dir: Path, *, lease_minutes: float = LEASE_MINUTES, secure_cookie: bool = False
) -> FastAPI:
    """The review app over `<state_dir>/queue.sqlite` (a `triforce refine` state folder)."""
    queue_path = state_dir / "queue.sqlite"
    if not queue_path.exists():
        raise InputError(
            f"{state_dir}: no review queue here (run `triforce refine init` and `refine step` first)"
        )
    signer = Signer(load_secret(state_dir))
    templates = Jinja2Templates(directory=str(_HERE.joinpath("templates")))
    app = FastAPI(title="Triforce review", docs_url=None, redoc_url=None, openapi_url=None)
    app.mount("/static", StaticFiles(directory=str(_HERE.joinpath("static"))), name="static")

    @contextmanager
    def queue() -> Iterator[ReviewQueue]:
        q = ReviewQueue(queue_path)
        try:
            yield q
        finally:
            q.close()

    def reviewer_of(request: Request, q: ReviewQueue) -> str:
        """The signed-in reviewer; a session whose token was reissued is no longer valid."""
        read = signer.read(request.cookies.get(COOKIE))
        if read is None or read[1] != q.fingerprint(read[0]):
            raise _Unauthenticated
        return read[0]

    def check_csrf(request: Request, token: str | None) -> None:
        cookie = request.cookies.get(COOKIE, "")
        header = request.headers.get("X-CSRF-Token")
        if not signer.check_csrf(cookie, token or header):
            raise InputError("the form is stale or came from another site; reload the page and try again")

    def page(request: Request, name: str, code: int = 200, **context: Any) -> HTMLResponse:
        cookie = request.cookies.get(COOKIE, "")
        context.setdefault("csrf", signer.csrf(cookie) if cookie else "")
        context.setdefault("reviewer", None)
        return templates.TemplateResponse(request, name, context, status_code=code)

    def go(request: Request, url: str) -> Response:
        """Redirect a plain form post (303) or an htmx request (HX-Redirect)."""
        if request.headers.get("HX-Request"):
            return Response(status_code=204, headers={"HX-Redirect": url})
        return RedirectResponse(url, status_code=303)

    @app.exception_handler(_Unauthenticated)
    async def _login_first(request: Request, exc: _Unauthenticated) -> Response:
        if request.url.path.startswith("/api/"):
            return JSONResponse({"error": "sign in first"}, status_code=401)
        return go(request, f"/login?next={request.url.path}")

    @app.get("/health")
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/login", response_class=HTMLResponse)
    def login_form(request: Request, next: str = "/") -> HTMLResponse:
        return page(request, "login.html", next=_local(next), error=None)

    @app.post("/login")
    def login(
        request: Request, name: str = Form(...), token: str = Form(...), next: str = Form("/")
    ) -> Response:
        with queue() as q:
            if not q.authenticate(name.strip(), token.strip()):
                return page(
                    request, "login.html", 401, next=_local(next), error="unknown reviewer or wrong token"
                )
            cookie = signer.issue(name.strip(), q.fingerprint(name.strip()))
        response = RedirectResponse(_local(next), status_code=303)
        response.set_cookie(
            COOKIE,
            cookie,
            max_age=int(SESSION_HOURS * 3600),
            httponly=True,
            samesite="strict",
            secure=secure_cookie,
        )
        return response

    @app.post("/logout")
    def logout(request: Request, csrf: str | None = Form(None)) -> Response:
        check_csrf(request, csrf)
        response = RedirectResponse("/login", status_code=303)
        response.delete_cookie(COOKIE)
        return response

    @app.get("/", response_class=HTMLResponse)
    def index(request: Request, status: str = "pending", iteration: int | None = None) -> HTMLResponse:
        if status not in FILTERS:
            status = "pending"
        with queue() as q:
            me = reviewer_of(request, q)
            if status == "disputed":
                items = q.disputed()
            else:
                items = q.items(None if status == "all" else status, iteration)
            held = {i.id: q.holder(i.id) for i in items if i.status == "pending"}
            counts = q.stats().counts
            counts["disputed"] = len(q.disputed())
        rows = [
            {
                "id": i.id,
                "iteration": i.iteration,
                "status": i.status,
                "prompt": (i.sample.meta.get("prompt_id") or i.sample.prompt().splitlines()[-1])[:80],
                "code": i.verdict.get("code", ""),
                "passed": bool(i.verdict.get("passed")),
                "holder": held.get(i.id),
                "decisions": ", ".join(f"{d['reviewer']}: {d['decision']}" for d in i.decisions),
            }
            for i in items
        ]
        return page(
            request, "queue.html", reviewer=me, rows=rows, status=status, filters=FILTERS, counts=counts
        )

    @app.get("/next")
    def next_item(request: Request) -> Response:
        with queue() as q:
            me = reviewer_of(request, q)
            item = q.lease_next(me, minutes=lease_minutes)
        if item is None:
            return page(request, "empty.html", reviewer=me)
        return go(request, f"/items/{item.id}")

    def show(
        request: Request, q: ReviewQueue, me: str, ref: str, code: int = 200, **extra: Any
    ) -> HTMLResponse:
        item = q.get(ref)
        holder = q.holder(item.id)
        if (
            item.status == "pending"
            and (holder is None or holder[0] == me)
            and not any(d["reviewer"] == me for d in item.decisions)
        ):
            item = q.lease(item.id, me, minutes=lease_minutes)
            holder = q.holder(item.id)
        mine = holder is not None and holder[0] == me
        extra.setdefault("error", None)
        extra.setdefault("draft", None)
        extra.setdefault("diff", None)
        return page(
            request,
            "item.html",
            code,
            reviewer=me,
            item=item_view(item),
            mine=mine,
            holder=holder,
            lease_left=None if holder is None else max(0, round((holder[1] - time.time()) / 60)),
            **extra,
        )

    @app.get("/items/{ref}", response_class=HTMLResponse)
    def item_page(request: Request, ref: str) -> HTMLResponse:
        with queue() as q:
            me = reviewer_of(request, q)
            return show(request, q, me, ref)

    @app.post("/items/{ref}/accept")
    def accept(request: Request, ref: str, csrf: str | None = Form(None), notes: str = Form("")) -> Response:
        with queue() as q:
            me = reviewer_of(request, q)
            check_csrf(request, csrf)
            try:
                q.accept(ref, me, notes=notes[:2000])
            except InputError as exc:
                return show(request, q, me, ref, 409, error=str(exc))
        return go(request, "/next")

    @app.post("/items/{ref}/reject")
    def reject(
        request: Request,
        ref: str,
        reason: str = Form(""),
        csrf: str | None = Form(None),
        notes: str = Form(""),
    ) -> Response:
        with queue() as q:
            me = reviewer_of(request, q)
            check_csrf(request, csrf)
            try:
                q.reject(ref, me, reason[:2000], notes=notes[:2000])
            except InputError as exc:
                return show(request, q, me, ref, 422, error=str(exc))
        return go(request, "/next")

    @app.post("/items/{ref}/correct")
    def correct(
        request: Request,
        ref: str,
        answer: str = Form(""),
        csrf: str | None = Form(None),
        notes: str = Form(""),
    ) -> Response:
        with queue() as q:
            me = reviewer_of(request, q)
            check_csrf(request, csrf)
            item = q.get(ref)
            diff = diff_lines(item.sample.answer(), answer[:MAX_ANSWER])
            try:
                if len(answer) > MAX_ANSWER:
                    raise InputError(f"the correction is longer than {MAX_ANSWER} characters")
                q.correct(ref, answer, me, notes=notes[:2000])
            except InputError as exc:
                if request.headers.get("HX-Request"):
                    return page(request, "_correction.html", 422, error=str(exc), diff=diff, ok=False)
                return show(request, q, me, ref, 422, error=str(exc), draft=answer[:MAX_ANSWER], diff=diff)
        return go(request, "/next")

    @app.post("/items/{ref}/preview", response_class=HTMLResponse)
    def preview(
        request: Request, ref: str, answer: str = Form(""), csrf: str | None = Form(None)
    ) -> HTMLResponse:
        """Verify a draft correction without deciding: the diff and the verifier's verdict."""
        with queue() as q:
            reviewer_of(request, q)
            check_csrf(request, csrf)
            item = q.get(ref)
        diff = diff_lines(item.sample.answer(), answer[:MAX_ANSWER])
        _, verdict = verify_correction(item.sample, answer[:MAX_ANSWER])
        error = None if verdict.passed else f"({verdict.code}) {verdict.reason}"
        return page(request, "_correction.html", error=error, diff=diff, ok=verdict.passed)

    @app.post("/items/{ref}/skip")
    def skip(request: Request, ref: str, csrf: str | None = Form(None)) -> Response:
        with queue() as q:
            me = reviewer_of(request, q)
            check_csrf(request, csrf)
            q.release(ref, me)
            nxt = q.lease_next(me, minutes=lease_minutes)
            # skipping should not hand the same item straight back
            if nxt is not None and nxt.id == q.resolve(ref):
                q.release(nxt.id, me)
                nxt = None
        return go(request, f"/items/{nxt.id}" if nxt else "/")

    @app.get("/stats", response_class=HTMLResponse)
    def stats(request: Request) -> HTMLResponse:
        with queue() as q:
            me = reviewer_of(request, q)
            data = q.stats().to_json()
        return page(request, "stats.html", reviewer=me, stats=data)

    @app.get("/api/stats")
    def api_stats(request: Request) -> dict[str, Any]:
        with queue() as q:
            reviewer_of(request, q)
            return q.stats().to_json()

    @app.exception_handler(InputError)
    async def _input_error(request: Request, exc: InputError) -> Response:
        return page(request, "error.html", 400, error=str(exc))

    return app


def _local(url: str) -> str:
    """Only same-site paths after signing in (no open redirect)."""
    return url if url.startswith("/") and not url.startswith("//") else "/"
