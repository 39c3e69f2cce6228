"""`triforce asm ...`: assemble (and, from other modules, run and disassemble) 65816 code."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import typer
from rich.console import Console
from rich.markup import escape

from triforce.errors import InputError
from triforce.fsio import MAX_SOURCE_BYTES, read_stream_bounded, read_text_bounded
from triforce.snes.addresses import format_address, parse_address
from triforce.snes.asar import AssembleResult, assemble

app = typer.Typer(help="Assemble 65816 code with the sandboxed asar.", no_args_is_help=True)

_BYTES_PER_LINE = 16


def read_source(file: str) -> tuple[str, str]:
    """(text, display name) of FILE, `-` for stdin, read with asar's source-size bound."""
    if file == "-":
        stream = getattr(sys.stdin, "buffer", None)
        if stream is None:  # a text-only stdin (some test runners)
            text = sys.stdin.read(MAX_SOURCE_BYTES + 1)
            if len(text) > MAX_SOURCE_BYTES:
                read_stream_bounded(io.BytesIO(text.encode()), MAX_SOURCE_BYTES, "<stdin>")
            return text, "<stdin>"
        return read_stream_bounded(stream, MAX_SOURCE_BYTES, "<stdin>").decode("utf-8", "replace"), "<stdin>"
    path = Path(file)
    try:
        return read_text_bounded(path, MAX_SOURCE_BYTES, errors="replace"), path.name
    except OSError as exc:
        raise InputError(f"{file}: cannot read: {exc.strerror}") from exc


def _print_result(res: AssembleResult, console: Console) -> None:
    for diag in res.diagnostics:
        colour = "red" if diag.severity == "error" else "yellow"
        console.print(f"[{colour}]{escape(diag.format())}[/]", soft_wrap=True)
    if not res.ok:
        return
    for chunk in res.chunks:
        for start in range(0, len(chunk.data), _BYTES_PER_LINE):
            part = chunk.data[start : start + _BYTES_PER_LINE]
            console.print(
                f"{format_address(chunk.address + start)}  {part.hex(' ').upper()}", highlight=False
            )
    for name, address in res.stubs.items():
        console.print(f"[cyan]stub[/] {escape(name)} = {format_address(address)}", highlight=False)


@app.command("assemble")
def assemble_command(
    file: str = typer.Argument(..., help="Source file, or - for standard input."),
    org: str = typer.Option(
        "$008000",
        "--org",
        help="Start address ($008000, 0x8000 or 8000); 'none' to let the source place itself.",
    ),
    hirom: bool = typer.Option(False, "--hirom", help="Assemble into a HiROM image instead of LoROM."),
    stubs: bool = typer.Option(
        False, "--stubs", help="Define stub labels for every label the source uses but does not define."
    ),
    base_rom: Path | None = typer.Option(
        None, "--rom", help="Assemble onto a copy of this ROM (the file is never modified)."
    ),
    include_root: Path | None = typer.Option(
        None, "--include-root", help="Directory incsrc/incbin may read from."
    ),
    json_out: bool = typer.Option(False, "--json", help="Machine-readable output."),
) -> None:
    """Assemble FILE and print the bytes written (hex with SNES addresses) or asar's diagnostics.

    Exit code 0 only when the source assembled.
    """
    source, name = read_source(file)
    start = None if org.strip().lower() == "none" else parse_address(org, field="--org")
    res = assemble(
        source,
        org=start,
        mapper="hirom" if hirom else "lorom",
        base_rom=base_rom,
        stubs=stubs,
        include_root=include_root,
        filename=name,
    )
    if json_out:
        typer.echo(json.dumps(res.to_json(), indent=2))
    else:
        console = Console()
        _print_result(res, console)
        if include_root is None and any(d.code == "Tsandbox_path" for d in res.errors):
            console.print("hint: pass --include-root DIR to let incsrc/incbin read files inside DIR")
    raise typer.Exit(0 if res.ok else 1)


# `asm run` and `asm disasm` live with the machine runner and the disassembler.
from triforce.cli import asm_exec  # noqa: E402

asm_exec.register(app)
