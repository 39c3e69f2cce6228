"""Where message bytes go in the ROM, and whether they fit.

The game reads messages in order from the first text bank; a $80 byte sends it to the next
bank (only between messages), and $FF after the last message ends the text
(`CreateMessagePointers`, $0E:D3EB). Vanilla banks: $1C:8000-$1C:FFFF and $0E:DF40-$0E:F3FF
(the free space after the text in bank $0E ends at $0E:F400; yaze's "Text Data Block 2" agrees).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class TextBank:
    name: str
    start: int  # SNES address of the first byte
    end: int  # SNES address just past the last byte

    @property
    def capacity(self) -> int:
        return self.end - self.start


VANILLA_BANKS: tuple[TextBank, ...] = (
    TextBank("$1C:8000", 0x1C8000, 0x1D0000),
    TextBank("$0E:DF40", 0x0EDF40, 0x0EF400),
)


@dataclass
class BankUse:
    name: str
    start: int
    capacity: int
    used: int = 0  # message bytes plus the $80 or $FF that closes the bank
    first: int | None = None  # index of the first message placed here
    last: int | None = None

    @property
    def free(self) -> int:
        return self.capacity - self.used


@dataclass
class Packing:
    banks: list[BankUse] = field(default_factory=list)
    overflow: list[int] = field(default_factory=list)  # messages that found no room

    @property
    def ok(self) -> bool:
        return not self.overflow

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "banks": [asdict(b) for b in self.banks], "overflow": self.overflow}


def pack(sizes: Sequence[int], banks: Sequence[TextBank] = VANILLA_BANKS) -> Packing:
    """Place messages (their byte counts, $7F included) in order; a message that does not fit
    before the bank's closing byte starts the next bank."""
    out = Packing([BankUse(b.name, b.start, b.capacity) for b in banks])
    k = 0
    for i, size in enumerate(sizes):
        while k < len(out.banks) and out.banks[k].used + size + 1 > out.banks[k].capacity:
            k += 1
        if k == len(out.banks):
            out.overflow.append(i)
            continue
        bank = out.banks[k]
        bank.used += size
        bank.first = i if bank.first is None else bank.first
        bank.last = i
    for b in out.banks:
        if b.first is not None:
            b.used += 1  # the $80 (or the final $FF) after its last message
    return out
