"""Tables for a person that stay readable in an 80-column terminal.

rich fits a wide table into a narrow terminal by cutting each cell to its share of the width
with an ellipsis, so `oracle-constellation` becomes `oracle-co…` and a path loses its end. This
`Table` renders as rich's own whenever every column keeps at least its longest word; when one
would be cut it renders as records instead: one block per row, the first cell as its heading and
every other cell as a `column: value` line that wraps (and folds a long path or URL) at the
terminal's width. Nothing is cut either way; `--json` remains the form for machines.

Every command module imports `Table` from here instead of from rich.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from rich import table as rich_table
from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.text import Text

__all__ = ["Table"]


class Table(rich_table.Table):
    """A rich Table that turns into one record per row where a column would be cut."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        if self.columns and self._would_cut(console, options):
            yield from self._records()
            return
        yield from super().__rich_console__(console, options)

    def _would_cut(self, console: Console, options: ConsoleOptions) -> bool:
        """True when rich would give some column less room than its longest word."""
        max_width = options.max_width if self.width is None else min(self.width, options.max_width)
        inner = options.update_width(max_width - self._extra_width)
        widths = self._calculate_column_widths(console, inner)
        for column, width in zip(self.columns, widths, strict=True):
            if column.overflow == "fold" and not column.no_wrap:
                continue  # folding keeps every character
            needed = self._measure_column(console, inner.update_width(10**6), column)
            if width < needed.minimum:
                return True
        return False

    def _records(self) -> Iterable[RenderableType]:
        labels = [_plain(column.header) for column in self.columns]
        cells = [list(column.cells) for column in self.columns]
        if self.title:
            yield Text(self.title, style="bold") if isinstance(self.title, str) else self.title
        if not self.row_count:
            yield Text("  (no rows)", style="dim")
        for row in range(self.row_count):
            yield _bold(cells[0][row])
            grid = rich_table.Table.grid(padding=(0, 1))
            grid.add_column(no_wrap=True)
            grid.add_column(overflow="fold")
            for label, column in zip(labels[1:], cells[1:], strict=True):
                value = column[row]
                if _plain(value).strip() in ("", "-"):
                    continue
                grid.add_row(f"  {label}:" if label else " ", value)
            yield grid


def _plain(value: Any) -> str:
    if isinstance(value, Text):
        return value.plain
    if isinstance(value, str):
        try:
            return Text.from_markup(value).plain
        except Exception:  # not markup after all: shown as written
            return value
    return ""


def _bold(value: Any) -> RenderableType:
    if isinstance(value, Text):
        out = value.copy()
        out.stylize("bold")
        return out
    if isinstance(value, str):
        out = Text.from_markup(value)
        out.stylize("bold")
        return out
    return value
