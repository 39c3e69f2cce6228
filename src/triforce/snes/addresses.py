"""Parse and format SNES addresses: one parser, one rule, for every option and data file.

An address is an integer, or a string that says its base: `$7EF360`, `0x7EF360`, `$7E:F360`,
`7E:F360` (the bank form). A bare string of digits (`1000`, `7EF360`) is refused: asar reads
`1000` as decimal, SNES documents and disassemblies write hex without a prefix, so any reading
would be a guess. CLI options (`--org`, `--at`), suite files (`initial.memory`, `expect.mem`,
`writable`, `org`), machine states and sample records all go through `parse_address`.
Numbers that are not addresses (register values, bytes) follow asar: `parse_number` in
`triforce.snes.machine`, where a bare number is decimal.
"""

from __future__ import annotations

import re
from typing import Any

from triforce.errors import InputError

_PREFIXED_RE = re.compile(r"^(?:\$|0[xX])([0-9A-Fa-f]{1,6})$")
_BANKED_RE = re.compile(r"^(?:\$|0[xX])?([0-9A-Fa-f]{1,2}):([0-9A-Fa-f]{1,4})$")
_BARE_RE = re.compile(r"^[0-9A-Fa-f]+$")


def parse_address(text: str | int, *, field: str = "address") -> int:
    """The 24-bit address written as `$XXXXXX`, `0xXXXX`, `$BB:AAAA` / `BB:AAAA`, or an int.

    Raises InputError naming `field` when the text is not an address, gives no base (a bare
    number is ambiguous) or does not fit 24 bits."""
    if isinstance(text, bool) or not isinstance(text, int | str):
        raise InputError(f"{field}: {text!r} is not an address (use $7EF360 or 0x7EF360)")
    if isinstance(text, int):
        value = text
    else:
        cleaned = text.strip().replace("_", "")
        prefixed, banked = _PREFIXED_RE.match(cleaned), _BANKED_RE.match(cleaned)
        if prefixed:
            value = int(prefixed.group(1), 16)
        elif banked:
            value = (int(banked.group(1), 16) << 16) | int(banked.group(2), 16)
        elif _BARE_RE.match(cleaned):
            raise InputError(
                f"{field}: {text!r} has no base: write ${cleaned.upper()} for a hex address "
                f"(a bare number is decimal to asar but hex in SNES documents, so it is not guessed)"
            )
        else:
            raise InputError(f"{field}: {text!r} is not an address (use $7EF360, 0x7EF360 or $7E:F360)")
    if not 0 <= value <= 0xFFFFFF:
        raise InputError(f"{field}: {text!r} does not fit in 24 bits")
    return value


def address_value(text: Any) -> int:
    """`parse_address` for pydantic validators: a bad address is a ValueError there."""
    try:
        return parse_address(text)
    except InputError as exc:
        raise ValueError(str(exc).removeprefix("address: ")) from exc


def format_address(address: int) -> str:
    """`$BBAAAA`: the spelling asar and the ALTTP disassemblies use."""
    return f"${address:06X}"


def bank_of(address: int) -> int:
    return (address >> 16) & 0xFF
