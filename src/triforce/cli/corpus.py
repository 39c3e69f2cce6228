"""`triforce corpus scan PATH...`: read asar source trees and report what the reader found."""

from __future__ import annotations

import json
from pathlib import Path
from typing import get_args

import typer
from rich.console import Console

from triforce.cli._tables import Table
from triforce.corpus import CorpusReport, bundled_corpus, read_corpus
from triforce.errors import ConfigError
from triforce.sample import Origin

app = typer.Typer(help="Read asar source trees into routines.", no_args_is_help=True)

_ORIGINS = get_args(Origin)


@app.command("scan")
def scan(
    paths: list[Path] = typer.Argument(None, help="Source trees or files (default: the bundled corpus)."),
    name: str = typer.Option(
        "", "--name", help="Corpus name for provenance (default: the first path's name)."
    ),
    origin: str = typer.Option("original", "--origin", help=f"Origin tag: {', '.join(_ORIGINS)}."),
    routines: bool = typer.Option(False, "--routines", help="List every routine."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Read the trees (every file read or skipped with a reason) and print the report."""
    if origin not in _ORIGINS:
        raise ConfigError(f"--origin: {origin!r} is not one of {', '.join(_ORIGINS)}")
    if paths:
        report = read_corpus(paths, name=name or paths[0].resolve().name, origin=origin)  # type: ignore[arg-type]
    else:
        report = bundled_corpus()
    if as_json:
        data = report.summary()
        if routines:
            data["routine_list"] = [_routine_row(r) for r in report.routines]
        typer.echo(json.dumps(data, indent=2))
        return
    _print(report, routines)


def _routine_row(r) -> dict[str, object]:  # type: ignore[no-untyped-def]
    return {
        "name": r.qualified_name,
        "address": f"${r.address:06X}" if r.address is not None else None,
        "file": r.provenance.file,
        "lines": [r.line_start, r.line_end],
        "entry": str(r.entry_width),
        "returns": r.returns,
        "calls": r.calls,
        "ram": [f"{ref.describe()} {ref.access}" for ref in r.ram],
    }


def _print(report: CorpusReport, routines: bool) -> None:
    console = Console()
    s = report.summary()
    table = Table(title=f"corpus {report.name} ({report.origin})", show_header=False)
    for key in ("routines", "routines_with_address", "data_blocks", "files_read", "lines_read", "elapsed_s"):
        table.add_row(key.replace("_", " "), str(s[key]))
    table.add_row("files skipped", str(len(report.files_skipped)))
    table.add_row("missing includes", str(len(report.missing_includes)))
    console.print(table)
    if report.files_skipped:
        skipped = Table(title="skipped")
        skipped.add_column("path")
        skipped.add_column("reason")
        for path, why in report.files_skipped:
            skipped.add_row(str(path), why)
        console.print(skipped)
    if report.unknown_directives:
        top = sorted(report.unknown_directives.items(), key=lambda kv: (-kv[1], kv[0]))[:10]
        console.print("unknown directives: " + ", ".join(f"{k} ({v})" for k, v in top), markup=False)
    for warning in report.warnings[:20]:
        console.print(f"warning: {warning}", markup=False)
    if routines:
        listing = Table(title="routines")
        for col in ("name", "address", "file:lines", "entry", "ret", "calls"):
            listing.add_column(col)
        for r in report.routines:
            listing.add_row(
                r.qualified_name,
                f"${r.address:06X}" if r.address is not None else "-",
                f"{r.provenance.file}:{r.line_start}-{r.line_end}",
                str(r.entry_width),
                r.returns or "-",
                ", ".join(r.calls[:4]),
            )
        console.print(listing)
