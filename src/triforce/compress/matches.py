"""Runs and longest earlier matches at every position: what each command could cover from there.

The copy command may read any earlier output position, overlapping the bytes it writes, and its
cost does not depend on the position. So the longest copy possible at `i` is the *longest
previous factor* of `i`: the longest common prefix of `data[i:]` with any `data[j:]`, `j < i`
(overlap allowed). It comes from the suffix array (numpy prefix doubling), the LCP array
(Kasai) and, per suffix, the nearest suffixes in sorted order that start earlier (Crochemore and
Ilie's stack passes): linear after the sort, so even 64 KiB of repetitive data is quick.
"""

from __future__ import annotations

import numpy as np


def suffix_array(data: bytes) -> list[int]:
    """Start positions of the suffixes of `data` in sorted order."""
    n = len(data)
    if n == 0:
        return []
    rank = np.frombuffer(data, dtype=np.uint8).astype(np.int64)
    k = 1
    while True:
        second = np.full(n, -1, dtype=np.int64)
        if k < n:
            second[: n - k] = rank[k:]
        order = np.lexsort((second, rank))
        r1, r2 = rank[order], second[order]
        step = np.empty(n, dtype=np.int64)
        step[0] = 0
        step[1:] = (r1[1:] != r1[:-1]) | (r2[1:] != r2[:-1])
        rank = np.empty(n, dtype=np.int64)
        rank[order] = np.cumsum(step)
        if int(rank.max()) == n - 1:
            return [int(x) for x in order]
        k *= 2


def lcp_array(data: bytes, sa: list[int]) -> list[int]:
    """lcp[r] = common prefix length of the suffixes at ranks r-1 and r (lcp[0] = 0), Kasai."""
    n = len(data)
    rank = [0] * n
    for r, p in enumerate(sa):
        rank[p] = r
    lcp = [0] * n
    h = 0
    for i in range(n):
        r = rank[i]
        if r == 0:
            h = 0
            continue
        j = sa[r - 1]
        while i + h < n and j + h < n and data[i + h] == data[j + h]:
            h += 1
        lcp[r] = h
        if h:
            h -= 1
    return lcp


def longest_previous(data: bytes) -> tuple[list[int], list[int]]:
    """(length, source) per position: the longest match of data[i:] that starts at an earlier
    position `source` (length 0 and source -1 where none does)."""
    n = len(data)
    sa = suffix_array(data)
    lcp = lcp_array(data, sa)
    best = [0] * n
    src = [-1] * n
    # Left pass: nearest rank below with an earlier start, and the lcp with it.
    stack: list[int] = []
    gaps: list[int] = []  # gaps[k] = lcp(suffix at stack[k], suffix at stack[k+1])
    for r in range(n):
        cur = lcp[r]
        while stack and sa[stack[-1]] > sa[r]:
            stack.pop()
            if gaps:
                cur = min(cur, gaps.pop())
        if stack:
            i = sa[r]
            if cur > best[i]:
                best[i], src[i] = cur, sa[stack[-1]]
            gaps.append(cur)
        stack.append(r)
    # Right pass: nearest rank above with an earlier start.
    stack, gaps = [], []
    for r in range(n - 1, -1, -1):
        cur = lcp[r + 1] if r + 1 < n else 0
        while stack and sa[stack[-1]] > sa[r]:
            stack.pop()
            if gaps:
                cur = min(cur, gaps.pop())
        if stack:
            i = sa[r]
            if cur > best[i] or (cur == best[i] and cur and sa[stack[-1]] > src[i]):
                best[i], src[i] = cur, sa[stack[-1]]
            gaps.append(cur)
        stack.append(r)
    return best, src


def runs(data: bytes) -> tuple[list[int], list[int], list[int]]:
    """Per position, the longest byte fill, word fill and increasing fill starting there."""
    n = len(data)
    same = [1] * n
    inc = [1] * n
    for i in range(n - 2, -1, -1):
        if data[i + 1] == data[i]:
            same[i] = same[i + 1] + 1
        if data[i + 1] == (data[i] + 1) & 0xFF:
            inc[i] = inc[i + 1] + 1
    # alt[p]: how many positions from p on repeat the byte two places back
    alt = [0] * (n + 1)
    for p in range(n - 1, 1, -1):
        if data[p] == data[p - 2]:
            alt[p] = alt[p + 1] + 1
    word = [min(n - i, 2 + (alt[i + 2] if i + 2 <= n else 0)) for i in range(n)]
    return same, word, inc
