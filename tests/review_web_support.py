"""A review page served for real (uvicorn on a free port, in a thread) over a queue with items."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import uvicorn

from triforce.refine import ReviewQueue
from triforce.refine.pairs import verify_pair
from triforce.refine.web import create_app


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def review_server(state: Path, lease_minutes: float = 15.0) -> Iterator[str]:
    """Serve the review page of `state` and yield its base URL."""
    port = free_port()
    config = uvicorn.Config(
        create_app(state, lease_minutes=lease_minutes), host="127.0.0.1", port=port, log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("the review server did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def queue_with(state: Path, samples: list[object]) -> dict[str, str]:
    """A queue in `state` holding these candidates (pending, with the verdict and assembled bytes the
    refinement step would record) and two reviewers;
    returns {reviewer: token}."""
    state.mkdir(parents=True, exist_ok=True)
    with ReviewQueue(state / "queue.sqlite") as q:
        for s in samples:
            proved, verdict = verify_pair(s)  # type: ignore[arg-type]
            q.add(proved, verdict.model_dump(), iteration=1)
        return {name: q.add_reviewer(name) for name in ("alice", "bob")}
