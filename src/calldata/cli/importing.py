"""`calldata import FILE...`: Asterisk CSV CDR files and queue_log files into the store, with a progress bar and a summary."""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, tzinfo
from pathlib import Path
from types import FrameType
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn, TransferSpeedColumn
from rich.table import Table
from sqlalchemy import Engine

from calldata.cli import context, tables
from calldata.ingest.csvfile import LayoutError
from calldata.ingest.layouts import LAYOUTS, Layout, layout_from_spec
from calldata.ingest.importer import BATCH_SIZE, FileImport, file_layout, import_file
from calldata.ingest.queuelog import QUEUE_LOG
from calldata.retention.archive import ArchiveError


def _zone(name: str) -> tzinfo:
    if name.upper() in ("UTC", "Z", "GMT", "ETC/UTC"):
        return UTC
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise typer.BadParameter(f"unknown time zone {name!r} (use an IANA name such as Europe/London)") from None


def _layout(spec: str | None) -> Layout | None:
    if spec is None or spec == "auto":
        return None
    if spec == QUEUE_LOG.name:
        return QUEUE_LOG
    try:
        return layout_from_spec(spec)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


def import_files(
    ctx: typer.Context,
    files: Annotated[
        list[Path],
        typer.Argument(help="Master.csv (or per-account) files written by cdr_csv or cdr_custom, or queue_log files."),
    ],
    source_tz: Annotated[
        str, typer.Option("--source-tz", help="Zone of the times in the files (cdr.conf usegmtime=yes: UTC).")
    ] = "UTC",
    layout: Annotated[
        str | None,
        typer.Option(
            "--layout",
            help=f"Force a layout instead of detecting it per file: {', '.join(LAYOUTS)}, queue_log, or a column list.",
        ),
    ] = None,
    batch_size: Annotated[int, typer.Option("--batch-size", min=1, help="Records per transaction.")] = BATCH_SIZE,
) -> None:
    """Import Asterisk CSV CDR files and queue_log files; bad lines go to the quarantine, re-imports add nothing twice."""
    zone = _zone(source_tz)
    forced = _layout(layout)
    layouts = _checked(files, forced)
    console = Console(stderr=True)
    stop = threading.Event()
    try:
        with _ctrl_c_sets(stop):
            engine = context.store(ctx)
            began = time.perf_counter()
            results, failed = _import_each(engine, layouts, zone, batch_size, stop, console)
            elapsed = time.perf_counter() - began
            engine.dispose()
    except KeyboardInterrupt:  # a second Ctrl-C: the transaction in flight is rolled back
        console.print("calldata import: interrupted twice: stopped at once (the batch in flight is not stored)")
        raise typer.Exit(130) from None
    out = Console()
    if results:
        tables.show(_summary(results, interrupted=stop.is_set()), out)
    read = sum(r.read for _, r in results)
    store = engine.url.render_as_string(hide_password=True)
    out.print(
        f"{read:,} rows read in {elapsed:.1f} s ({read / max(elapsed, 1e-9):,.0f} rows/s) into {store}",
        markup=False,
        highlight=False,
    )
    for path, reason in failed:
        console.print(f"[red]not imported[/red] {path}: {reason}")
    if failed:
        console.print("(batches stored before a file failed are kept; importing it again adds only the rest)")
    if any(r.quarantined for _, r in results):
        console.print("quarantined lines: [bold]calldata quarantine list --source FILE[/bold]")
    if stop.is_set():
        console.print(
            "interrupted: the summary is what was stored, in whole batches; importing the same files again adds only the rest"
        )
        raise typer.Exit(130)
    if failed:
        raise typer.Exit(1)


def _import_each(
    engine: Engine,
    layouts: dict[Path, Layout | None],
    zone: tzinfo,
    batch_size: int,
    stop: threading.Event,
    console: Console,
) -> tuple[list[tuple[Path, FileImport]], list[tuple[Path, str]]]:
    """Each file in turn, with a progress bar, until `stop` is set: what each did, and which failed part-way."""
    results: list[tuple[Path, FileImport]] = []
    failed: list[tuple[Path, str]] = []
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        TimeRemainingColumn(),
    )
    with Progress(*columns, console=console) as progress:
        for path, layout in layouts.items():
            if stop.is_set():
                break
            try:
                size = path.stat().st_size
            except OSError as exc:  # gone since it was checked
                failed.append((path, exc.strerror or str(exc)))
                continue
            task = progress.add_task(path.name, total=size)
            try:
                result = import_file(
                    engine,
                    path,
                    zone,
                    layout=layout,
                    batch_size=batch_size,
                    progress=lambda done, task=task: progress.update(task, completed=done),
                    stop=stop,
                )
            except (LayoutError, ArchiveError, OSError, EOFError) as exc:  # EOFError: a truncated .gz
                failed.append((path, str(exc)))
                continue
            finally:
                progress.remove_task(task)  # the summary says how it went
            results.append((path, result))
    return results, failed


def _checked(files: list[Path], forced: Layout | None) -> dict[Path, Layout | None]:
    """Every file's layout, found before the store is touched: one missing file imports none."""
    layouts: dict[Path, Layout | None] = {}
    problems: list[str] = []
    for path in files:
        try:
            if forced is None:
                layouts[path] = file_layout(path)
            else:
                path.open("rb").close()
                layouts[path] = forced
        except OSError as exc:
            problems.append(f"{path}: {exc.strerror or exc}")
        except (LayoutError, EOFError) as exc:
            problems.append(f"{path}: {exc}")
    if problems:
        typer.echo(f"calldata import: nothing imported: {'; '.join(problems)}", err=True)
        raise typer.Exit(2)
    return layouts


@contextmanager
def _ctrl_c_sets(stop: threading.Event) -> Iterator[None]:
    """Ctrl-C sets `stop`, so the import ends between batches; a second Ctrl-C interrupts at once."""

    def interrupted(signum: int, frame: FrameType | None) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()

    previous = signal.signal(signal.SIGINT, interrupted)
    try:
        yield
    finally:
        signal.signal(signal.SIGINT, previous)


def _summary(results: list[tuple[Path, FileImport]], *, interrupted: bool) -> Table:
    table = Table(title="Import (interrupted)" if interrupted else "Import")
    table.add_column("file", overflow="fold")
    table.add_column("layout", overflow="fold")
    for name in ("read", "inserted", "already present", "quarantined"):
        table.add_column(name, justify="right", no_wrap=True)
    for path, r in results:
        table.add_row(str(path), r.layout, *_counts(r))
    if len(results) > 1:
        total = FileImport(path="total", layout="")
        for _, r in results:
            total.read += r.read
            total.inserted += r.inserted
            total.present += r.present
            total.quarantined += r.quarantined
            total.newly_quarantined += r.newly_quarantined
        table.add_row("[bold]total[/bold]", "", *_counts(total))
    return table


def _counts(r: FileImport) -> tuple[str, ...]:
    again = r.quarantined - r.newly_quarantined
    quarantined = f"{r.quarantined} ({again} already)" if again else str(r.quarantined)
    return str(r.read), str(r.inserted), str(r.present), quarantined
