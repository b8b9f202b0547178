"""`calldata retention --keep 24mo --archive DIR`: the oldest partitions archived, verified, dropped (docs/retention.md)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console

from calldata.cli import context

if TYPE_CHECKING:
    from calldata.retention.run import Plan


def retention(
    ctx: typer.Context,
    keep: Annotated[str, typer.Option("--keep", help="How long legs are kept: days, months or years (90d, 24mo, 2y).")],
    archive: Annotated[Path, typer.Option("--archive", help="Folder the archives are written to (calldata import reads them back).")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Say what would be archived and dropped; change nothing.")] = False,
) -> None:
    """Archive the oldest partitions whose legs are all older than --keep, verify each archive, then drop it (PostgreSQL)."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from calldata.retention.keep import cutoff
    from calldata.retention.run import RetentionError, plan, run, writable
    from calldata.store.partitions import Partition

    try:
        before = cutoff(keep)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--keep") from None
    engine = context.store(ctx)
    if engine.dialect.name != "postgresql":
        typer.echo("calldata retention: not available on SQLite (it needs PostgreSQL's partitions); nothing done", err=True)
        raise typer.Exit(2)
    out, err = Console(highlight=False, soft_wrap=True), Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        writable(archive)
        if dry_run:
            _show_plan(out, plan(engine, before), before, archive)
            return
        with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn(),
                      console=err, transient=True) as progress:

            def started(part: Partition, rows: int) -> Callable[[int], None]:
                task = progress.add_task(f"archiving {part.name}", total=rows)
                return lambda written: progress.update(task, completed=written)

            done = run(engine, before, archive, started)
    except RetentionError as exc:
        err.print(f"calldata retention: {exc}", markup=False)
        raise typer.Exit(1) from None
    finally:
        engine.dispose()
    for candidate, path in done:
        out.print(f"dropped {candidate.partition.name}: {candidate.rows:,} legs archived to {path}", markup=False)
    if not done:
        out.print(f"nothing to drop: no partition has all its legs before {before:%Y-%m-%d %H:%M} UTC", markup=False)


def _show_plan(out: Console, plan: Plan, before: datetime, folder: Path) -> None:
    """What a run would do, one line per partition, and what stops it."""
    from calldata.retention.archive import file_name

    for candidate in plan.going:
        part = candidate.partition
        newest = "empty" if candidate.newest is None else f"newest leg {candidate.newest:%Y-%m-%d %H:%M} UTC"
        out.print(f"would archive {part.name} ({candidate.rows:,} legs, {newest}) to"
                  f" {folder / file_name(part.lower, part.upper)}, then drop it", markup=False)
    if plan.stop is not None:
        newest = "empty" if plan.stop.newest is None else f"newest leg {plan.stop.newest:%Y-%m-%d %H:%M} UTC"
        out.print(f"would keep {plan.stop.partition.name} and everything after it: it {plan.stop.kept}"
                  f" ({newest}; cutoff {before:%Y-%m-%d %H:%M} UTC)", markup=False)
    if not plan.going:
        out.print(f"nothing to drop: no partition has all its legs before {before:%Y-%m-%d %H:%M} UTC", markup=False)
