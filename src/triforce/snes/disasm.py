"""A 65816 disassembler that follows REP/SEP and writes asar source that reassembles byte-exact.

Operand sizes on the 65816 depend on the M and X flags, which only execution knows for sure. We
follow REP/SEP within a straight-line listing and accept hints for the entry state; PLP, RTI and
XCE make the widths unknowable statically, so the widths in force simply carry on (pass new hints
if a listing goes wrong after one of them).

asar picks an operand's size from the number of hex digits it is written with (`$12` direct page,
`$0012` absolute, `$000012` long; `#$12` one byte, `#$0012` two), so operands are written with
exactly as many digits as they have bytes. Branch targets are written as labels (asar treats a
bare number after a branch as a raw offset), defined either on the target line or, when the
target lies outside the listing, by an assignment (`L_008123 = $008123`). MVN/MVP operands are
written in object-code order (destination bank, then source bank), which is what asar expects.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from triforce.snes.opcodes import MODE_SYNTAX, OPCODES, Mode, operand_size

_BRANCH_MODES = (Mode.REL8, Mode.REL16)


@dataclass(frozen=True, slots=True)
class Instruction:
    """One decoded instruction. `target` is set for branches, BRL and PER (24-bit address)."""

    address: int
    data: bytes
    mnemonic: str
    mode: Mode
    m8: bool
    x8: bool
    target: int | None = None

    @property
    def operand(self) -> int:
        """The operand bytes as a little-endian number (0 when there are none)."""
        return int.from_bytes(self.data[1:], "little")

    @property
    def branch_in_bank(self) -> bool:
        """True when the branch target is reached without wrapping around the 64 KiB bank."""
        if self.target is None:
            return True
        size = len(self.data) - 1
        rel = int.from_bytes(self.data[1:], "little", signed=True)
        return 0 <= (self.address & 0xFFFF) + 1 + size + rel <= 0xFFFF

    def operand_text(self, labels: dict[int, str] | None = None) -> str:
        """The operand in asar syntax; branch targets use `labels` when given, else `$XXXXXX`."""
        size = len(self.data) - 1
        mode = self.mode
        if mode in (Mode.IMP,):
            return ""
        if mode is Mode.ACC:
            return "A"
        if self.target is not None:
            if not self.branch_in_bank:
                # The branch wraps around the bank; asar measures distance without wrapping, so
                # write the raw displacement (asar emits a plain number after a branch as is).
                return f"${self.operand:0{size * 2}X}"
            text = labels.get(self.target) if labels else None
            return text or f"${self.target:06X}"
        if mode is Mode.MOVE:
            return f"${self.data[1]:02X},${self.data[2]:02X}"
        value = f"${self.operand:0{size * 2}X}"
        return MODE_SYNTAX[mode].format(value)

    def text(self, labels: dict[int, str] | None = None) -> str:
        operand = self.operand_text(labels)
        return f"{self.mnemonic} {operand}" if operand else self.mnemonic


ByteSource = Callable[[int], int]


def _byte_reader(source: bytes | bytearray | object, origin: int) -> ByteSource:
    """A function address -> byte over raw bytes placed at `origin`, or over a bus (`peek`/`read`)."""
    if isinstance(source, bytes | bytearray):
        data = bytes(source)

        def from_bytes(addr: int) -> int:
            i = addr - origin
            if not 0 <= i < len(data):
                raise IndexError(addr)
            return data[i]

        return from_bytes
    reader = getattr(source, "peek", None) or getattr(source, "read", None)
    if reader is None:
        raise TypeError("source must be bytes or a bus with peek()/read()")
    return reader  # type: ignore[no-any-return,unused-ignore]


def decode(read: ByteSource, address: int, m8: bool = True, x8: bool = True) -> Instruction:
    """Decode the instruction at `address` (24-bit) under the given register widths."""
    bank = address & 0xFF0000
    op = OPCODES[read(address)]
    size = operand_size(op.mode, m8, x8)
    data = bytes([op.code] + [read(bank | ((address + 1 + i) & 0xFFFF)) for i in range(size)])
    target = None
    if op.mode is Mode.REL8:
        rel = data[1] - 0x100 if data[1] & 0x80 else data[1]
        target = bank | ((address + 2 + rel) & 0xFFFF)
    elif op.mode is Mode.REL16:
        rel = int.from_bytes(data[1:3], "little", signed=True)
        target = bank | ((address + 3 + rel) & 0xFFFF)
    return Instruction(address, data, op.mnemonic, op.mode, m8, x8, target)


def disassemble(
    source: bytes | bytearray | object,
    address: int,
    count: int | None = None,
    length: int | None = None,
    m8: bool = True,
    x8: bool = True,
    origin: int | None = None,
) -> list[Instruction]:
    """Decode `count` instructions (or `length` bytes) from `address`, following REP/SEP.

    `source` is raw bytes (placed at `origin`, default `address`) or a bus such as `SnesBus`.
    Decoding stops early at the end of raw bytes when an instruction would run past them.
    """
    if count is None and length is None:
        raise ValueError("give count or length")
    read = _byte_reader(source, address if origin is None else origin)
    out: list[Instruction] = []
    pc = address & 0xFFFFFF
    end = None if length is None else address + length
    while (count is None or len(out) < count) and (end is None or pc < end):
        try:
            ins = decode(read, pc, m8, x8)
        except IndexError:
            break
        out.append(ins)
        if ins.mnemonic == "REP":
            m8 = m8 and not ins.data[1] & 0x20
            x8 = x8 and not ins.data[1] & 0x10
        elif ins.mnemonic == "SEP":
            m8 = m8 or bool(ins.data[1] & 0x20)
            x8 = x8 or bool(ins.data[1] & 0x10)
        pc = (pc & 0xFF0000) | ((pc + len(ins.data)) & 0xFFFF)
    return out


def to_asar(
    instructions: Iterable[Instruction],
    label_prefix: str = "L_",
    with_org: bool = True,
    comments: bool = False,
) -> str:
    """asar source for the listing: `org`, label definitions and one instruction per line.

    Assembling the text with asar (into a ROM whose mapper places `org` at the same bytes)
    reproduces the original bytes exactly."""
    ins_list = list(instructions)
    starts = {i.address for i in ins_list}
    targets = sorted({i.target for i in ins_list if i.target is not None and i.branch_in_bank})
    labels = {t: f"{label_prefix}{t:06X}" for t in targets}
    lines: list[str] = [f"{labels[t]} = ${t:06X}" for t in targets if t not in starts]
    expected = None
    for ins in ins_list:
        if with_org and ins.address != expected:
            lines.append(f"org ${ins.address:06X}")
        if ins.address in labels:
            lines.append(f"{labels[ins.address]}:")
        text = "    " + ins.text(labels)
        if comments:
            text = f"{text:<28}; ${ins.address:06X}: {ins.data.hex(' ').upper()}"
        lines.append(text)
        expected = (ins.address & 0xFF0000) | ((ins.address + len(ins.data)) & 0xFFFF)
    return "\n".join(lines) + "\n"


def listing(instructions: Iterable[Instruction]) -> str:
    """A human-readable listing: address, bytes, asar text, and the widths assumed."""
    rows = []
    for ins in instructions:
        widths = f"m{8 if ins.m8 else 16} x{8 if ins.x8 else 16}"
        rows.append(f"${ins.address:06X}  {ins.data.hex(' ').upper():<12} {ins.text():<20} ; {widths}")
    return "\n".join(rows) + "\n"
