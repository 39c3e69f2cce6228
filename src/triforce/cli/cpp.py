"""`triforce cpp scan|baseline|check`: read C++ trees and compile-check functions in place."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import typer
from rich.console import Console

from triforce.cli._progress import stage_bar
from triforce.cli._tables import Table
from triforce.cpp import CompileChecker, CppFunction, baseline_tree, bundled_tree, read_tree
from triforce.cpp.tree import TU_SUFFIXES
from triforce.errors import InputError

app = typer.Typer(help="Read C++ trees (YAZE) and compile-check functions in place.", no_args_is_help=True)
_out = Console()
_MAX_CANDIDATE = 1 << 20


def _tree(path: Path | None) -> Path:
    """The tree argument: a folder, a source name (`yaze`, fetched), or the bundled fixture tree."""
    from triforce.corpus.sources import resolve_source

    return resolve_source(path) if path is not None else bundled_tree()


@app.command("scan")
def scan(
    tree: Path = typer.Argument(None, help="A C++ checkout (default: the bundled fixture tree)."),
    folder: list[str] = typer.Option([], "--folder", "-f", help="Only these folders (relative to the tree)."),
    functions: bool = typer.Option(False, "--functions", help="List every function."),
    problems: bool = typer.Option(False, "--problems", help="List what the parser could not read."),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Every function with its exact extent, per folder; what could not be parsed and why."""
    result = read_tree(_tree(tree), folder)
    data = result.summary()
    if as_json:
        if functions:
            data["function_list"] = [_row(f) for f in result.functions]
        if problems:
            data["problem_list"] = [_problem(p) for p in result.problems]
        data["skipped"] = result.skipped
        typer.echo(json.dumps(data, indent=2))
        return
    _out.print(
        f"{data['repo']} @ {str(data['commit'] or '-')[:10]} ({data['license'] or 'no licence found'}): "
        f"{data['files_read']} files, {data['lines']} lines, {data['functions']} functions, "
        f"{data['parse_problems']} unparsed regions in {data['files_with_problems']} files"
    )
    table = Table("folder", "functions")
    for name, count in data["per_folder"].items():
        table.add_row(name or ".", str(count))
    _out.print(table)
    if functions:
        for f in result.functions:
            _out.print(f"{f.file}:{f.line_start}-{f.line_end}  {f.qualified_name}", markup=False)
    if problems:
        for p in result.problems:
            _out.print(f"{p.file}:{p.line}: {p.reason}: {p.snippet}", markup=False)
    for path, why in result.skipped:
        _out.print(f"skipped {path}: {why}", markup=False)


def _problem(p: object) -> dict[str, object]:
    return {k: getattr(p, k) for k in ("file", "line", "reason", "snippet")}


def _row(f: CppFunction) -> dict[str, object]:
    return {
        "name": f.qualified_name,
        "file": f.file,
        "lines": [f.line_start, f.line_end],
        "signature": f.signature,
        "calls": list(f.calls),
        "addresses": [f"0x{a:X}" for a in f.addresses],
        "parse_errors": f.errors_inside,
    }


@app.command("baseline")
def baseline(
    tree: Path = typer.Argument(None, help="A C++ checkout (default: the bundled fixture tree)."),
    folder: list[str] = typer.Option([], "--folder", "-f", help="Only TUs under these folders."),
    workers: int = typer.Option(2, "--workers", "-j", min=1, help="Compiles at once."),
    cache: Path = typer.Option(None, "--cache", help="Cache folder for per-TU results."),
    shims: bool = typer.Option(True, "--shims/--no-shims", help="Bridge known API drift (cpp/shims.yaml)."),
    timeout: float = typer.Option(
        120.0, "--timeout", min=1.0, help="Wall-clock seconds per TU (a TU over it counts as 'timeout')."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the report as JSON."),
) -> None:
    """Compile every translation unit unchanged: how many compile, and why the rest do not."""
    root = _tree(tree)
    from triforce.cpp.sandbox import CompileLimits
    from triforce.cpp.tree import source_files

    tus = [p.relative_to(root).as_posix() for p in source_files(root, folder) if p.suffix in TU_SUFFIXES]
    checker = CompileChecker(root, cache_dir=cache, shims=shims, limits=CompileLimits(timeout_s=timeout))
    with stage_bar(Console(stderr=True), disable=as_json) as bar:
        task = bar.add_task("compile", total=len(tus))
        report = baseline_tree(checker, tus, workers=workers, on_done=lambda *_: bar.advance(task))
    data = report.to_json()
    data["shims_applied"], data["shims_skipped"] = checker.shims_applied, checker.shims_skipped
    data["generated_headers"], data["unknown_config"] = checker.generated, checker.unknown_config
    if as_json:
        typer.echo(json.dumps(data, indent=2))
        return
    _out.print(
        f"{data['compile_unchanged']} of {data['tus']} translation units compile unchanged ({data['seconds']} s)"
    )
    table = Table("result", "TUs")
    for name, count in data["counts"].items():
        table.add_row(name, str(count))
    _out.print(table)
    for path, err in list(report.first_errors.items())[:20]:
        _out.print(f"{path}: {err}", markup=False)


@app.command("check")
def check(
    function: str = typer.Argument(
        ..., help="FILE:NAME, e.g. src/gfx/tile.cc:PackPlanar (NAME may be qualified)."
    ),
    candidate: Path = typer.Argument(..., help="The candidate definition ('-' for stdin)."),
    tree: Path = typer.Option(
        None, "--tree", "-t", help="The C++ checkout (default: the bundled fixture tree)."
    ),
    any_signature: bool = typer.Option(False, "--any-signature", help="Allow the signature to change."),
    as_json: bool = typer.Option(False, "--json", help="Print the result as JSON."),
) -> None:
    """Splice a candidate over a function and compile its TU (exit 1 when it fails)."""
    root = _tree(tree)
    file, _, name = function.rpartition(":")
    if not file or not name:
        raise InputError(f"{function!r}: expected FILE:NAME")
    parsed = read_tree(root).file(file) if (root / file).is_file() else None
    if parsed is None:
        raise InputError(f"{root / file}: no such C++ file in the tree")
    matches = [
        f
        for f in parsed.functions
        if f.qualified_name == name or f.name == name or f.qualified_name.endswith("::" + name)
    ]
    if len(matches) != 1:
        found = ", ".join(f"{f.qualified_name}:{f.line_start}" for f in matches) or "none"
        raise InputError(f"{file}: {name!r} must name exactly one function (found: {found})")
    raw = sys.stdin.buffer.read(_MAX_CANDIDATE + 1) if str(candidate) == "-" else _read(candidate)
    if len(raw) > _MAX_CANDIDATE:
        raise InputError(f"{candidate}: larger than {_MAX_CANDIDATE} bytes")
    text = raw.decode("utf-8", errors="replace")
    result = CompileChecker(root).check_function(matches[0], text, same_signature=not any_signature)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
    else:
        verdict = "[green]ok[/]" if result.ok else "[red]failed[/]"
        _out.print(f"{verdict} ({result.mode}) {matches[0].qualified_name}")
        for p in result.problems:
            _out.print(f"  {p}", markup=False)
        if result.mode == "parse-only" and result.baseline is not None:
            _out.print(
                f"  its file does not compile unchanged: {result.baseline.first_error()}", markup=False
            )
    raise typer.Exit(0 if result.ok else 1)


def _read(path: Path) -> bytes:
    try:
        with open(path, "rb") as fh:
            return fh.read(_MAX_CANDIDATE + 1)
    except OSError as exc:
        raise InputError(f"{path}: cannot read: {exc.strerror}") from exc
