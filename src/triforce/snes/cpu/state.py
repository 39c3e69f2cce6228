"""What a user reads from and gives to the CPU: registers, stop reasons, run results, trace rows."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated

from pydantic import BaseModel, ConfigDict, Field

_U8 = Annotated[int, Field(ge=0, le=0xFF)]
_U16 = Annotated[int, Field(ge=0, le=0xFFFF)]


class Registers(BaseModel):
    """A snapshot of the 65816 registers (JSON-able). `p` holds the flags as pushed by PHP."""

    model_config = ConfigDict(frozen=True)

    a: _U16 = 0
    x: _U16 = 0
    y: _U16 = 0
    s: _U16 = 0x01FF
    d: _U16 = 0
    db: _U8 = 0
    pb: _U8 = 0
    pc: _U16 = 0
    p: _U8 = 0x34
    e: bool = True

    @property
    def address(self) -> int:
        """The 24-bit address of the next instruction (PB:PC)."""
        return self.pb << 16 | self.pc


class StopReason(StrEnum):
    """Why `CPU.run` returned.

    RETURN: an RTS, RTL or RTI executed while S (before its pulls) was at or above S when `run`
    was entered, i.e. the routine returned out of the frame it was started in. The return has
    executed: PC is the return address, and the instruction is counted.
    BRK, COP: the CPU reached BRK/COP and did not execute it (PC points at it) when
    `stop_on_break` is true (the default); otherwise they vector like hardware and do not stop.
    STP, WAI: the instruction executed (PC is past it); the CPU stays stopped (until `reset`) or
    waiting (until `irq`/`nmi`), and later runs return at once.
    INSTRUCTION_LIMIT, CYCLE_LIMIT: the budget was used up (the cycle limit is checked after
    each instruction, so the last one may go past it).
    SENTINEL: PB:PC reached the `stop_at` address after an instruction (never before the first).
    """

    RETURN = "return"
    BRK = "brk"
    COP = "cop"
    STP = "stp"
    WAI = "wai"
    INSTRUCTION_LIMIT = "instruction_limit"
    CYCLE_LIMIT = "cycle_limit"
    SENTINEL = "sentinel"


@dataclass(frozen=True, slots=True)
class RunResult:
    reason: StopReason
    instructions: int
    cycles: int


@dataclass(frozen=True, slots=True)
class TraceEntry:
    """One executed instruction: where, what, the registers before it and the cycles it took."""

    address: int
    bytes: bytes
    mnemonic: str
    operand: str
    registers: Registers
    cycles: int

    def text(self) -> str:
        """A one-line human form: `00:8000  A9 12     LDA #$12   A=0000 X=... P=34 E=1 (2)`."""
        r = self.registers
        code = " ".join(f"{b:02X}" for b in self.bytes)
        ins = f"{self.mnemonic} {self.operand}".rstrip()
        return (
            f"{self.address >> 16:02X}:{self.address & 0xFFFF:04X}  {code:<11} {ins:<16} "
            f"A={r.a:04X} X={r.x:04X} Y={r.y:04X} S={r.s:04X} D={r.d:04X} DB={r.db:02X} "
            f"P={r.p:02X} E={int(r.e)} ({self.cycles})"
        )
