"""`calldata rates` (load, list, show, test, unrated) and `calldata rerate`: rate decks and the legs they price."""

from __future__ import annotations

import re
from collections import Counter
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table
from sqlalchemy import Connection, func, select

from calldata.attribution import versions
from calldata.attribution.lookup import Lookup
from calldata.attribution.numbers import international
from calldata.cli import context, tables
from calldata.cli.attribution import parse_when
from calldata.rating import decks, rerate as rerating
from calldata.rating.bands import DEFAULT_PEAK, band_at
from calldata.rating.deck import DeckError, parse_increments
from calldata.rating.money import amount
from calldata.rating.rater import UNRATED, Rater
from calldata.store.schema import cdr

app = typer.Typer(help="Rate decks: load them, list and show them, test a number, find the legs none priced.",
                  no_args_is_help=True)

From = Annotated[str | None, typer.Option("--from", help="From this date (YYYY-MM-DD or ISO date-time, UTC).")]
To = Annotated[str | None, typer.Option("--to", help="Before this date (exclusive).")]


def _fail(message: str, code: int = 1) -> NoReturn:
    typer.echo(f"calldata: {message}", err=True)
    raise typer.Exit(code)


def _lookup(conn: Connection) -> Lookup:
    lookup = versions.current_lookup(conn)
    if lookup is None:
        _fail("no directory is loaded, so no deck is named (`calldata directory load FILE`)")
    return lookup


@app.command()
def load(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="The deck as CSV.")],
    name: Annotated[str, typer.Option("--name", help="The deck's name, as the directory's sell_deck/buy_deck give it.")],
    currency: Annotated[str, typer.Option("--currency", help="ISO 4217 code of its amounts, such as GBP.")],
    precision: Annotated[int, typer.Option("--precision", help="Decimals each leg's amount is rounded to (half-up).")] = 4,
    valid_from: Annotated[str | None, typer.Option(
        "--valid-from", help="First day (YYYY-MM-DD, PBX zone) it prices. Default: always for a deck's "
                             "first version, today in the PBX zone for a later one.")] = None,
    peak: Annotated[str, typer.Option("--peak", help="Weekday peak hours, PBX zone.")] = DEFAULT_PEAK,
    increments: Annotated[str, typer.Option(
        "--increments", help="MINIMUM/INCREMENT seconds of the rows that name none (60/60, 30/6, 1/1).")] = "1/1",
) -> None:
    """Store FILE as the next version of deck NAME (a file identical to the latest version adds nothing)."""
    try:
        billing = parse_increments(increments)
        decks.check_settings(name, currency, precision, peak)
    except ValueError as exc:
        _fail(str(exc), 2)
    try:
        start = date.fromisoformat(valid_from) if valid_from is not None else None
    except ValueError:
        _fail(f"--valid-from: a date YYYY-MM-DD expected, got {valid_from!r}", 2)
    try:
        text = file.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(f"{file}: cannot read it as UTF-8 text ({exc.__class__.__name__})")
    try:
        with context.store(ctx).begin() as conn:
            lookup = versions.current_lookup(conn)
            today = datetime.now(lookup.plan.zone if lookup else UTC).date()
            deck, created = decks.load(conn, text, str(file), name=name, currency=currency, precision=precision,
                                       valid_from=start, peak=peak, billing=billing, today=today)
    except DeckError as exc:
        err = Console(stderr=True, soft_wrap=True)
        for line, problem in exc.problems:
            err.print(f"[red]{exc.source}:{line}:[/red] {problem}", highlight=False)
        err.print(f"{len(exc.problems)} problem{'s' if len(exc.problems) > 1 else ''}; nothing was loaded")
        raise typer.Exit(1) from None
    if not created:
        typer.echo(f"{file} is identical to deck {deck.name} version {deck.version}: nothing loaded.")
        return
    since = f"from {deck.valid_from}" if deck.valid_from else "since always"
    typer.echo(f"deck {deck.name} version {deck.version} loaded from {file}: {deck.rows} rows, {deck.currency}, "
               f"valid {since}; `calldata rerate` prices stored legs again.")


@app.command("list")
def list_decks(ctx: typer.Context) -> None:
    """Every stored deck version, by name then version."""
    with context.store(ctx).connect() as conn:
        found = decks.listing(conn)
    table = Table("name", "version", "currency", "precision", "valid from", "peak", "rows", "loaded (UTC)", "source",
                  title="Rate decks")
    for d in found:
        table.add_row(d.name, str(d.version), d.currency, str(d.precision), str(d.valid_from or "always"), d.peak,
                      str(d.rows), d.loaded_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M"), d.source)
    tables.show(table)
    if not found:
        typer.echo("no decks: `calldata rates load FILE --name N --currency C`")


@app.command()
def show(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="A deck's name.")],
    version: Annotated[int | None, typer.Option("--version", min=1, help="A stored version (default: the latest).")] = None,
) -> None:
    """The rows of one deck version."""
    with context.store(ctx).connect() as conn:
        found = decks.listing(conn, name)
        if not found:
            _fail(f"no deck named {name!r} (`calldata rates list`)")
        chosen = found[-1] if version is None else next((d for d in found if d.version == version), None)
        if chosen is None:
            _fail(f"deck {name} has no version {version} (versions 1-{found[-1].version})")
        rows = decks.rows_of(conn, chosen.id)
    console = Console()
    console.print(f"deck {chosen.name} version {chosen.version}: {chosen.currency}, {chosen.precision} decimals, "
                  f"valid {'from ' + str(chosen.valid_from) if chosen.valid_from else 'since always'}, "
                  f"peak {chosen.peak}, {len(rows)} rows from {chosen.source}", highlight=False)
    table = Table("prefix", "destination", "kind", "band", "rate/min", "connection", "increments", "valid from",
                  "line", title=f"{chosen.name} v{chosen.version}")
    for r in rows:
        table.add_row(r.prefix, r.destination, r.kind, r.band or "any", str(r.rate), str(r.connection),
                      f"{r.minimum}/{r.increment}", str(r.valid_from or ""), str(r.line))
    tables.show(table, console)


def _quote(rater: Rater, side: str, party: str, deck_name: str | None, number: str, when: datetime) -> list[str]:
    """One row of `rates test`: what deck `deck_name` charges for `number` at `when`."""
    if not deck_name:
        return [side, party, "(none named)", "", "", "unrated", "", "", "", "", ""]
    found = rater.find(deck_name, number, when)
    if found is None:
        deck = rater.version(deck_name, when.astimezone(rater.plan.zone).date())
        why = "no version valid then" if deck is None else "no prefix matches: unrated"
        return [side, party, deck_name, str(deck.version) if deck else "", "", why, "", "", "", "", ""]
    deck, row = found
    band = band_at(when.astimezone(rater.plan.zone), deck.peak)
    priced = [f"{amount(s, row.rate, row.connection, row.minimum, row.increment, deck.precision)} {deck.currency}"
              for s in (60, 1)]
    return [side, party, deck.name, str(deck.version), row.prefix, row.destination,
            f"{band}{'' if row.band else ' (row: any time)'}", str(row.rate), f"{row.minimum}/{row.increment}", *priced]


@app.command()
def test(
    ctx: typer.Context,
    number: Annotated[str, typer.Argument(help="The number, international (+441632960123) or as dialled (01632 960123).")],
    company: Annotated[str | None, typer.Option("--company", help="Price it for this company (default: the system's sell deck).")] = None,
    trunk: Annotated[str | None, typer.Option("--trunk", help="Cost it on this trunk (default: every trunk with a buy deck).")] = None,
    at: Annotated[str | None, typer.Option("--at", help="The call's answer time, ISO (UTC unless it has an offset); default now.")] = None,
) -> None:
    """Which deck, version, prefix, row and price NUMBER gets: sell and buy, for 60 s and for 1 s."""
    when = parse_when(at) or datetime.now(UTC)
    with context.store(ctx).connect() as conn:
        lookup = _lookup(conn)
        rater = decks.rater(conn, lookup.plan)
    digits = international(lookup, re.sub(r"[\s().-]", "", number))
    if not digits.isdigit():
        _fail(f"not a telephone number: {number!r}", 2)
    if company is not None and company not in lookup.companies:
        _fail(f"no company {company!r} in the directory ({', '.join(sorted(lookup.companies))})", 2)
    trunk_names = sorted({name for _prefix, name, _owner in lookup.trunks})
    if trunk is not None and trunk not in trunk_names:
        _fail(f"no trunk {trunk!r} in the directory ({', '.join(trunk_names)})", 2)
    plan = lookup.plan
    sell = plan.sell.get(company, plan.default_sell) if company else plan.default_sell
    table = Table("side", "for", "deck", "version", "prefix", "destination", "band", "rate/min", "increments",
                  "60 s", "1 s", title=f"{digits} at {when.astimezone(plan.zone).isoformat(timespec='minutes')}")
    table.add_row(*_quote(rater, "sell", company or "(default)", sell, digits, when))
    for name in [trunk] if trunk else [t for t in trunk_names if t in plan.buy] or trunk_names[:1]:
        table.add_row(*_quote(rater, "buy", name or "", plan.buy.get(name or ""), digits, when))
    tables.show(table)


@app.command()
def unrated(ctx: typer.Context, start: From = None, end: To = None) -> None:
    """The numbers of answered outside legs no deck could price or cost, most frequent first."""
    since, until = parse_when(start), parse_when(end)
    where = [cdr.c.rating == UNRATED]
    if since is not None:
        where.append(cdr.c.calldate >= since)
    if until is not None:
        where.append(cdr.c.calldate < until)
    query = (select(cdr.c.dial_full, cdr.c.bill_to, cdr.c.trunk, cdr.c.sell_deck.is_(None).label("no_price"),
                    cdr.c.buy_deck.is_(None).label("no_cost"), func.count().label("legs"))
             .where(*where).group_by(cdr.c.dial_full, cdr.c.bill_to, cdr.c.trunk, "no_price", "no_cost"))
    with context.store(ctx).connect() as conn:
        groups = conn.execute(query).all()
        lookup = versions.current_lookup(conn)
    counts: Counter[tuple[str, str, str]] = Counter()
    for g in groups:
        for missing, lacking in (("sell", g.no_price), ("buy", g.no_cost)):
            if lacking:
                counts[(g.dial_full or "(no number)", missing, _deck_named(lookup, missing, g))] += g.legs
    table = Table("number", "legs", "missing", "deck", title="Numbers without a price or cost")
    for (number, missing, deck), legs in sorted(counts.items(), key=lambda item: (-item[1], item[0])):
        table.add_row(number, str(legs), "price" if missing == "sell" else "cost", deck)
    tables.show(table)
    total = sum(g.legs for g in groups)
    typer.echo(f"{total} unrated legs; add their prefixes to the decks named, load them, then `calldata rerate`."
               if total else "no unrated legs.")


def _deck_named(lookup: Lookup | None, side: str, group: Any) -> str:
    """The deck that should have priced (sell) or costed (buy) a group of legs, per the directory."""
    if lookup is None:
        return "?"
    plan = lookup.plan
    name = plan.sell.get(group.bill_to, plan.default_sell) if side == "sell" else plan.buy.get(group.trunk)
    owner = group.bill_to if side == "sell" else group.trunk
    return f"{name} ({owner})" if name else f"none named for {owner}"


def rerate(
    ctx: typer.Context,
    start: Annotated[str, typer.Option("--from", help="From this date (YYYY-MM-DD or ISO date-time, UTC).")],
    end: Annotated[str, typer.Option("--to", help="Before this date (exclusive).")],
    company: Annotated[list[str] | None, typer.Option("--company", help="Only legs billed to this company (repeatable).")] = None,
    batch: Annotated[int, typer.Option(min=1, help="Legs per transaction.")] = rerating.BATCH,
) -> None:
    """Rate the legs of [--from, --to) again with the decks now loaded (acctids never change; the
    amounts replaced stay in rate_history; safe to repeat)."""
    since, until = parse_when(start), parse_when(end)
    assert since is not None and until is not None
    if until <= since:
        _fail(f"--to ({end}) must come after --from ({start})", 2)
    engine = context.store(ctx)
    with engine.connect() as conn:
        lookup = _lookup(conn)
        if company:
            unknown = sorted(set(company) - lookup.companies.keys())
            if unknown:
                _fail(f"no company {', '.join(map(repr, unknown))} in the directory", 2)
        rater = decks.rater(conn, lookup.plan)
        total = rerating.pending(conn, since, until, company)
        conn.rollback()
        columns = (TextColumn("rerating"), BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
        with Progress(*columns, console=Console(stderr=True)) as progress:
            task = progress.add_task("legs", total=total)
            result = rerating.rerate(conn, rater, since, until, company, batch=batch,
                                     progress=lambda n: progress.advance(task, n))
    Console().print(f"{result.examined} legs examined, {result.changed} changed "
                    f"(what they held before is kept in rate_history)", highlight=False)
