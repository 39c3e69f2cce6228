"""Numbers in suite files: plain integers or asar-style `$12` / `0x12` / `%1010` strings; addresses
(`Address`) by the one address rule of `triforce.snes.addresses` (a bare number is refused)."""

from __future__ import annotations

from typing import Annotated

from pydantic import BeforeValidator

from triforce.snes.addresses import address_value
from triforce.snes.machine import parse_number


def hex_str(value: int, digits: int = 2) -> str:
    return f"${value:0{digits}X}"


Num = Annotated[int, BeforeValidator(parse_number)]
Address = Annotated[int, BeforeValidator(address_value)]
