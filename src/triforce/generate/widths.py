"""Static M/X tracking over statements: what REP/SEP have selected at each instruction.

Only straight-line knowledge: a label (a possible branch target), PLP, RTI or XCE makes the
width unknown again. Generators use this to size immediates they write and to propose
width rewrites; execution, not this tracker, is what proves a candidate.
"""

from __future__ import annotations

from triforce.generate.asmtext import Stmt, immediate

Width = tuple[int | None, int | None]  # (m, x): 8, 16 or None when unknown


def track(stmts: list[Stmt], m0: int | None, x0: int | None, entry_label: str | None = None) -> list[Width]:
    """Width before each statement."""
    m, x = m0, x0
    out: list[Width] = []
    seen_entry = False
    for s in stmts:
        out.append((m, x))
        if s.kind == "label":  # a jump may arrive with other widths (markers are not labels)
            if entry_label is not None and s.text.rstrip(":") == entry_label and not seen_entry:
                seen_entry = True
                m, x = m0, x0
            else:
                m, x = None, None
            continue
        if s.kind != "insn":
            continue
        if s.mnemonic in ("REP", "SEP"):
            v = immediate(s)
            if v is None:
                m, x = None, None
                continue
            size = 16 if s.mnemonic == "REP" else 8
            if v & 0x20:
                m = size
            if v & 0x10:
                x = size
        elif s.mnemonic in ("PLP", "RTI", "XCE"):
            m, x = None, None
    return out


def imm_text(value: int, width: int | None) -> str | None:
    """`#$XX` or `#$XXXX` for the width, or None when the width is unknown."""
    if width == 8:
        return f"#${value & 0xFF:02X}"
    if width == 16:
        return f"#${value & 0xFFFF:04X}"
    return None
