"""Where the game keeps its graphics sheets, for users who have a ROM (none is bundled).

`GFXSheetPointers` (usdasm bank_00.asm, $00:CF80) holds 223 three-part pointers: banks at
$00:CF80, high bytes at $00:D05F, low bytes at $00:D13E (PC $4F80, $505F, $513E of the US ROM).
Most sheets are compressed 3bpp; `sheet_streams` returns those whose pointer leads to one whole
stream (the strict walk of `triforce.compress`), the others are left out.
"""

from __future__ import annotations

from dataclasses import dataclass

from triforce.compress.decompress import parse_stream
from triforce.compress.format import CorruptStream
from triforce.errors import InputError

SHEETS = 223
BANK_TABLE, HIGH_TABLE, LOW_TABLE = 0x4F80, 0x505F, 0x513E


def lorom_offset(address: int) -> int:
    """The file offset of a LoROM address ($BB:8000-$FFFF)."""
    bank, addr = (address >> 16) & 0x7F, address & 0xFFFF
    if addr < 0x8000:
        raise InputError(f"${address:06X} is not in LoROM's ROM space")
    return bank * 0x8000 + addr - 0x8000


def strip_header(rom: bytes) -> bytes:
    return rom[0x200:] if len(rom) % 0x8000 == 0x200 else rom


def sheet_address(rom: bytes, sheet: int) -> int:
    if not 0 <= sheet < SHEETS:
        raise InputError(f"sheet must be 0-{SHEETS - 1}, not {sheet}")
    if len(rom) < LOW_TABLE + SHEETS:
        raise InputError("the ROM is too small to hold the sheet pointer tables")
    return rom[BANK_TABLE + sheet] << 16 | rom[HIGH_TABLE + sheet] << 8 | rom[LOW_TABLE + sheet]


@dataclass(frozen=True)
class SheetStream:
    sheet: int
    address: int
    stream: bytes
    output: bytes


def sheet_streams(rom: bytes) -> list[SheetStream]:
    """The compressed sheets of a LoROM ALTTP image (copier header allowed)."""
    rom = strip_header(rom)
    out = []
    for n in range(SHEETS):
        address = sheet_address(rom, n)
        try:
            start = lorom_offset(address)
            walked = parse_stream(rom, "gfx", start=start, limit=0x1000)
        except (CorruptStream, InputError, IndexError):
            continue
        if walked.output:
            out.append(SheetStream(n, address, rom[start : walked.end], walked.output))
    return out
