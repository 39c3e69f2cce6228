"""A tiny usdasm-style tree written for the tests: our own dictionary and messages, the game's
command length and width tables (numbers), in the listing format usdasm uses (`#_addr:` on
every data line). Hand-encoded bytes; the comments are written the way usdasm annotates."""

from __future__ import annotations

from pathlib import Path

from triforce.text.charset import _WIDTHS

# Our dictionary: entry i is byte $88 + i.
DICTIONARY = ["  ", "the", "th", "ing", "Wel"]
DICT_BYTES = [[0x59, 0x59], [0x2D, 0x21, 0x1E], [0x2D, 0x21], [0x22, 0x27, 0x20], [0x16, 0x1E, 0x25]]

# (text, bytes, db lines [(bytes, comment)]) -- greedy canonical encodings worked out by hand
MESSAGES = [
    (
        "Welcome to the thing.",
        [[0x8C, 0x1C, 0x28, 0x26, 0x1E, 0x59, 0x2D, 0x28], [0x59, 0x89, 0x59, 0x8A, 0x8B, 0x41], [0x7F]],
        ["[Wel]come⎵to", "⎵[the]⎵[th][ing].", "end of message"],
    ),
    (
        "[W:02][L], wait[K][V]ok",
        [[0x6B, 0x02], [0x6A, 0x42, 0x59, 0x30, 0x1A, 0x22, 0x2D], [0x7E], [0x73], [0x28, 0x24], [0x7F]],
        ["set window border", "[LINK],⎵wait", "wait for key", "scroll text", "ok", "end of message"],
    ),
    (
        "Hi  there",
        [[0x07, 0x22, 0x88, 0x89, 0x2B, 0x1E], [0x7F]],
        ["Hi[  ][the]re", "end of message"],
    ),
]
SECOND_BANK_FROM = 2  # messages from this index on live in bank $0E

# The game's TextCommandLengths ($0E:D3D1), whose first entry is for $66.
LENGTHS = [1, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 1, 1, 1, 1, 1]


def _db(addr: int, values: list[int], comment: str = "", decimal: bool = False) -> str:
    body = ", ".join(str(v) if decimal else f"${v:02X}" for v in values)
    return f"#_{addr:06X}: db {body}" + (f" ; {comment}" if comment else "")


def write_usdasm(root: Path, widths: list[int] | None = None, lengths: list[int] | None = None) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    bank = ["WordDictionary:"]
    addr = 0x0EC703
    for i in range(len(DICTIONARY)):
        bank.append(f"#_{addr:06X}: dw .entry_{i:02X}")
        addr += 2
    bank.append(f"#_{addr:06X}: dw .end")
    addr += 2
    bank.append("")
    for i, data in enumerate(DICT_BYTES):
        bank += [f".entry_{i:02X}", _db(addr, data), ""]
        addr += len(data)
    bank += [".end", f"#_{addr:06X}: RTS", "", "pool RenderText_PerformVWFing", "", ".width"]
    table = list(widths if widths is not None else _WIDTHS)
    addr = 0x0ECADF
    for i in range(0, len(table), 9):
        bank.append(_db(addr + i, table[i : i + 9], decimal=True))
    bank += ["", ".masks_on", _db(addr + len(table), [0x80, 0x40, 0x20, 0x10]), "", "pool off", ""]
    bank += ["RenderText_MoreInitialSettings:", _db(0x0ED36B, [0] * 8), ""]
    bank += ["TextCommandLengths:"]
    lens = lengths or LENGTHS
    for i in range(0, len(lens), 8):
        bank.append(_db(0x0ED3D1 + i, lens[i : i + 8]))
    bank += ["", "CreateMessagePointers:", "#_0ED3EB: PHB", ""]
    (root / "bank_0E.asm").write_text("\n".join(bank) + "\n", encoding="utf-8")

    text = ["org $1C8000", "", "Message_Data:", ""]
    addr = 0x1C8000
    for i, (_, lines, comments) in enumerate(MESSAGES):
        if i == SECOND_BANK_FROM:
            text += [_db(addr, [0x80], "change banks"), "", "org $0EDF40", "", "Message_DataExtra:", ""]
            addr = 0x0EDF40
        text += [";" + "=" * 20, f"Message_{i:04X}:"]
        for data, comment in zip(lines, comments, strict=True):
            text.append(_db(addr, data, comment))
            addr += len(data)
        text.append("")
    text.append(_db(addr, [0xFF]))
    (root / "text.asm").write_text("\n".join(text) + "\n", encoding="utf-8")
    return root


def message_bytes(i: int) -> bytes:
    return bytes(b for line in MESSAGES[i][1] for b in line)
