"""Structured diagnostics: asar's error and warning lines, and the sandbox's own findings.

asar 1.91 prints one line per diagnostic on stderr, for example

    snippet.asm:5: error: (Eunknown_command): Unknown command. [STX $7E0012]
    lib.asm:16 (called from snippet.asm:21): error: (Eunknown_command): Unknown command. [foo]

Codes starting with `E`/`W` are asar's; codes starting with `T` are Triforce's (sandbox, limits,
batch placement), so a caller can tell "the code is wrong" from "we refused to run it".
"""

from __future__ import annotations

import re
from typing import Literal

from pydantic import BaseModel

Severity = Literal["error", "warning"]

_LINE_RE = re.compile(
    r"^(?:(?P<file>.+?):(?P<line>\d+)(?: \(called from (?P<caller>.+?)\))?: )?"
    r"(?P<severity>error|warning): \((?P<code>[EW][A-Za-z0-9_]+)\): (?P<message>.*?)"
    r"(?: \[(?P<text>.*)\])?$"
)


class Diagnostic(BaseModel):
    """One finding about a source: where (file, 1-based line), how bad, which code, what it says.

    `snippet` is the index of the snippet in a batch (0 for a single assemble); `text` is the
    source statement asar complained about, as asar echoes it; `called_from` is asar's macro call
    chain (`file:line`), innermost first.
    """

    file: str | None = None
    line: int | None = None
    severity: Severity = "error"
    code: str
    message: str
    snippet: int | None = None
    text: str | None = None
    called_from: str | None = None

    def format(self) -> str:
        """`file:line (called from f:l): error: (Ecode): message [text]`, the shape asar uses."""
        where = ""
        if self.file is not None:
            where = f"{self.file}:{self.line}" if self.line is not None else f"{self.file}"
            where += f" (called from {self.called_from}): " if self.called_from else ": "
        tail = f" [{self.text}]" if self.text else ""
        return f"{where}{self.severity}: ({self.code}): {self.message}{tail}"

    def brief(self) -> str:
        """`line N: error: (Ecode): message [text]`: the same shape without the file, for a
        snippet whose file name means nothing to the reader (a model's answer, a sample)."""
        where = f"line {self.line}: " if self.line is not None else ""
        tail = f" [{self.text.strip()}]" if self.text else ""
        return f"{where}{self.severity}: ({self.code}): {self.message}{tail}"

    def __str__(self) -> str:  # every f-string shows the one format, never the model's repr
        return self.format()


def first_error(diagnostics: list[Diagnostic]) -> str:
    """The first error (never a warning) in brief form: the diagnostic that stopped the assembly."""
    err = next((d for d in diagnostics if d.severity == "error"), None)
    return err.brief() if err else "asar reported an error"


def parse_asar_output(text: str) -> list[Diagnostic]:
    """Every diagnostic line asar printed, in order; banner and summary lines are skipped."""
    found: list[Diagnostic] = []
    for raw in text.splitlines():
        match = _LINE_RE.match(raw.strip())
        if not match:
            continue
        found.append(
            Diagnostic(
                file=match["file"],
                line=int(match["line"]) if match["line"] else None,
                severity="error" if match["severity"] == "error" else "warning",
                code=match["code"],
                message=match["message"],
                text=match["text"],
                called_from=match["caller"],
            )
        )
    return found


def sandbox_error(code: str, message: str, *, file: str | None = None, line: int | None = None) -> Diagnostic:
    """A diagnostic raised by Triforce itself (code `T...`), never carrying foreign file content."""
    return Diagnostic(file=file, line=line, severity="error", code=code, message=message)
