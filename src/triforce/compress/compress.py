"""Compressors for the game's stream format: an optimal parse and a greedy baseline.

Optimal: a shortest path over output positions. From position `j` a command can cover any
length up to the longest run it allows there (fills: `matches.runs`; copy: the longest earlier
match, `matches.longest_previous`), and its cost depends only on whether the length needs the
long header (more than 32 bytes). So every position pushes at most two range offers per
command kind ("any end in j+1..j+32 for cost c", "any end in j+33..j+M for c+1") into a heap,
and literal runs (cost 1 or 2 plus their length) come from two sliding-window minima. The result
is the smallest stream the format allows: commands 5-7 cost what 4 costs and a long header for
a short length only costs more, so neither is ever needed.

Greedy (the usual editor approach, kept as the baseline the benchmark compares against): at
each position take the command covering the most bytes if it beats literals, else a literal byte.
"""

from __future__ import annotations

import heapq
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from triforce.compress.format import (
    BYTE_FILL,
    COPY,
    END,
    INC_FILL,
    LITERAL,
    LONG_MAX,
    MAX_OUTPUT,
    SHORT_MAX,
    WORD_FILL,
    Variant,
    check_variant,
    encode_header,
    encode_offset,
)
from triforce.compress.matches import longest_previous, runs
from triforce.errors import InputError

Mode = Literal["optimal", "greedy"]
MODES: tuple[Mode, ...] = ("optimal", "greedy")


@dataclass(frozen=True)
class Step:
    """One planned command: covers data[start:start+length]; `source` for copies."""

    op: int
    start: int
    length: int
    source: int = -1


def _header_cost(length: int) -> int:
    return 1 if length <= SHORT_MAX else 2


_ARG = {BYTE_FILL: 1, WORD_FILL: 2, INC_FILL: 1, COPY: 2}


def plan(data: bytes, mode: Mode = "optimal") -> list[Step]:
    """The commands (in order) that encode `data`."""
    if mode not in MODES:
        raise InputError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    if len(data) > MAX_OUTPUT:
        raise InputError(f"{len(data)} bytes is more than one stream can hold ({MAX_OUTPUT})")
    if not data:
        return []
    return _optimal(data) if mode == "optimal" else _greedy(data)


def _reach(data: bytes) -> list[list[tuple[int, int, int]]]:
    """Per position: [(op, longest length, source)] of the fill and copy commands worth
    offering. Left out (without losing optimality): an offer some cheaper-or-equal command from
    the same position covers as far (a byte fill costs 2, an increasing fill 2, a word fill 3, a
    copy 3, plus the header), and lengths a standalone literal writes as cheaply (1 byte for
    the 2-byte commands, up to 2 for the 3-byte ones)."""
    same, word, inc = runs(data)
    match, source = longest_previous(data)
    out = []
    for j in range(len(data)):
        s, i = min(same[j], LONG_MAX), min(inc[j], LONG_MAX)
        w, m = min(word[j], LONG_MAX), min(match[j], LONG_MAX)
        two = max(s, i)
        offers = []
        if s > 1:
            offers.append((BYTE_FILL, s, -1))
        if i > s and i > 1:
            offers.append((INC_FILL, i, -1))
        if w > two and w > 2:
            offers.append((WORD_FILL, w, -1))
        if m > max(two, w if w > two else 0) and m > 2:
            offers.append((COPY, m, source[j]))
        out.append(offers)
    return out


def _optimal(data: bytes) -> list[Step]:
    n = len(data)
    reach = _reach(data)
    inf = 1 << 60
    cost = [inf] * (n + 1)
    cost[0] = 0
    back: list[tuple[int, int, int]] = [(LITERAL, 0, -1)] * (n + 1)  # (op, start, source)
    # offers: (cost, order, last end, op, start, source); `order` keeps ties stable
    heap: list[tuple[int, int, int, int, int, int]] = []
    later: dict[int, list[tuple[int, int, int, int, int, int]]] = {}
    short_win: deque[int] = deque()  # literal starts j in [i-32, i-1], increasing cost[j]-j
    long_win: deque[int] = deque()  # literal starts j in [i-1024, i-1]
    order = 0
    push, pop = heapq.heappush, heapq.heappop
    for i in range(n + 1):
        if i:
            for offer in later.pop(i, ()):
                push(heap, offer)
            while heap and heap[0][2] < i:
                pop(heap)
            best, choice = inf, (LITERAL, 0, -1)
            if heap:
                top = heap[0]
                best, choice = top[0], (top[3], top[4], top[5])
            # literals: cost[j] + (i - j) + header; a command wins ties (fewer, larger commands)
            while short_win[0] < i - SHORT_MAX:
                short_win.popleft()
            while long_win[0] < i - LONG_MAX:
                long_win.popleft()
            j = short_win[0]
            c = cost[j] + (i - j) + 1
            if c < best:
                best, choice = c, (LITERAL, j, -1)
            j = long_win[0]
            c = cost[j] + (i - j) + 2
            if c < best:
                best, choice = c, (LITERAL, j, -1)
            cost[i], back[i] = best, choice
        if i == n:
            break
        key = cost[i] - i
        while short_win and cost[short_win[-1]] - short_win[-1] >= key:
            short_win.pop()
        short_win.append(i)
        while long_win and cost[long_win[-1]] - long_win[-1] >= key:
            long_win.pop()
        long_win.append(i)
        for op, most, src in reach[i]:
            base = cost[i] + _ARG[op]
            order += 1
            push(heap, (base + 1, order, i + min(most, SHORT_MAX), op, i, src))
            if most > SHORT_MAX:
                order += 1
                later.setdefault(i + SHORT_MAX + 1, []).append((base + 2, order, i + most, op, i, src))
    steps: list[Step] = []
    i = n
    while i:
        op, j, src = back[i]
        steps.append(Step(op, j, i - j, src))
        i = j
    steps.reverse()
    return steps


def _greedy(data: bytes) -> list[Step]:
    n = len(data)
    reach = _reach(data)
    steps: list[Step] = []
    lit_start = -1
    i = 0
    while i < n:
        op, length, src = max(reach[i], key=lambda t: (_saving(t[0], t[1]), t[1], -t[0]), default=(0, 0, -1))
        if length and _saving(op, length) > 0:
            if lit_start >= 0:
                steps += _literal_steps(lit_start, i)
                lit_start = -1
            steps.append(Step(op, i, length, src))
            i += length
        else:
            if lit_start < 0:
                lit_start = i
            i += 1
    if lit_start >= 0:
        steps += _literal_steps(lit_start, n)
    return steps


def _saving(op: int, length: int) -> int:
    """Bytes a command saves over writing its output as literals."""
    return length - _header_cost(length) - _ARG[op]


def _literal_steps(start: int, end: int) -> list[Step]:
    return [Step(LITERAL, s, min(LONG_MAX, end - s)) for s in range(start, end, LONG_MAX)]


def encode(data: bytes, steps: Sequence[Step], variant: Variant = "gfx") -> bytes:
    """The stream for planned steps (checked against `data` as it goes)."""
    out = bytearray()
    for s in steps:
        out += encode_header(s.op, s.length)
        chunk = data[s.start : s.start + s.length]
        if s.op == LITERAL:
            out += chunk
        elif s.op in (BYTE_FILL, INC_FILL):
            out.append(chunk[0])
        elif s.op == WORD_FILL:
            out += bytes([chunk[0], chunk[1] if len(chunk) > 1 else chunk[0]])
        else:
            out += encode_offset(s.source, variant)
    out.append(END)
    return bytes(out)


def compress(data: bytes, variant: Variant = "gfx", mode: Mode = "optimal") -> bytes:
    """A stream that the game's decompressor (`variant`) turns back into `data`."""
    check_variant(variant)
    return encode(bytes(data), plan(bytes(data), mode), variant)
