"""Batch the assembly of answers that are graded at the same time into one asar process.

Starting asar costs tens of milliseconds, about as much as running all of an item's test states.
When many answers are graded concurrently (a run at concurrency 32), grading threads hand their
sources to one background thread that waits a few milliseconds for company and assembles them
with `assemble_batch` (each snippet in its own namespace and ROM slot, a failing one isolated).

Time per answer is bounded whatever the model writes: a batch that runs past `timeout_s` is not
re-run half by half with the full timeout (eight looping answers once cost 15 runs of 10 s);
`assemble_batch` locates the slow answers with short probes (O(log n) runs) and gives each one a
single run of its own, and an answer that timed out alone is failed at once when it comes back
(the same looping answer sampled again costs nothing). See `triforce.snes.asar.batch`.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import Future
from typing import Any


class BatchAssembler:
    """Callable like `assemble(source, org=..., stubs=True)`, shared by grading threads."""

    def __init__(self, window_s: float = 0.005, max_batch: int = 64, timeout_s: float = 10.0) -> None:
        self.window_s = window_s
        self.max_batch = max_batch
        self.timeout_s = timeout_s
        self.batches = 0
        self.snippets = 0
        self._pending: list[tuple[str, int, Future[Any]]] = []
        self._cond = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    def __call__(self, source: str, org: int) -> Any:
        future: Future[Any] = Future()
        with self._cond:
            if self._closed:
                raise RuntimeError("BatchAssembler is closed")
            self._pending.append((source, org, future))
            if self._thread is None:
                self._thread = threading.Thread(target=self._serve, name="triforce-batch-asar", daemon=True)
                self._thread.start()
            self._cond.notify()
        return future.result()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()
        if self._thread is not None:
            self._thread.join(timeout=30)

    def _serve(self) -> None:
        while True:
            with self._cond:
                while not self._pending and not self._closed:
                    self._cond.wait()
                if not self._pending and self._closed:
                    return
            time.sleep(self.window_s)  # let the other graders of this moment join the batch
            with self._cond:
                batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            self._run(batch)

    def _run(self, batch: list[tuple[str, int, Future[Any]]]) -> None:
        from triforce.snes.asar import SandboxLimits, assemble_batch

        by_org: dict[int, list[tuple[str, Future[Any]]]] = {}
        for source, org, future in batch:
            by_org.setdefault(org, []).append((source, future))
        for org, group in by_org.items():
            try:
                limits = SandboxLimits(timeout_s=self.timeout_s, probe_timeout_s=min(0.5, self.timeout_s / 4))
                results = assemble_batch([s for s, _ in group], org=org, stubs=True, limits=limits)
            except Exception as exc:  # hand the failure to every waiting grader
                for _, future in group:
                    future.set_exception(exc)
                continue
            self.batches += 1
            self.snippets += len(group)
            for (_, future), result in zip(group, results, strict=True):
                future.set_result(result)
