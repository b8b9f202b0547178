"""The example world with rate decks: the demo decks loaded, and a directory naming them."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, select

from calldata.rating import decks
from calldata.store.schema import RATING_COLUMNS, cdr
from recordings import DIRECTORY_YAML
from stored_world import load_world

DECKS = Path(__file__).resolve().parents[2] / "src" / "calldata" / "demo" / "decks"


def decked_directory(sell: str = "uk-retail", acme_sell: str | None = None) -> str:
    """The example directory with a system sell deck, carrier1 -> carrier1, globexgw -> globex-gateway."""
    text = DIRECTORY_YAML.read_text()
    text = text.replace("  timezone: UTC\n", f"  timezone: UTC\n  sell_deck: {sell}\n", 1)
    text = text.replace('    channels: ["IAX2/carrier1", "PJSIP/carrier1"]\n',
                        '    channels: ["IAX2/carrier1", "PJSIP/carrier1"]\n    buy_deck: carrier1\n', 1)
    text = text.replace("    company: globex\n", "    company: globex\n    buy_deck: globex-gateway\n", 1)
    if acme_sell:
        text = text.replace("    name: Acme Ltd\n", f"    name: Acme Ltd\n    sell_deck: {acme_sell}\n", 1)
    assert text.count("_deck:") == 3 + bool(acme_sell)
    return text


def load_demo_decks(engine: Engine) -> dict[str, int]:
    """The three demo decks loaded (GBP, 4 decimals); their rate_deck ids by name."""
    ids = {}
    with engine.begin() as conn:
        for name in ("carrier1", "globex-gateway", "uk-retail"):
            deck, _ = decks.load(conn, (DECKS / f"{name}.csv").read_text(), f"{name}.csv", name=name, currency="GBP")
            ids[name] = deck.id
    return ids


def load_rated_world(engine: Engine) -> dict[str, int]:
    ids = load_demo_decks(engine)
    load_world(engine, decked_directory())
    return ids


def rated_legs(engine: Engine) -> dict[int, dict]:
    """acctid -> the leg's inputs and RATING_COLUMNS, for every stored leg."""
    columns = (cdr.c.acctid, cdr.c.uniqueid, cdr.c.bill_to, cdr.c.trunk, cdr.c.dial_full, cdr.c.billsec,
               cdr.c.disposition, *(cdr.c[n] for n in RATING_COLUMNS))
    with engine.connect() as conn:
        return {row.acctid: row._asdict() for row in conn.execute(select(*columns).order_by(cdr.c.acctid))}
