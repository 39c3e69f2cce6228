"""Reading an HTTP answer with a bound: a model server is untrusted input like any file.

An upstream that streams without end (a runaway generation, a broken proxy, a hostile server)
must not grow a client's memory until it dies: every body and every server-sent-event stream is
read chunk by chunk and refused once it passes `limit` bytes. Used by `triforce.models`' OpenAI
backend (evaluation, teacher, the gateway's MoE legs) and by the gateway's upstream client; both
take their chunks from an httpx response's `aiter_bytes()`.
"""

from __future__ import annotations

import codecs
from collections.abc import AsyncIterable, AsyncIterator

DEFAULT_MAX_ANSWER = 8 << 20  # bytes of one answer (a whole stream counts as one answer)


class AnswerTooLarge(Exception):
    """The answer passed its byte bound; reading stopped there."""

    def __init__(self, limit: int, what: str = "the answer") -> None:
        super().__init__(f"{what} is larger than {limit:,} bytes (max_answer_bytes); reading stopped there")
        self.limit = limit


async def read_capped(chunks: AsyncIterable[bytes], limit: int, what: str = "the answer") -> bytes:
    """The whole body, or AnswerTooLarge as soon as it passes `limit` bytes."""
    out = bytearray()
    async for chunk in chunks:
        out += chunk
        if len(out) > limit:
            raise AnswerTooLarge(limit, what)
    return bytes(out)


async def capped_lines(
    chunks: AsyncIterable[bytes], limit: int, what: str = "the stream"
) -> AsyncIterator[str]:
    """The body's lines (UTF-8, `\\n` or `\\r\\n` ended, the last one even without an end); the
    bytes of all lines together, a line still without its end included, stay within `limit`."""
    decoder = codecs.getincrementaldecoder("utf-8")("replace")
    total = 0
    pending = ""
    async for chunk in chunks:
        total += len(chunk)
        if total > limit:
            raise AnswerTooLarge(limit, what)
        pending += decoder.decode(chunk)
        if "\n" not in pending:
            continue
        *lines, pending = pending.split("\n")
        for line in lines:
            yield line.removesuffix("\r")
    pending += decoder.decode(b"", final=True)
    if pending:
        yield pending.removesuffix("\r")
