"""Rate decks in the store: load a file as a new version of a named deck, list them, compile them.

A version is never changed once loaded (legs name the version that priced them); loading the
same file again with the same settings adds nothing. The compiled decks are kept per process
until a deck is loaded (the list of rate_deck versions changes).
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime, timezone
from decimal import Decimal
from typing import Any, NamedTuple

from sqlalchemy import Connection, func, insert, select

from calldata.rating.bands import DEFAULT_PEAK, parse_peak
from calldata.rating.deck import DeckRow, read_deck
from calldata.rating.money import MAX_PRECISION
from calldata.rating.prefixes import PrefixTable
from calldata.rating.rater import DeckVersion, Plan, Rater
from calldata.rating.schema import rate_deck, rate_row

DECK_NAME = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
CURRENCY = re.compile(r"^[A-Z]{3}$")


class Deck(NamedTuple):
    """A stored deck version, as listed."""

    id: int
    name: str
    version: int
    currency: str
    precision: int
    valid_from: date | None
    peak: str
    source: str
    sha256: str
    loaded_at: datetime
    rows: int


def check_settings(name: str, currency: str, precision: int, peak: str) -> None:
    """ValueError naming the setting that is wrong (before any file is read)."""
    if not DECK_NAME.match(name):
        raise ValueError(f"deck name: 1-64 letters, digits, '.', '_' or '-', got {name!r}")
    if not CURRENCY.match(currency):
        raise ValueError(f"currency: a three-letter ISO 4217 code such as GBP, got {currency!r}")
    if not 0 <= precision <= MAX_PRECISION:
        raise ValueError(f"precision: 0-{MAX_PRECISION} decimals, got {precision}")
    parse_peak(peak)


def _columns() -> list[Any]:
    return [*rate_deck.c, select(func.count()).where(rate_row.c.deck == rate_deck.c.id).scalar_subquery().label("rows")]


def listing(conn: Connection, name: str | None = None) -> list[Deck]:
    """Every stored version (of deck `name`), by name then version."""
    query = select(*_columns()).order_by(rate_deck.c.name, rate_deck.c.version)
    if name is not None:
        query = query.where(rate_deck.c.name == name)
    return [Deck(*row) for row in conn.execute(query)]


def latest(conn: Connection, name: str) -> Deck | None:
    found = listing(conn, name)
    return found[-1] if found else None


def load(conn: Connection, text: str, source: str, *, name: str, currency: str, precision: int = 4,
         valid_from: date | None = None, peak: str = DEFAULT_PEAK,
         billing: tuple[int, int] = (1, 1), today: date | None = None) -> tuple[Deck, bool]:
    """Store `text` as the next version of deck `name`; (the version, whether it is new).

    Without `valid_from`, a deck's first version is valid since always and, when `today` is
    given, a later version from `today` on (so it never re-prices calls made before it was
    loaded); the same file and settings as the latest version are then no new version, whatever
    the day. Raises ValueError for a bad setting and DeckError (every bad row) for a bad file;
    nothing is stored then.
    """
    check_settings(name, currency, precision, peak)
    rows = read_deck(text, source, billing)
    previous = latest(conn, name)
    if valid_from is None and today is not None and previous is not None:
        if previous.sha256 == _digest(text, currency, precision, previous.valid_from, peak, billing):
            return previous, False
        valid_from = today
    digest = _digest(text, currency, precision, valid_from, peak, billing)
    if previous is not None and previous.sha256 == digest:
        return previous, False
    deck_id = conn.execute(insert(rate_deck).values(
        name=name, version=(previous.version + 1) if previous else 1, currency=currency,
        precision=precision, valid_from=valid_from, peak=peak, source=source, sha256=digest,
        loaded_at=datetime.now(timezone.utc),
    ).returning(rate_deck.c.id)).scalar_one()
    conn.execute(insert(rate_row), [
        {"deck": deck_id, "line": r.line, "prefix": r.prefix, "destination": r.destination, "kind": r.kind,
         "rate": str(r.rate), "connection": str(r.connection), "minimum": r.minimum,
         "increment": r.increment, "valid_from": r.valid_from, "band": r.band}
        for r in rows
    ])
    return next(d for d in listing(conn, name) if d.id == deck_id), True


def _digest(text: str, currency: str, precision: int, valid_from: date | None, peak: str,
            billing: tuple[int, int]) -> str:
    return hashlib.sha256(f"{currency}|{precision}|{valid_from}|{peak}|{billing}|".encode() + text.encode()).hexdigest()


def rows_of(conn: Connection, deck_id: int) -> list[DeckRow]:
    """The rows of one stored version, in file order."""
    query = select(rate_row.c.line, rate_row.c.prefix, rate_row.c.destination, rate_row.c.kind,
                   rate_row.c.rate, rate_row.c.connection, rate_row.c.minimum, rate_row.c.increment,
                   rate_row.c.valid_from, rate_row.c.band).where(rate_row.c.deck == deck_id).order_by(rate_row.c.line)
    return [DeckRow(r.line, r.prefix, r.destination, r.kind, Decimal(r.rate), Decimal(r.connection),
                    r.minimum, r.increment, r.valid_from, r.band) for r in conn.execute(query)]


_compiled: tuple[Any, list[DeckVersion]] | None = None
_rater: tuple[Any, Plan, Rater] | None = None


def compiled(conn: Connection) -> list[DeckVersion]:
    """Every stored version compiled for lookup; built again only after a deck was loaded."""
    global _compiled
    # Every version's identity, and the store's: two stores may both hold a deck 1 (tests, benches).
    key = (conn.engine.url.render_as_string(hide_password=True),
           tuple(map(tuple, conn.execute(select(rate_deck.c.id, rate_deck.c.name, rate_deck.c.sha256)
                                          .order_by(rate_deck.c.id)))))
    if _compiled is None or _compiled[0] != key:
        decks = [DeckVersion(d.id, d.name, d.version, d.currency, d.precision, d.valid_from, parse_peak(d.peak),
                             PrefixTable(rows_of(conn, d.id))) for d in listing(conn)]
        _compiled = (key, decks)
    return _compiled[1]


def rater(conn: Connection, plan: Plan) -> Rater:
    """The Rater of the stored decks under `plan` (a directory version's), kept while both hold."""
    global _rater
    decks = compiled(conn)
    if _rater is None or _rater[0] is not decks or _rater[1] is not plan:
        _rater = (decks, plan, Rater(decks, plan))
    return _rater[2]
