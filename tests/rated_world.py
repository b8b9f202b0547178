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
from pathlib import Path

from sqlalchemy import Engine

from calldata.attribution import versions
from calldata.rating import decks
from calldata.rating.rerate import rerate
from recordings import DIRECTORY_YAML
from stored_world import load_world

DECKS = Path(__file__).resolve().parents[1] / "src" / "calldata" / "demo" / "decks"
EVER = (datetime(2000, 1, 1, tzinfo=UTC), datetime(2100, 1, 1, tzinfo=UTC))


def rated_directory(sell_deck: str = "uk-retail") -> str:
    """The example directory with `system.sell_deck` and carrier1's `buy_deck: carrier1`."""
    text = DIRECTORY_YAML.read_text()
    text = text.replace("system:\n", f"system:\n  sell_deck: {sell_deck}\n", 1)
    return text.replace("  carrier1:", "  carrier1:\n    buy_deck: carrier1", 1)


def load_decks(engine: Engine) -> None:
    """The three demo decks, GBP, 4 decimals."""
    with engine.begin() as conn:
        for name in ("uk-retail", "carrier1", "globex-gateway"):
            decks.load(conn, (DECKS / f"{name}.csv").read_text(), name, name=name, currency="GBP", precision=4)


def rate_all(engine: Engine) -> None:
    """Every stored leg rated with the current directory and decks."""
    with engine.connect() as conn:
        lookup = versions.current_lookup(conn)
        assert lookup is not None
        rerate(conn, decks.rater(conn, lookup.plan), *EVER)


def load_rated_world(engine: Engine, directory: str | None = None) -> Engine:
    """The world, its directory naming the decks (or `directory`), every leg rated."""
    load_world(engine, directory or rated_directory())
    load_decks(engine)
    rate_all(engine)
    return engine
