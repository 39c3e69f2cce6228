"""Backpressure: at most `max_in_flight` requests answered at once, at most `max_queue` waiting.

A request that finds every slot taken waits in a FIFO queue for up to `queue_timeout_s`; one that
finds the queue full too, or waits out its time, is refused with 503 and `Retry-After` (after its
body was read, so the caller receives the answer instead of a reset). A slot is released the
moment its request ends, however it ends: answered, failed, or cancelled because the caller hung
up. Per worker process: each worker admits its own share.
"""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager


class Busy(Exception):
    """No slot now and no room to wait (or the wait ran out)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Admission:
    def __init__(self, max_in_flight: int, max_queue: int, queue_timeout_s: float) -> None:
        self.max_in_flight = max_in_flight
        self.max_queue = max_queue
        self.queue_timeout_s = queue_timeout_s
        self.in_flight = 0
        self._waiters: deque[asyncio.Future[None]] = deque()
        self.refused = 0
        self.admitted = 0

    @property
    def queued(self) -> int:
        return len(self._waiters)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        await self._acquire()
        try:
            yield
        finally:
            self._release()

    async def _acquire(self) -> None:
        if self.in_flight < self.max_in_flight and not self._waiters:
            self.in_flight += 1
            self.admitted += 1
            return
        if len(self._waiters) >= self.max_queue:
            self.refused += 1
            raise Busy(f"{self.in_flight} requests in flight and {len(self._waiters)} waiting")
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._waiters.append(waiter)
        try:
            await asyncio.wait_for(asyncio.shield(waiter), self.queue_timeout_s)
        except TimeoutError:
            if waiter.done() and not waiter.cancelled():  # handed a slot just as time ran out
                self.admitted += 1
                return
            waiter.cancel()
            self.refused += 1
            raise Busy(f"no slot freed within {self.queue_timeout_s:g} s") from None
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._release()  # the slot was handed over as the caller left: pass it on
            else:
                waiter.cancel()
            raise
        finally:
            if waiter in self._waiters:
                self._waiters.remove(waiter)
        self.admitted += 1

    def _release(self) -> None:
        # Hand the slot straight to the oldest live waiter (the count stays), else free it.
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self.in_flight -= 1
