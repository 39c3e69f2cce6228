"""Numbers in suite files: plain integers or asar-style `$7EF360` / `0x7EF360` strings."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator


def parse_number(value: Any) -> int:
    """Read an int from JSON: 16, "$10", "0x10" or "%00010000" (asar binary)."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        text = value.strip().replace("_", "")
        if text.startswith("$"):
            return int(text[1:], 16)
        if text.lower().startswith("0x"):
            return int(text[2:], 16)
        if text.startswith("%"):
            return int(text[1:], 2)
        return int(text, 10)
    raise ValueError(f"expected a number or a '$hex' string, got {value!r}")


def hex_str(value: int, digits: int = 2) -> str:
    return f"${value:0{digits}X}"


Num = Annotated[int, BeforeValidator(parse_number)]
