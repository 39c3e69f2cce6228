"""Operand text in asar syntax for trace rows (the full disassembler lives in `snes.disasm`)."""

from __future__ import annotations

from triforce.snes.opcodes import MODE_SYNTAX, Mode

_WIDTH = {1: "${:02X}", 2: "${:04X}", 3: "${:06X}"}


def operand_text(mode: Mode, operand: bytes, pb: int, pc: int) -> str:
    """Format the operand bytes of an instruction at PB:PC; branches show their target."""
    if not operand:
        return MODE_SYNTAX[mode]
    if mode is Mode.REL8:
        rel = operand[0] - ((operand[0] & 0x80) << 1)
        return f"${(pc + 2 + rel) & 0xFFFF:04X}"
    if mode is Mode.REL16:
        return f"${(pc + 3 + int.from_bytes(operand, 'little')) & 0xFFFF:04X}"
    if mode is Mode.MOVE:
        return f"${operand[0]:02X},${operand[1]:02X}"
    value = _WIDTH[len(operand)].format(int.from_bytes(operand, "little"))
    return MODE_SYNTAX[mode].format(value)
