"""Citable passages of a hack's prose documents: what cannot be turned into records is kept as
text with its place (`path#L<line>`) and its heading path, so an answer can cite it exactly."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

MAX_FILE = 2 * 1024 * 1024  # bytes of one document that are read
_HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")


@dataclass(frozen=True)
class Passage:
    path: str  # relative to the tree root
    line: int  # 1-based line of the passage's first line
    heading: tuple[str, ...]  # the headings above it, outermost first
    text: str

    @property
    def cite(self) -> str:
        return f"{self.path}#L{self.line}"

    @property
    def title(self) -> str:
        return " > ".join(self.heading) if self.heading else self.path


def read_text(path: Path, limit: int = MAX_FILE) -> str:
    """A document's text, at most `limit` bytes (hack documents are untrusted input)."""
    with path.open("rb") as fh:
        data = fh.read(limit)
    return data.decode("utf-8", errors="replace")


def passages(root: Path, path: Path, min_words: int = 12) -> list[Passage]:
    """Paragraphs (blank-line separated blocks outside code fences) with their headings."""
    rel = str(path.relative_to(root))
    out: list[Passage] = []
    heading: list[str] = []
    block: list[str] = []
    start = 0
    fenced = False

    def flush() -> None:
        text = " ".join(x.strip() for x in block).strip()
        if len(text.split()) >= min_words:
            out.append(Passage(rel, start, tuple(heading), text))
        block.clear()

    for number, line in enumerate(read_text(path).splitlines(), start=1):
        if line.strip().startswith("```"):
            fenced = not fenced
            flush()
            continue
        if fenced:
            continue
        m = _HEADING.match(line)
        if m:
            flush()
            level = len(m.group(1))
            heading = [*heading[: level - 1], m.group(2)]
            continue
        if not line.strip() or line.startswith("|") or line.strip() == "---":
            flush()
            continue
        if not block:
            start = number
        block.append(line)
    flush()
    return out
