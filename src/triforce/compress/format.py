"""The stream format of ALTTP's decompressors (the community's "LC_LZ2"), as the game reads it.

Read from the game's own routines (usdasm `bank_00.asm` `Decompress` $00:E79E, `bank_02.asm`
`Decompress_bank02` $02:FEBB; snesrev/zelda3 keeps the same addresses):

- A header byte `h`; `$FF` ends the stream.
- `h & $E0 == $E0` is the long form: command `(h >> 2) & 7`, length `((h & 3) << 8 | next) + 1`
  (1-1024; command 7 stops at 768 because `$FF` is the end). Otherwise command `h >> 5`,
  length `(h & $1F) + 1` (1-32).
- 0 literal bytes; 1 byte fill; 2 word fill (two bytes output alternately; an odd length ends on
  the first); 3 increasing fill (wraps at 8 bits); 4 copy from an absolute output position, byte
  by byte (so an overlapping copy repeats a pattern). The dispatcher tests bit 7 of the command
  (`BMI .copy_past`), so 5, 6 and 7 copy too.
- The copy position is little-endian in the graphics routine and big-endian in the bank-02
  routine (it has no second `XBA` before its `TAX` at $02:FF49): the only difference.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from triforce.errors import InputError

Variant = Literal["gfx", "bank02"]
VARIANTS: tuple[Variant, ...] = ("gfx", "bank02")
VARIANT_HELP = {
    "gfx": "Decompress $00:E79E (graphics; copy position little-endian)",
    "bank02": "Decompress_bank02 $02:FEBB (overworld map32 data; copy position big-endian)",
}

END = 0xFF
SHORT_MAX = 32
LONG_MAX = 1024
#: The game's output index (Y) is 16 bits: no stream can fill more than 64 KiB.
MAX_OUTPUT = 0x10000

LITERAL, BYTE_FILL, WORD_FILL, INC_FILL, COPY = 0, 1, 2, 3, 4
OP_NAMES = {
    LITERAL: "literal",
    BYTE_FILL: "byte-fill",
    WORD_FILL: "word-fill",
    INC_FILL: "inc-fill",
    COPY: "copy",
}
#: Bytes of argument each command reads after its header (a literal reads `length` bytes).
ARG_BYTES = {BYTE_FILL: 1, WORD_FILL: 2, INC_FILL: 1, COPY: 2}


class CorruptStream(InputError):
    """A stream the strict decompressor refuses: `code` says why, `offset` where (stream offset)."""

    CODES = ("truncated", "copy-unwritten", "output-limit", "bad-header")

    def __init__(self, code: str, offset: int, message: str) -> None:
        super().__init__(f"corrupt stream at offset {offset} (${offset:04X}): {message}")
        self.code = code
        self.offset = offset
        self.detail = message


def check_variant(variant: str) -> Variant:
    if variant not in VARIANTS:
        raise InputError(f"variant must be one of {', '.join(VARIANTS)}, not {variant!r}")
    return variant


def op_of(code: int) -> int:
    """The operation a command code performs in the game (5, 6 and 7 copy)."""
    return COPY if code >= 4 else code


def encode_header(code: int, length: int, long: bool = False) -> bytes:
    """The header of command `code` with `length` output bytes (short form when it fits, unless
    `long`). Raises InputError for a length or command the format cannot express."""
    if not 0 <= code <= 7:
        raise InputError(f"command must be 0-7, not {code}")
    if not 1 <= length <= LONG_MAX:
        raise InputError(f"length must be 1-{LONG_MAX}, not {length}")
    if not long and length <= SHORT_MAX and code != 7:
        return bytes([code << 5 | (length - 1)])
    n = length - 1
    first = 0xE0 | code << 2 | n >> 8
    if first == END:
        raise InputError(f"command 7 cannot have length {length}: its long header would be $FF (the end)")
    return bytes([first, n & 0xFF])


def decode_header(data: bytes, at: int = 0) -> tuple[int, int, int]:
    """(command, length, header size) of the header at `data[at]` (not the `$FF` end). Raises
    CorruptStream when a long header's second byte is missing."""
    h = data[at]
    if h & 0xE0 != 0xE0:
        return h >> 5, (h & 0x1F) + 1, 1
    if at + 1 >= len(data):
        raise CorruptStream("truncated", at, "the second byte of a long header is missing")
    return (h >> 2) & 7, ((h & 3) << 8 | data[at + 1]) + 1, 2


def encode_offset(position: int, variant: Variant) -> bytes:
    if not 0 <= position <= 0xFFFF:
        raise InputError(f"copy position must be 0-$FFFF, not {position}")
    lo, hi = position & 0xFF, position >> 8
    return bytes([lo, hi]) if variant == "gfx" else bytes([hi, lo])


def decode_offset(two: bytes, variant: Variant) -> int:
    return two[0] | two[1] << 8 if variant == "gfx" else two[0] << 8 | two[1]


@dataclass(frozen=True)
class Command:
    """One command of a stream: where it sits, what it says, and which output bytes it made."""

    offset: int  # stream offset of the header byte
    header: bytes  # 1 (short) or 2 (long) bytes
    code: int  # 0-7 as written (5-7 act as 4)
    length: int  # output bytes, 1-1024
    arg: bytes  # literal bytes, the fill byte(s) or the two position bytes
    out_start: int  # output position of the first byte it writes
    source: int | None = None  # copies: the output position read from

    @property
    def op(self) -> int:
        return op_of(self.code)

    @property
    def name(self) -> str:
        return OP_NAMES[self.op]

    @property
    def size(self) -> int:
        """Stream bytes the command takes (header and argument)."""
        return len(self.header) + len(self.arg)

    @property
    def long(self) -> bool:
        return len(self.header) == 2

    def encoded(self) -> bytes:
        return self.header + self.arg
