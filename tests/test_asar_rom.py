"""SNES address <-> file offset mapping for LoROM and HiROM, and blank images."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from triforce.errors import InputError
from triforce.snes.asar.rom import blank_rom, offset_to_snes, snes_to_offset


@pytest.mark.parametrize(
    ("address", "mapper", "offset"),
    [
        (0x008000, "lorom", 0x0000),
        (0x00FFC0, "lorom", 0x7FC0),
        (0x018000, "lorom", 0x8000),
        (0x808000, "lorom", 0x0000),  # FastROM mirror
        (0x1F8000, "lorom", 0xF8000),
        (0x007FFF, "lorom", None),  # WRAM/IO half
        (0x7EF340, "lorom", None),
        (0xC00000, "hirom", 0x0000),
        (0xC0FFC0, "hirom", 0xFFC0),
        (0x00FFC0, "hirom", 0xFFC0),
        (0x408000, "hirom", 0x8000),
        (0x001000, "hirom", None),
        (0x7E0000, "hirom", None),
    ],
)
def test_snes_to_offset(address: int, mapper: str, offset: int | None) -> None:
    assert snes_to_offset(address, mapper) == offset  # type: ignore[arg-type]


@given(st.integers(0, 0x3FFFFF), st.sampled_from(["lorom", "hirom"]))
def test_offset_round_trip(offset: int, mapper: str) -> None:
    address = offset_to_snes(offset, mapper)  # type: ignore[arg-type]
    assert snes_to_offset(address, mapper) == offset  # type: ignore[arg-type]


def test_blank_rom_sizes() -> None:
    assert len(blank_rom(0x80000)) == 0x80000
    with pytest.raises(InputError):
        blank_rom(0x1234)
    with pytest.raises(InputError):
        blank_rom(0x8000, "hirom")
