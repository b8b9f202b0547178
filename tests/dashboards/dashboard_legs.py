"""Traffic for the stored-days tests: the demo's generated legs (attributed, rated through the sink)
and, beside them, raw legs written straight into cdr with any values (no call change noted)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import count
from typing import Any

from hypothesis import strategies as st
from sqlalchemy import Engine, insert, select

from calldata.attribution import versions
from calldata.demo.demo import EXAMPLE_DIRECTORY, load_decks
from calldata.demo.generator import generate
from calldata.ingest.sink import store_batch
from calldata.store.schema import cdr

START = datetime(2026, 10, 23, tzinfo=UTC)  # Friday; London's clocks go back on Sunday the 25th
DAYS = 5
COMPANIES = ("acme", "globex")
NUMBERS = ("01632960123", "07700900456", "00331445566", "0012125550100")
CURRENCIES = ("GBP", "EUR", "USD", None)
HEX = "0123456789abcdefABCDEF"  # a channel's unique suffix
_serial = count()


def store_generated(engine: Engine, rows: int = 1500) -> None:
    """`rows` generated legs over DAYS days from START, stored through the sink."""
    load_decks(engine)
    with engine.begin() as conn:
        versions.save(conn, EXAMPLE_DIRECTORY.read_text(), str(EXAMPLE_DIRECTORY))
        directory = versions.directory_of(conn)
        legs = list(generate(directory, rows=rows, seed=11, start=START, days=DAYS))  # type: ignore[arg-type]
    with engine.begin() as conn:
        store_batch(conn, legs)


def channels(engine: Engine) -> list[str]:
    """The stored legs' channels up to their unique suffix (`IAX2/acme-201-`): a raw leg's party is
    then one of the directory's devices."""
    with engine.connect() as conn:
        names = conn.execute(select(cdr.c.channel).distinct()).scalars()
        return sorted({name.rstrip(HEX) for name in names if name})[:40]


def _leg(draw: Any, channel_names: list[str], call: str, caller: tuple[str, str, str],
         when: datetime) -> dict[str, Any]:
    """One leg of `call` at `when`: Party A mostly `caller`'s (channel, company, number called)."""
    answered = draw(st.booleans())
    billsec = draw(st.integers(0, 900)) if answered else 0
    currency = draw(st.sampled_from(CURRENCIES))
    priced = currency is not None and draw(st.booleans())
    party = st.sampled_from(("", *COMPANIES))
    serial = next(_serial)
    return {
        "calldate": when, "answer": when + timedelta(seconds=5) if answered else None,
        "end": when + timedelta(seconds=5 + billsec), "channel": f"{caller[0]}{serial:08x}",
        "dstchannel": draw(st.sampled_from(("", f"{draw(st.sampled_from(channel_names))}{serial:04x}"))),
        "disposition": "ANSWERED" if answered else draw(st.sampled_from(("NO ANSWER", "BUSY"))),
        "billsec": billsec, "duration": billsec + 5, "natkey": f"raw-{serial}", "call": call,
        "company": draw(st.sampled_from((caller[1], caller[1], caller[1], None, ""))),
        "target": draw(st.one_of(st.none(), party)),
        "bill_to": draw(st.sampled_from((caller[1], caller[1], None, *COMPANIES))),
        "dial_full": draw(st.sampled_from((caller[2], caller[2], None, *NUMBERS))),
        "destination": draw(st.sampled_from((None, "France", "USA"))),
        "price": draw(st.integers(0, 10 ** 6)) if priced else None,
        "currency": currency, "cost": draw(st.integers(0, 10 ** 5)) if priced else None,
        "cost_currency": currency if priced else None, "rating": draw(st.sampled_from(("rated", "unrated", None))),
    }


@st.composite
def raw_calls(draw: Any, channel_names: list[str]) -> list[dict[str, Any]]:
    """Legs of a few calls, many near a midnight (in some zone) so their legs cross it; a call's
    legs start within query.MARGIN (6 hours) of its first."""
    legs = []
    for _ in range(draw(st.integers(1, 12))):
        call = f"raw-call-{next(_serial)}"
        day = START + timedelta(days=draw(st.integers(0, DAYS - 1)))
        near = draw(st.sampled_from((0, 0, 1, 5, 5.5, 13.75, 23)))  # UTC midnight, London's, Kolkata's, Chatham's
        boundary = day + timedelta(hours=near)
        first = boundary - timedelta(minutes=draw(st.integers(1, 150)))
        across = [int((boundary - first).total_seconds()) + draw(st.integers(0, 3600))] if draw(st.booleans()) else []
        offsets = sorted(across + draw(st.lists(st.integers(0, 5 * 3600), max_size=3)))
        caller = (draw(st.sampled_from(channel_names)), draw(st.sampled_from(COMPANIES)),
                  draw(st.sampled_from(NUMBERS)))  # most legs' Party A, company and number called
        legs += [_leg(draw, channel_names, call, caller, first + timedelta(seconds=s)) for s in [0, *offsets]]
    return legs


def insert_raw(engine: Engine, legs: list[dict[str, Any]]) -> None:
    """Write the legs straight into cdr (as a restore or a careless script might: no call change)."""
    if legs:
        with engine.begin() as conn:
            conn.execute(insert(cdr), legs)
