"""`triforce review serve | add-reviewer | settings`: the review web page and its reviewers.

Registered on the `review` group of `cli/refine.py`; kept apart so the web server's imports
load only when it is asked for.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console

from triforce.cli.refine import _JSON, _STATE, review_app
from triforce.errors import InputError

_out = Console()


def _queue(state: Path):  # type: ignore[no-untyped-def]
    from triforce.refine import State

    if not (state / "queue.sqlite").exists():
        raise InputError(
            f"{state}: no review queue here (run `triforce refine init` and `refine step` first)"
        )
    return State(state).queue()


@review_app.command("add-reviewer")
def add_reviewer(
    name: str = typer.Argument(..., help="The reviewer's name (letters, digits, . _ -)."),
    state: Path = _STATE,
    as_json: bool = _JSON,
) -> None:
    """Register a reviewer (or issue a new token, which ends their old sessions). The token is
    printed once; only its hash is stored."""
    with _queue(state) as q:
        token = q.add_reviewer(name)
    if as_json:
        typer.echo(json.dumps({"reviewer": name, "token": token}))
        return
    _out.print(f"reviewer [bold]{name}[/]: token [bold]{token}[/] (shown once; sign in at the review page)")


@review_app.command("settings")
def settings(
    reviews_per_item: int | None = typer.Option(
        None, "--reviews-per-item", min=1, max=5, help="Independent decisions an item needs (1-5)."
    ),
    state: Path = _STATE,
    as_json: bool = _JSON,
) -> None:
    """Show or change the queue's settings."""
    with _queue(state) as q:
        if reviews_per_item is not None:
            q.set_reviews_per_item(reviews_per_item)
        data = {"reviews_per_item": q.reviews_per_item(), "reviewers": q.reviewers()}
    if as_json:
        typer.echo(json.dumps(data))
        return
    _out.print(
        f"reviews per item: {data['reviews_per_item']}; reviewers: {', '.join(data['reviewers']) or '-'}"
    )


@review_app.command("serve")
def serve(
    state: Path = _STATE,
    host: str = typer.Option("127.0.0.1", "--host", help="Address to listen on."),
    port: int = typer.Option(8090, "--port", min=1, max=65535, help="Port to listen on."),
    lease_minutes: float = typer.Option(
        15.0, "--lease-minutes", min=1.0, max=24 * 60, help="How long a reviewer holds an item."
    ),
    secure_cookie: bool = typer.Option(
        False, "--secure-cookie", help="Mark the session cookie Secure (behind HTTPS)."
    ),
) -> None:
    """Serve the review page: the queue with filters, one item at a time with the verifier's
    evidence, accept / reject / correct (re-verified on save), keyboard shortcuts, statistics."""
    import errno

    import uvicorn

    from triforce.refine.web import create_app

    app = create_app(state, lease_minutes=lease_minutes, secure_cookie=secure_cookie)
    with _queue(state) as q:
        if not q.reviewers():
            _out.print("[yellow]no reviewers yet[/]: add one with `triforce review add-reviewer NAME`")
    _out.print(f"review page on http://{host}:{port}/ (state {state})")
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning")
    except OSError as exc:
        if exc.errno == errno.EADDRINUSE:
            raise InputError(f"port {port} on {host} is in use; pick another with --port") from None
        raise
