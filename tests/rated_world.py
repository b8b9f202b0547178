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

from sqlalchemy import Engine

from calldata.demo.demo import load_decks, rate
from recordings import DIRECTORY_YAML
from stored_world import load_world


def rated_directory() -> str:
    """The example directory with `system.sell_deck: uk-retail` and carrier1's `buy_deck: carrier1`."""
    text = DIRECTORY_YAML.read_text()
    text = text.replace("system:\n", "system:\n  sell_deck: uk-retail\n", 1)
    return text.replace("  carrier1:", "  carrier1:\n    buy_deck: carrier1", 1)


def rate_all(engine: Engine) -> None:
    """Every stored leg (this century's) rated with the current directory and decks, as the demo does."""
    rate(engine, datetime(2000, 1, 1, tzinfo=UTC), 36525)


def load_rated_world(engine: Engine, directory: str | None = None) -> Engine:
    """The world, its directory naming the decks (or `directory`), every leg rated."""
    load_world(engine, directory or rated_directory())
    load_decks(engine)  # the demo's: GBP, 4 decimals
    rate_all(engine)
    return engine
