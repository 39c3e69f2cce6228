"""A stream's commands as a table people read and programs check, one command per line:

```
offset  header  command     length  argument               output
$0000   $03     literal          4  01 02 03 04            $0000-$0003
$0005   $E4 20  byte-fill       33  77                     $0004-$0024
$0008   $84     copy             5  from $0000             $0025-$0029
$000B   $FF     end
```

`parse_table` reads such a table back (any spacing; the argument column of a literal may be
shortened with `...`), `table_problems` compares one with the walk of the stream.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from triforce.compress.decompress import Stream
from triforce.compress.format import COPY, LITERAL, OP_NAMES, Command

_SHOW_LITERAL = 6
HEAD = f"{'offset':<8}{'header':<8}{'command':<12}{'length':>6}  {'argument':<23}output"


def _argument(c: Command) -> str:
    if c.op == COPY:
        return f"from ${c.source:04X}"
    if c.op == LITERAL and len(c.arg) > _SHOW_LITERAL:
        return " ".join(f"{b:02X}" for b in c.arg[:_SHOW_LITERAL]) + " ..."
    return " ".join(f"{b:02X}" for b in c.arg)


def command_line(c: Command) -> str:
    header = " ".join(f"{b:02X}" for b in c.header)
    name = OP_NAMES[c.op] + (f" ({c.code})" if c.code > COPY else "")
    out = f"${c.out_start:04X}-${c.out_start + c.length - 1:04X}"
    return f"${c.offset:04X}   ${header:<6} {name:<12}{c.length:>6}  {_argument(c):<22} {out}".rstrip()


def format_table(stream: Stream, end_row: bool = True) -> str:
    lines = [HEAD, *(command_line(c) for c in stream.commands)]
    if end_row:
        lines.append(f"${stream.end - 1:04X}   $FF     end")
    return "\n".join(lines)


_ROW = re.compile(
    r"^\s*\$?([0-9A-Fa-f]{1,4})\s+\$?([0-9A-Fa-f]{2})(?:\s+([0-9A-Fa-f]{2}))?\s+"
    r"(literal|byte-fill|word-fill|inc-fill|copy)(?:\s*\((\d)\))?\s+(\d+)\s+(.*?)\s*"
    r"\$?([0-9A-Fa-f]{1,4})\s*-\s*\$?([0-9A-Fa-f]{1,4})\s*$"
)
_END = re.compile(r"^\s*\$?([0-9A-Fa-f]{1,4})\s+\$?FF\s+end\s*$", re.IGNORECASE)
_FROM = re.compile(r"from\s+\$?([0-9A-Fa-f]{1,4})", re.IGNORECASE)


@dataclass(frozen=True)
class Row:
    offset: int
    header: bytes
    op: str
    code: int | None
    length: int
    argument: str
    out_start: int
    out_end: int


def parse_table(text: str) -> tuple[list[Row], int | None]:
    """(command rows, offset of the end marker or None) of a table; other lines are ignored."""
    rows: list[Row] = []
    end = None
    for line in text.splitlines():
        if m := _END.match(line):
            end = int(m.group(1), 16)
            continue
        m = _ROW.match(line)
        if not m:
            continue
        header = bytes(int(g, 16) for g in (m.group(2), m.group(3)) if g)
        rows.append(
            Row(
                offset=int(m.group(1), 16),
                header=header,
                op=m.group(4),
                code=int(m.group(5)) if m.group(5) else None,
                length=int(m.group(6)),
                argument=m.group(7),
                out_start=int(m.group(8), 16),
                out_end=int(m.group(9), 16),
            )
        )
    return rows, end


def table_problems(text: str, stream: Stream, end_row: bool = True) -> list[str]:
    """What a table gets wrong about a stream (empty when every command and, with `end_row`,
    the end marker's row match)."""
    rows, end = parse_table(text)
    problems: list[str] = []
    if len(rows) != len(stream.commands):
        problems.append(f"the table lists {len(rows)} command(s), the stream has {len(stream.commands)}")
    for i, (row, c) in enumerate(zip(rows, stream.commands, strict=False)):
        want = {
            "offset": c.offset,
            "header": c.header.hex(),
            "command": OP_NAMES[c.op],
            "length": c.length,
            "output": (c.out_start, c.out_start + c.length - 1),
        }
        got = {
            "offset": row.offset,
            "header": row.header.hex(),
            "command": row.op,
            "length": row.length,
            "output": (row.out_start, row.out_end),
        }
        for key, value in want.items():
            if got[key] != value:
                problems.append(f"command {i}: {key} is {got[key]!r}, the stream says {value!r}")
        if c.op == COPY:
            m = _FROM.search(row.argument)
            if not m or int(m.group(1), 16) != c.source:
                problems.append(f"command {i}: a copy from ${c.source:04X}, the table says {row.argument!r}")
        elif c.op != LITERAL:
            values = re.findall(r"\b[0-9A-Fa-f]{2}\b", row.argument)
            if [int(v, 16) for v in values] != list(c.arg):
                problems.append(
                    f"command {i}: argument {c.arg.hex(' ').upper()}, the table says {row.argument!r}"
                )
        else:
            shown = [int(v, 16) for v in re.findall(r"\b[0-9A-Fa-f]{2}\b", row.argument)]
            if shown != list(c.arg[: len(shown)]):
                problems.append(f"command {i}: literal bytes differ from the stream's")
    if end_row and end != stream.end - 1:
        problems.append(f"the end marker is at ${stream.end - 1:04X}, the table says {end}")
    return problems
