"""Rating's tables: every deck version loaded, its rows, and the amounts a re-rating replaced."""

from __future__ import annotations

from sqlalchemy import Column, Date, ForeignKey, Index, Integer, Table, Text

from calldata.store.schema import RATING_COLUMNS, RATING_TYPES, metadata
from calldata.store.types import GrowingId, UTCDateTime

# One row per version of a named deck; versions are never changed or deleted, so a leg's
# sell_deck/buy_deck always says which prices it was given.
rate_deck = Table(
    "rate_deck",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("name", Text, nullable=False),
    Column("version", Integer, nullable=False),
    Column("currency", Text, nullable=False),
    Column("precision", Integer, nullable=False),  # decimals each leg's amount is rounded to, half-up
    Column("valid_from", Date),  # NULL: since always
    Column("peak", Text, nullable=False),  # weekday peak hours, HH:MM-HH:MM in the PBX's zone
    Column("source", Text, nullable=False),  # the file it was loaded from
    Column("sha256", Text, nullable=False),
    Column("loaded_at", UTCDateTime, nullable=False),
    sqlite_autoincrement=True,
)
Index("uq_rate_deck_name_version", rate_deck.c.name, rate_deck.c.version, unique=True)

rate_row = Table(
    "rate_row",
    metadata,
    Column("id", GrowingId, primary_key=True, autoincrement=True),
    Column("deck", Integer, ForeignKey("rate_deck.id"), nullable=False),
    Column("line", Integer, nullable=False),  # in the deck's file
    Column("prefix", Text, nullable=False),
    Column("destination", Text, nullable=False),
    Column("kind", Text, nullable=False),
    Column("rate", Text, nullable=False),  # decimal text: exact in every database
    Column("connection", Text, nullable=False),
    Column("minimum", Integer, nullable=False),
    Column("increment", Integer, nullable=False),
    Column("valid_from", Date),
    Column("band", Text, nullable=False),
    sqlite_autoincrement=True,
)
Index("ix_rate_row_deck", rate_row.c.deck)

# A leg's rating before a re-rating changed it: audit of what was charged, and by which deck.
rate_history = Table(
    "rate_history",
    metadata,
    Column("id", GrowingId, primary_key=True, autoincrement=True),
    Column("acctid", GrowingId, nullable=False),
    Column("replaced_at", UTCDateTime, nullable=False),
    *(Column(name, RATING_TYPES.get(name, Text)) for name in RATING_COLUMNS),
    sqlite_autoincrement=True,
)
Index("ix_rate_history_acctid", rate_history.c.acctid)
