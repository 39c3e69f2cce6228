"""Parse and format SNES addresses the way people write them: `$008000`, `0x8000`, `8000`, `$00:8000`.

Shared by every CLI option and data file that names an address, so that all of Triforce accepts
the same spellings. A bare number is hexadecimal, as in every SNES document.
"""

from __future__ import annotations

import re

from triforce.errors import InputError

_ADDRESS_RE = re.compile(r"^(?:\$|0x|0X)?([0-9A-Fa-f]{1,2}:)?([0-9A-Fa-f]{1,6})$")


def parse_address(text: str | int, *, field: str = "address") -> int:
    """Return the 24-bit address written as `$XXXXXX`, `0xXXXX`, `XXXX` or `$BB:AAAA`.

    Raises InputError naming `field` when the text is not an address or does not fit 24 bits.
    """
    if isinstance(text, int):
        value = text
    else:
        cleaned = text.strip().replace("_", "")
        match = _ADDRESS_RE.match(cleaned)
        if not match:
            raise InputError(f"{field}: {text!r} is not an address (use $008000, 0x8000 or 8000)")
        bank_part, addr_part = match.groups()
        if bank_part:
            if len(addr_part) > 4:
                raise InputError(f"{field}: {text!r} has more than 16 bits after the bank")
            value = (int(bank_part[:-1], 16) << 16) | int(addr_part, 16)
        else:
            value = int(addr_part, 16)
    if not 0 <= value <= 0xFFFFFF:
        raise InputError(f"{field}: {text!r} does not fit in 24 bits")
    return value


def format_address(address: int) -> str:
    """`$BBAAAA`: the spelling asar and the ALTTP disassemblies use."""
    return f"${address:06X}"


def bank_of(address: int) -> int:
    return (address >> 16) & 0xFF
