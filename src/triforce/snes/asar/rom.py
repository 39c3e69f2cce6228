"""Blank ROM images and the mapping between SNES addresses and file offsets (LoROM, HiROM).

asar writes by SNES address; we diff images by file offset. Both directions are needed to report
which bytes an assembly changed at which address.
"""

from __future__ import annotations

from typing import Literal

from triforce.errors import InputError

Mapper = Literal["lorom", "hirom"]
MAPPERS: tuple[Mapper, ...] = ("lorom", "hirom")

#: Largest image asar can address in these mappers (4 MiB without ExLoROM/ExHiROM).
MAX_ROM_SIZE = 0x400000


def check_mapper(mapper: str) -> Mapper:
    if mapper == "lorom":
        return "lorom"
    if mapper == "hirom":
        return "hirom"
    raise InputError(f"mapper: {mapper!r} is not one of {', '.join(MAPPERS)}")


#: A SNES ROM image is a whole number of 32 KiB units; some dumps add a 512-byte copier header.
ROM_UNIT = 0x8000
COPIER_HEADER = 0x200


def check_rom_image(data: bytes, name: str) -> bytes:
    """The bare image of a ROM (a copier header dropped), or InputError naming `name` when the
    data cannot be a SNES ROM: empty, or not a whole number of 32 KiB units (a text file, a
    truncated download, a file that is something else)."""
    if len(data) % ROM_UNIT == COPIER_HEADER:
        data = data[COPIER_HEADER:]
    if not data or len(data) % ROM_UNIT:
        raise InputError(
            f"{name}: not a SNES ROM image: {len(data):,} bytes is not a whole number of 32 KiB "
            "(with or without a 512-byte copier header)"
        )
    return data


def bank_size(mapper: Mapper) -> int:
    """Bytes of ROM per bank: 32 KiB in LoROM ($8000-$FFFF), 64 KiB in HiROM."""
    return 0x8000 if mapper == "lorom" else 0x10000


def blank_rom(size: int, mapper: Mapper = "lorom") -> bytes:
    """A zero-filled image of `size` bytes (a whole number of banks)."""
    unit = bank_size(mapper)
    if size <= 0 or size % unit or size > MAX_ROM_SIZE:
        raise InputError(
            f"rom_size: {size:#x} must be a positive multiple of {unit:#x} and at most {MAX_ROM_SIZE:#x}"
        )
    return bytes(size)


def snes_to_offset(address: int, mapper: Mapper = "lorom") -> int | None:
    """File offset of a ROM address, or None when the address maps to RAM, I/O or nothing."""
    bank, addr = (address >> 16) & 0xFF, address & 0xFFFF
    if mapper == "lorom":
        if bank in (0x7E, 0x7F) or addr < 0x8000:
            return None
        return ((bank & 0x7F) << 15) | (addr & 0x7FFF)
    if bank in (0x7E, 0x7F):
        return None
    if bank & 0x40:  # $40-$7D, $C0-$FF: the whole bank is ROM
        return ((bank & 0x3F) << 16) | addr
    if addr < 0x8000:
        return None
    return ((bank & 0x3F) << 16) | addr


def offset_to_snes(offset: int, mapper: Mapper = "lorom") -> int:
    """The canonical SNES address of a file offset.

    LoROM: banks $00-$3F (then $80+ for the upper half of a 4 MiB image, since $7E/$7F are RAM);
    HiROM: banks $C0-$FF, where every byte of the bank is ROM.
    """
    if mapper == "lorom":
        bank = offset >> 15
        if bank >= 0x40:
            bank |= 0x80
        return (bank << 16) | 0x8000 | (offset & 0x7FFF)
    return ((0xC0 | (offset >> 16)) << 16) | (offset & 0xFFFF)
