"""`ask_many`: the one way the library asks a model many questions.

Evaluation, refinement, the MoE fan-out and the teachers of the narrative generators all send
a batch of chat requests to a backend with bounded concurrency and act on each answer as it
arrives (grade it, log it, check it). This is that loop, written once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence

from triforce.models.base import Backend, Completion, ItemRequest

OnAnswer = Callable[[ItemRequest, Completion], Awaitable[None]]


async def ask_many(
    backend: Backend,
    requests: Sequence[ItemRequest],
    *,
    concurrency: int = 8,
    on_answer: OnAnswer | None = None,
    close: bool = False,
) -> list[Completion]:
    """Ask every request (at most `concurrency` in flight) and return the answers in request order.

    `on_answer(request, completion)` runs as each answer arrives, outside the concurrency gate, so
    slow work on an answer (grading) overlaps the next requests. An exception in `on_answer` (or
    the backend) cancels the requests not yet answered and is raised. With `close=True` the
    backend is closed at the end, whatever happened."""
    gate = asyncio.Semaphore(max(1, concurrency))
    answers: list[Completion | None] = [None] * len(requests)

    async def one(i: int, request: ItemRequest) -> None:
        async with gate:
            completion = await backend.complete(request)
        answers[i] = completion
        if on_answer is not None:
            await on_answer(request, completion)

    tasks = [asyncio.ensure_future(one(i, r)) for i, r in enumerate(requests)]
    try:
        if tasks:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_EXCEPTION)
        # The first failure (an `on_answer` that stops the batch, say) cancels what is still
        # waiting or in flight instead of letting every other request run to its end.
        for t in tasks:
            if t.done() and not t.cancelled() and (exc := t.exception()) is not None:
                raise exc
    finally:
        pending = [t for t in tasks if not t.done()]
        for t in pending:
            t.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        if close:
            await backend.aclose()
    return [a if a is not None else Completion(error="not asked") for a in answers]
