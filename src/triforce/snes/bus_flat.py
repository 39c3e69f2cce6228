"""`FlatBus`: 16 MiB of plain memory with no mapping, for SingleStepTests and fast benchmarks.

Every 24-bit address is RAM. The CPU notices `flat_memory` and indexes it directly instead of
calling `read`/`write`, which is several times faster; the methods exist for everyone else.
"""

from __future__ import annotations

from collections.abc import Iterable

FLAT_SIZE = 0x1000000


class FlatBus:
    def __init__(self) -> None:
        self.flat_memory = bytearray(FLAT_SIZE)

    def read(self, address: int) -> int:
        return self.flat_memory[address & 0xFFFFFF]

    def write(self, address: int, value: int) -> None:
        self.flat_memory[address & 0xFFFFFF] = value & 0xFF

    def load(self, address: int, data: bytes) -> None:
        """Copy `data` to consecutive addresses starting at `address` (wrapping at 16 MiB)."""
        start = address & 0xFFFFFF
        end = start + len(data)
        if end <= FLAT_SIZE:
            self.flat_memory[start:end] = data
        else:
            split = FLAT_SIZE - start
            self.flat_memory[start:] = data[:split]
            self.flat_memory[: len(data) - split] = data[split:]

    def poke(self, cells: Iterable[tuple[int, int]]) -> None:
        """Write (address, byte) pairs."""
        mem = self.flat_memory
        for address, value in cells:
            mem[address & 0xFFFFFF] = value & 0xFF
