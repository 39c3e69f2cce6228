"""Random well-formed streams that exercise every corner of the format: all eight commands
(5-7 too), short and long headers (long ones for short lengths too), lengths 1, 32, 33 and 1024,
odd word fills, increasing fills across $FF, copies from position 0, overlapping copies, and
(with `stale=True`) copies from output not written yet, which only the game's memory can answer.
Seeded `random.Random` in, bytes out: the same seed gives the same stream."""

from __future__ import annotations

import random

from triforce.compress.format import END, Variant, encode_header, encode_offset

_EDGE_LENGTHS = (1, 2, 31, 32, 33, 34, 255, 256, 257, 768, 1023, 1024)


def random_stream(
    rng: random.Random, variant: Variant = "gfx", max_output: int = 2048, stale: bool = False
) -> bytes:
    """One stream whose output stays within `max_output` bytes."""
    out_len = 0
    stream = bytearray()
    target = rng.choice((rng.randrange(1, 64), rng.randrange(1, 512), rng.randrange(1, max_output + 1)))
    alphabet = rng.choice((2, 4, 16, 256))
    while out_len < target:
        room = max_output - out_len
        if room <= 0:
            break
        code = rng.choice((0, 0, 1, 2, 3, 4, 4, 4, 5, 6, 7))
        if code >= 4 and out_len == 0 and not stale:
            code = rng.choice((0, 1, 2, 3))
        length = _length(rng, min(room, 768 if code == 7 else 1024))
        long = code == 7 or length > 32 or rng.random() < 0.05
        stream += encode_header(code, length, long=long)
        if code == 0:
            stream += bytes(rng.randrange(alphabet) for _ in range(length))
        elif code in (1, 3):
            stream.append(rng.choice((0x00, 0xFF, 0xFE, rng.randrange(256))))
        elif code == 2:
            stream += bytes((rng.randrange(256), rng.randrange(256)))
        else:
            if stale and (out_len == 0 or rng.random() < 0.3):
                source = rng.randrange(0x10000)
            else:
                source = rng.choice(
                    (0, out_len - 1, rng.randrange(out_len), max(0, out_len - rng.randrange(1, 9)))
                )
            stream += encode_offset(source, variant)
        out_len += length
    stream.append(END)
    return bytes(stream)


def _length(rng: random.Random, most: int) -> int:
    roll = rng.random()
    if roll < 0.15:
        edges = [n for n in _EDGE_LENGTHS if n <= most]
        return rng.choice(edges) if edges else 1
    if roll < 0.8:
        return rng.randrange(1, min(most, 32) + 1)
    return rng.randrange(1, most + 1)
