"""`calldata report queues`: queue statistics (docs/queues.md) for some days, as readable tables."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

import msgspec
import typer
from rich import box
from rich.console import Console
from rich.table import Table
from sqlalchemy.exc import SQLAlchemyError

from calldata.cli import context
from calldata.cli.tables import show
from calldata.reports.queues import COUNTS, WAITS, figures_between, zone_of
from calldata.reports.request import ReportError



def _stop(message: str) -> typer.Exit:
    typer.echo(f"calldata report: {message}", err=True)
    return typer.Exit(2)


def _day(option: str, value: str | None) -> date:
    if value is None:
        raise _stop(f"{option}: needed for queues (YYYY-MM-DD)")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise _stop(f"{option}: not a date (YYYY-MM-DD): {value!r}") from None


def _table(title: str, heads: tuple[str, ...]) -> Table:
    table = Table(title=title, title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False, padding=(0, 1),
                  collapse_padding=True, show_edge=False)
    for head in heads:
        table.add_column(head, no_wrap=True, justify="left" if head in ("", "member") else "right")
    return table


def _print(values: dict[str, Any], first: date, last: date) -> None:
    """Per queue: its counts, its waits, its service level and its members."""
    console = Console()
    console.print(f"callers who entered a queue from {first} to {last}" if values
                  else f"no queue calls from {first} to {last}")
    for name, queue in values.items():
        level = queue["serviceLevel"]
        ratio = "-" if level["ratio"] is None else f"{level['ratio']:.1%}"
        counts = _table(name, ("", "calls"))
        for head, key in COUNTS:
            counts.add_row(head, str(queue[key]))
        counts.add_row(f"within {level['seconds']} s", f"{level['answered']} ({ratio})")
        show(counts, console)
        waits = _table(f"{name}: waits (s)", ("", "avg", "p90", "max"))
        for head, key in WAITS:
            spread = queue["wait"][key]
            waits.add_row(head, *(("-",) * 3 if spread is None else (str(spread[k]) for k in ("avg", "p90", "max"))))
        show(waits, console)
        members = _table(f"{name}: members", ("member", "answered", "no answer", "busy", "talk (s)"))
        for agent, counted in queue["agents"].items():
            members.add_row(agent, *(str(counted[k]) for k in ("answered", "ringNoAnswer", "busy", "talk")))
        show(members, console)


def queues(ctx: typer.Context, companies: list[str], start: str | None, until: str | None, names: list[str],
           service_level: int, as_json: bool) -> None:
    """Queue figures of the callers that entered a queue from --from to --to (included), in the
    company's zone when one --company is given, else the display zone."""
    first, last = _day("--from", start), _day("--to", until)
    if last < first:
        raise _stop(f"--to: {last} is before --from {first}")
    if service_level < 0:
        raise _stop(f"--service-level: must not be negative, got {service_level}")
    settings = context.settings(ctx)
    wanted = tuple(dict.fromkeys(companies)) or None
    try:
        with context.store(ctx).connect() as conn:
            zone = zone_of(conn, wanted, settings.display_tz)
            span = (datetime(d.year, d.month, d.day, tzinfo=zone) for d in (first, last + timedelta(days=1)))
            found = figures_between(conn, *span, wanted, tuple(dict.fromkeys(names)), service_level)
    except ReportError as exc:
        raise _stop(f"--{exc.key}: {exc.message}") from None
    except SQLAlchemyError as exc:
        cause = getattr(exc, "orig", None) or exc
        raise _stop(f"database: {str(cause).splitlines()[0]}") from None
    if as_json:
        typer.echo(msgspec.json.encode(found["values"]).decode())
    else:
        _print(found["values"], first, last)
