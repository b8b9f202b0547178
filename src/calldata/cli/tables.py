"""Printing the CLI's tables so they stay readable in a narrow terminal (80 columns and less)."""

from __future__ import annotations

from rich.console import Console
from rich.measure import Measurement
from rich.table import Table

UNBOUNDED = 100_000


def show(table: Table, console: Console | None = None) -> None:
    """The table when it fits the terminal unwrapped; else one block of "header value" lines per
    row, since Rich squeezes a table too wide by cutting dates, names and keys to "…"."""
    console = console or Console()
    unbounded = console.options.update_width(UNBOUNDED)  # measured at the terminal's width, it is clamped to it
    if Measurement.get(console, unbounded, table).maximum <= console.width:
        console.print(table)
        return
    if table.title:
        console.print(table.title, style="bold", highlight=False)
    rows = list(zip(*(column.cells for column in table.columns), strict=True))
    if not rows:
        console.print("(none)")
    headers = [str(column.header) for column in table.columns]
    for number, row in enumerate(rows):
        record = Table.grid(padding=(0, 1))
        record.add_column(style="bold", no_wrap=True)
        record.add_column(overflow="fold")
        for header, cell in zip(headers, row, strict=True):
            record.add_row(header, cell)
        if number:
            console.print()
        console.print(record, highlight=False)
