"""The recorded world with rating on: the demo's decks loaded, the directory naming them, every leg rated.

Amounts the tests expect are worked out by hand from the deck rows (src/calldata/demo/decks/),
never by the code under test. The recorded calls are on Sunday 2026-11-29 (UTC), so mobiles
take the weekend rows. Sell deck uk-retail bills 60/60: UK Geographic 0.0200/min, UK Mobile
weekend 0.0400/min, France 0.0400/min; each leg here lasts under a minute, so it pays one
minute. Buy deck carrier1 bills per second: UK Geographic 0.0060/min, UK Mobile weekend
0.0100/min. globexgw names no buy deck: Globex's legs have a price and no cost ("unrated").
"""

from __future__ import annotations

from datetime import UTC, datetime

from typing import Any

from sqlalchemy import Engine, select

from calldata.demo.demo import EXAMPLE_DECKS, load_decks, rate
from calldata.rating import decks
from calldata.store.schema import RATING_COLUMNS, cdr
from recordings import DIRECTORY_YAML
from stored_world import load_world


def rated_directory(*, globex_deck: bool = False, acme_sell: str | None = None) -> str:
    """The example directory with `system.sell_deck: uk-retail` and carrier1's `buy_deck: carrier1`;
    globexgw's `buy_deck: globex-gateway` and Acme's own sell deck when asked."""
    text = DIRECTORY_YAML.read_text()
    text = text.replace("system:\n", "system:\n  sell_deck: uk-retail\n", 1)
    text = text.replace("  carrier1:", "  carrier1:\n    buy_deck: carrier1", 1)
    if globex_deck:
        text = text.replace("    company: globex\n", "    company: globex\n    buy_deck: globex-gateway\n", 1)
    if acme_sell:
        text = text.replace("    name: Acme Ltd\n", f"    name: Acme Ltd\n    sell_deck: {acme_sell}\n", 1)
    assert text.count("_deck:") == 2 + globex_deck + bool(acme_sell)
    return text


def rate_all(engine: Engine) -> None:
    """Every stored leg (this century's) rated with the current directory and decks, as the demo does."""
    rate(engine, datetime(2000, 1, 1, tzinfo=UTC), 36525)


def load_rated_world(engine: Engine, directory: str | None = None) -> Engine:
    """The world, its directory naming the decks (or `directory`), every leg rated."""
    load_world(engine, directory or rated_directory())
    load_decks(engine)  # the demo's: GBP, 4 decimals
    rate_all(engine)
    return engine


def dearer_geographic(engine: Engine) -> None:
    """uk-retail version 2: UK Geographic (441, 442) at 0.0300/min instead of 0.0200."""
    text = (EXAMPLE_DECKS / "uk-retail.csv").read_text().replace("UK Geographic,National,0.0200", "UK Geographic,National,0.0300")
    with engine.begin() as conn:
        assert decks.load(conn, text, "uk-retail v2", name="uk-retail", currency="GBP", precision=4)[0].version == 2


def load_decked_world(engine: Engine) -> dict[str, int]:
    """The demo decks loaded first, then the world imported with every deck named: legs are rated
    as they are stored (the same pass as attribution); the decks' rate_deck ids by name."""
    load_decks(engine)
    load_world(engine, rated_directory(globex_deck=True))
    with engine.connect() as conn:
        return {deck.name: deck.id for deck in decks.listing(conn)}


def rated_legs(engine: Engine) -> dict[int, dict[str, Any]]:
    """acctid -> the leg's inputs and RATING_COLUMNS, for every stored leg."""
    columns = (cdr.c.acctid, cdr.c.uniqueid, cdr.c.bill_to, cdr.c.trunk, cdr.c.dial_full, cdr.c.billsec,
               cdr.c.disposition, *(cdr.c[n] for n in RATING_COLUMNS))
    with engine.connect() as conn:
        return {row.acctid: row._asdict() for row in conn.execute(select(*columns).order_by(cdr.c.acctid))}
