"""Read asar's `--symbols=wla` file: labels, the source files asar read, and address-to-line data.

Format (asar 1.91):

    [labels]
    00:8000 Main
    00:8008 :pos_1_0          <- +/- labels, which we drop
    [source files]
    0000 ce8865ef g.asm       <- index, CRC32, path: every file asar read as source
    [addr-to-line mapping]
    00:8000 0000:00000004     <- statement at $00:8000 comes from file 0, line 4
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class SymbolFile:
    labels: dict[str, int] = field(default_factory=dict)
    sources: list[str] = field(default_factory=list)
    #: (address, source file index, 1-based line) for each emitted statement.
    lines: list[tuple[int, int, int]] = field(default_factory=list)


def _address(text: str) -> int:
    bank, _, addr = text.partition(":")
    return (int(bank, 16) << 16) | int(addr, 16)


def parse_wla_symbols(text: str) -> SymbolFile:
    out = SymbolFile()
    section = ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith(";"):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = line[1:-1]
            continue
        parts = line.split()
        try:
            if section == "labels" and len(parts) >= 2:
                name = parts[1]
                if not name.startswith(":"):  # anonymous +/- labels
                    out.labels[name] = _address(parts[0])
            elif section == "source files" and len(parts) >= 3:
                out.sources.append(line.split(None, 2)[2])
            elif section == "addr-to-line mapping" and len(parts) == 2:
                file_index, _, line_no = parts[1].partition(":")
                out.lines.append((_address(parts[0]), int(file_index, 16), int(line_no, 16)))
        except ValueError:
            continue  # a line we do not understand carries nothing we need
    return out
