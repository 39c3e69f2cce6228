"""Numbers in suite files: plain integers or asar-style `$7EF360` / `0x7EF360` / `%1010` strings."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from triforce.snes.machine import parse_number


def hex_str(value: int, digits: int = 2) -> str:
    return f"${value:0{digits}X}"


Num = Annotated[int, BeforeValidator(parse_number)]
