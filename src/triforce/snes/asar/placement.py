"""The bank each line of a snippet assembles in, read from the `org`/`base` statements before it.

A stub label for a `JSR`/`JMP`/branch target must sit in the bank of the instruction that
references it: these instructions carry 16 bits of address and asar refuses a label in another
bank. asar writes no address-to-line map when a run fails, which is exactly when stubs are
wanted, so the bank is read from the source: the `org` (or `base`, which sets the address the
code believes it runs at) in effect at the referencing line, following `pushpc`/`pullpc`.
Addresses asar would compute (`org Label+2`, `freecode`) are unknown here; those lines fall back
to the caller's default bank.
"""

from __future__ import annotations

import re

from triforce.snes.asmsyntax import strip_comment

_LITERAL_RE = re.compile(r"^(?:\$|0x)([0-9A-Fa-f]{1,6})$")
_DIRECTIVE_RE = re.compile(
    r"^(?:[.A-Za-z_][A-Za-z0-9_.]*:\s*)*(org|base|pushpc|pullpc|freecode|freespace|freedata)\b\s*(.*)$",
    re.IGNORECASE,
)


def _literal(text: str) -> int | None:
    match = _LITERAL_RE.match(text.strip().replace(":", ""))
    return int(match.group(1), 16) if match else None


def line_banks(source: str, default_bank: int) -> list[int | None]:
    """Bank in effect at each line (index 0 is line 1); None where the source moved the PC to
    an address only asar can compute."""
    org: int | None = default_bank
    base: int | None = None  # a `base` overrides the bank code is assembled for
    stack: list[tuple[int | None, int | None]] = []
    banks: list[int | None] = []
    for raw in source.split("\n"):
        for statement in strip_comment(raw).split(" : "):
            match = _DIRECTIVE_RE.match(statement.strip())
            if match is None:
                continue
            word, operand = match.group(1).lower(), match.group(2).strip()
            address = _literal(operand)
            if word == "org":
                org, base = (address >> 16 if address is not None else None), None
            elif word == "base" and operand.lower() == "off":
                base = None
            elif word == "base" and address is not None:
                base = address >> 16
            elif word == "pushpc":
                stack.append((org, base))
            elif word == "pullpc":
                org, base = stack.pop() if stack else (None, None)
            else:  # freecode and friends, or an address asar computes
                org, base = None, None
        banks.append(base if base is not None else org)  # `org $0A8000 : JSR Foo` counts
    return banks
