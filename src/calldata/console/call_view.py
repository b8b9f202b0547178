"""What the call view shows: the call as /rest/call/calls builds it, its legs' stored rows (those
the reader may see), their recordings and their amounts."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, select

from calldata.calls.browse import direction, prices
from calldata.calls.page import built
from calldata.console.timeline import Bar, bars
from calldata.rating.money import from_micros
from calldata.rating.schema import rate_deck
from calldata.recordings.schema import recording
from calldata.store.calls import rows_of, sequences
from calldata.store.reads import COMPANY_COLUMNS, format_display_time
from calldata.store.schema import PROPERTY_FLAGS, PROPERTY_TEXT, RATING_COLUMNS

# The raw CDR columns shown per leg, in Asterisk's order.
RAW = ("acctid", "calldate", "answer", "end", "clid", "src", "dst", "dcontext", "channel", "dstchannel",
       "lastapp", "lastdata", "duration", "billsec", "disposition", "amaflags", "accountcode", "uniqueid",
       "linkedid", "peeraccount", "sequence", "userfield")
PROPERTIES = PROPERTY_TEXT + PROPERTY_FLAGS + ("call", "directory_version")


@dataclass(frozen=True, slots=True)
class CallView:
    call: dict[str, Any]  # calldata.calls.build.build's entry
    direction: str
    bars: list[Bar]
    legs: list[dict[str, Any]]  # per leg: acctid, raw, properties, rating, amounts, recordings
    prices: list[str]


def _amount(micros: int | None, currency: str | None, deck: int | None, precision: dict[int, int]) -> str:
    if micros is None:
        return ""
    return f"{from_micros(micros, precision.get(deck or 0, 6))} {currency or ''}".strip()


def _shown(value: Any, zone: ZoneInfo) -> Any:
    return format_display_time(value, zone) if hasattr(value, "astimezone") else value


def view(conn: Connection, call: str, zone: ZoneInfo, companies: Collection[str] | None) -> CallView | None:
    """The call, or None when it has no leg the reader may see (unknown, or another company's)."""
    every = rows_of(conn, call)
    rows = [row for row in every if companies is None or any(row[c] in companies for c in COMPANY_COLUMNS)]
    if not rows:
        return None
    entry = built(conn, [call], zone, companies, sequences(conn, [call]))[0]
    acctids = [row["acctid"] for row in rows]
    files: dict[int, list[dict[str, Any]]] = {}
    for found in conn.execute(select(recording.c.acctid, recording.c.path, recording.c.content_type)
                              .where(recording.c.acctid.in_(acctids)).order_by(recording.c.id)).mappings():
        files.setdefault(found["acctid"], []).append(dict(found))
    decks = {row[d] for row in rows for d in ("sell_deck", "buy_deck") if row[d] is not None}
    precision = dict(conn.execute(select(rate_deck.c.id, rate_deck.c.precision).where(rate_deck.c.id.in_(decks))).all())
    legs = [{
        "acctid": row["acctid"],
        "raw": [(name, _shown(row[name], zone)) for name in RAW],
        "properties": [(name, row[name]) for name in PROPERTIES],
        "rating": [(name, row[name]) for name in RATING_COLUMNS if name not in ("price", "cost")],
        "price": _amount(row["price"], row["currency"], row["sell_deck"], precision),
        "cost": _amount(row["cost"], row["cost_currency"], row["buy_deck"], precision),
        "recordings": files.get(row["acctid"], []),
    } for row in rows]
    first = min(every, key=lambda row: row["acctid"])  # the call's first leg, as the list shows it
    return CallView(entry, direction(first["company"], first["target"]), bars(rows), legs,
                    prices(conn, [call], companies).get(call, []))
