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
    slow work on an answer (grading) overlaps the next requests. With `close=True` the backend is
    closed at the end, whatever happened."""
    gate = asyncio.Semaphore(max(1, concurrency))
    answers: list[Completion | None] = [None] * len(requests)

    async def one(i: int, request: ItemRequest) -> None:
        async with gate:
            completion = await backend.complete(request)
        answers[i] = completion
        if on_answer is not None:
            await on_answer(request, completion)

    try:
        await asyncio.gather(*(one(i, r) for i, r in enumerate(requests)))
    finally:
        if close:
            await backend.aclose()
    return [a if a is not None else Completion(error="not asked") for a in answers]
