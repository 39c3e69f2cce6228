"""The game's decompressor, byte for byte, with the checks the game does not make.

`parse_stream` walks a stream the way `Decompress` ($00:E79E) / `Decompress_bank02` ($02:FEBB)
do and records every command. Where the game would silently go wrong it stops with a
`CorruptStream` naming the reason and the stream offset:

- `truncated`: the input ends inside a header, an argument or a literal run, or before `$FF`
  (the game would read on into whatever follows in the ROM);
- `copy-unwritten`: a copy starts at an output position not written yet (the game reads stale
  buffer memory; pass that memory as `prior` to get exactly what the game makes instead);
- `output-limit`: the output would pass `limit` bytes (the game's index is 16 bits and its
  buffers are smaller than that).

Every command reads at least one input byte and the output is bounded, so a walk always ends.
"""

from __future__ import annotations

from dataclasses import dataclass

from triforce.compress.format import (
    BYTE_FILL,
    COPY,
    END,
    INC_FILL,
    LITERAL,
    MAX_OUTPUT,
    WORD_FILL,
    Command,
    CorruptStream,
    Variant,
    check_variant,
    decode_header,
    decode_offset,
    op_of,
)
from triforce.errors import InputError

_RAMP = bytes(range(256)) * 5  # any increasing fill (<= 1024 bytes) is one slice of this


@dataclass(frozen=True)
class Stream:
    """A walked stream: its commands, the output, and where it ended (offset after the `$FF`)."""

    commands: list[Command]
    output: bytes
    start: int
    end: int

    @property
    def consumed(self) -> int:
        return self.end - self.start


def parse_stream(
    data: bytes,
    variant: Variant = "gfx",
    *,
    start: int = 0,
    limit: int = MAX_OUTPUT,
    prior: bytes | None = None,
) -> Stream:
    """Walk the stream at `data[start:]` (see the module docstring for the errors).

    `prior`: the output buffer's contents before the run (at least `limit` bytes); copies from
    positions not written yet then read it, as the game does, instead of failing."""
    check_variant(variant)
    if not 0 < limit <= MAX_OUTPUT:
        raise InputError(f"limit must be 1-{MAX_OUTPUT}, not {limit}")
    if prior is not None and len(prior) < limit:
        raise InputError(f"prior memory must cover the limit ({limit} bytes), it has {len(prior)}")
    n = len(data)
    out = bytearray()
    commands: list[Command] = []
    pos = start

    def need(count: int, at: int, what: str) -> None:
        if pos + count > n:
            raise CorruptStream(
                "truncated", at, f"{what}: {count} byte(s) needed at offset {pos}, but the input ends at {n}"
            )

    while True:
        need(1, pos, "a header (or the $FF end)")
        at = pos
        h = data[pos]
        pos += 1
        if h == END:
            return Stream(commands, bytes(out), start, pos)
        code, length, size = decode_header(data, at)
        pos = at + size
        header = data[at:pos]
        out_start = len(out)
        if out_start + length > limit:
            raise CorruptStream(
                "output-limit",
                at,
                f"command {code} writes {length} bytes at output {out_start}, past the limit of {limit}",
            )
        op = op_of(code)
        source = None
        if op == LITERAL:
            need(length, at, f"a literal run of {length}")
            arg = data[pos : pos + length]
            out += arg
        elif op == BYTE_FILL:
            need(1, at, "a byte fill's value")
            arg = data[pos : pos + 1]
            out += arg * length
        elif op == WORD_FILL:
            need(2, at, "a word fill's two bytes")
            arg = data[pos : pos + 2]
            out += (arg * ((length + 1) // 2))[:length]
        elif op == INC_FILL:
            need(1, at, "an increasing fill's first value")
            arg = data[pos : pos + 1]
            out += _RAMP[arg[0] : arg[0] + length]
        else:
            need(2, at, "a copy's two position bytes")
            arg = data[pos : pos + 2]
            source = decode_offset(arg, variant)
            _copy(out, source, length, at, prior)
        pos += len(arg)
        commands.append(Command(at, bytes(header), code, length, bytes(arg), out_start, source))


def _copy(out: bytearray, source: int, length: int, at: int, prior: bytes | None) -> None:
    """Byte by byte, forward: an overlapping copy repeats out[source:] (what the game's loop does)."""
    have = len(out)
    if source + length <= have:
        out += out[source : source + length]
        return
    if source < have:
        period = out[source:have]
        out += (period * (length // len(period) + 1))[:length]
        return
    if prior is None:
        raise CorruptStream(
            "copy-unwritten",
            at,
            f"copy from output position {source} (${source:04X}), but only {have} byte(s) are written",
        )
    for k in range(length):  # the game's 16-bit X wraps; reads of unwritten bytes see old memory
        p = (source + k) & 0xFFFF
        out.append(out[p] if p < len(out) else prior[p])


def decompress(
    data: bytes,
    variant: Variant = "gfx",
    *,
    start: int = 0,
    limit: int = MAX_OUTPUT,
    prior: bytes | None = None,
) -> bytes:
    """The bytes the game's decompressor writes for the stream at `data[start:]`."""
    return parse_stream(data, variant, start=start, limit=limit, prior=prior).output


def check_stream(candidate: bytes, expected: bytes, variant: Variant = "gfx") -> list[str]:
    """Why `candidate` is not a stream for `expected` (empty when it is): it must decompress to
    exactly those bytes, end with its `$FF` as the last byte, copy only from written output and
    use commands 0-4 only (5-7 copy in the game, but other tools reject them)."""
    try:
        stream = parse_stream(candidate, variant, limit=MAX_OUTPUT)
    except CorruptStream as exc:
        return [str(exc)]
    problems = []
    if stream.end != len(candidate):
        problems.append(
            f"{len(candidate) - stream.end} byte(s) follow the $FF end at offset {stream.end - 1}"
        )
    odd = [c for c in stream.commands if c.code > COPY]
    if odd:
        problems.append(
            f"command {odd[0].code} at offset {odd[0].offset}: use 4 for copies (5-7 are not portable)"
        )
    if stream.output != expected:
        got = stream.output
        first = next((i for i in range(min(len(got), len(expected))) if got[i] != expected[i]), None)
        if first is None:
            problems.append(f"decompresses to {len(got)} bytes, expected {len(expected)}")
        else:
            problems.append(
                f"output byte {first} is ${got[first]:02X}, expected ${expected[first]:02X}"
                f" ({len(got)} bytes out, {len(expected)} expected)"
            )
    return problems
