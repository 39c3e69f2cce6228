"""`triforce cpu ...`: commands about the 65816 core itself (conformance against test vectors)."""

from __future__ import annotations

import json
from pathlib import Path

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from triforce.cli._tables import Table
from triforce.snes.conformance import FileResult, Runner, find_test_files, iter_tests, load_tests, record

app = typer.Typer(help="The 65816 CPU core: conformance checks.", no_args_is_help=True)


@app.command("conformance")
def conformance(
    paths: list[Path] = typer.Argument(
        ..., help="SingleStepTests files (.json/.json.gz) or folders of them."
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object for machines."),
    show_failures: int = typer.Option(
        3, "--show-failures", min=0, help="Failing tests to describe per file."
    ),
) -> None:
    """Run SingleStepTests-format 65816 tests; exit 0 only when every test passes."""
    files = find_test_files(paths)
    runner = Runner()
    results: list[FileResult] = []
    console = Console(stderr=as_json)
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        overall = progress.add_task("files", total=len(files))
        for path in files:
            tests = load_tests(path)
            task = progress.add_task(path.name, total=len(tests))
            result = FileResult(path)
            for name, diffs, cycles_ok in iter_tests(tests, runner):
                record(result, name, diffs, cycles_ok)
                progress.advance(task)
            progress.remove_task(task)
            progress.advance(overall)
            results.append(result)
    total = sum(r.total for r in results)
    passed = sum(r.passed for r in results)
    cycle_mismatches = sum(r.cycle_mismatches for r in results)
    if as_json:
        payload = {
            "files": [r.as_dict(show_failures) for r in results],
            "total": total,
            "passed": passed,
            "failed": total - passed,
            "cycle_mismatches": cycle_mismatches,
        }
        typer.echo(json.dumps(payload, indent=2))
    else:
        _print_table(console, results, show_failures)
        colour = "green" if passed == total else "red"
        console.print(
            f"[bold {colour}]total: {passed}/{total} passed[/] in {len(results)} files "
            f"(cycle count differs in {cycle_mismatches}; not a failure)"
        )
    if passed != total:
        raise typer.Exit(1)


def _print_table(console: Console, results: list[FileResult], show_failures: int) -> None:
    table = Table("file", "passed", "total", "cycle count differs")
    for r in results:
        style = "" if r.ok else "red"
        table.add_row(r.path.name, str(r.passed), str(r.total), str(r.cycle_mismatches), style=style)
    console.print(table)
    for r in results:
        for failure in r.failures[:show_failures]:
            console.print(f"[red]{r.path.name} {failure.name}[/]: " + "; ".join(failure.differences[:6]))
