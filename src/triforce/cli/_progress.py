"""The progress bar every long command shows: one task per stage, on the given console."""

from __future__ import annotations

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn


def stage_bar(console: Console, *, disable: bool = False, transient: bool = False) -> Progress:
    """Description, bar, done/total and elapsed time; `disable` for --json runs."""
    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
        disable=disable,
        transient=transient,
    )
