"""Small facts of asar's source syntax shared by the sandbox scan and the dataset normaliser."""

from __future__ import annotations


def strip_comment(line: str) -> str:
    """The line without its `;` comment, respecting '...' and "..." literals.

    An unclosed quote hides the rest of the line from comment detection: the conservative
    reading for a scan that must not miss a directive."""
    if '"' not in line and "'" not in line:
        return line.split(";", 1)[0]
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'":
            quote = ch
        elif ch == ";":
            return line[:i]
    return line
