"""The tables, in SQLAlchemy Core. Alembic migrations create them; this module names them."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Boolean,
    Column,
    Index,
    Integer,
    MetaData,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)

from calldata.store.types import GrowingId, UTCDateTime

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "pk": "pk_%(table_name)s",
    }
)

# Property columns: NULL means "attribution has not decided it" (absent from the API's
# `properties`); "" means decided and empty. Flags are stored false/true and sent only when true.
PROPERTY_TEXT = (
    "company",
    "target",
    "src_ext",
    "dial_short",
    "dial_full",
    "trunk",
    "bill_to",
    "xfer",
    "auth",
    "call_rec",
)
PROPERTY_KEYS = ("company", "target", "bill_to", "call_rec")  # indexed: compared byte by byte
PROPERTY_FLAGS = ("is_ivr", "is_park", "is_pick", "is_auth", "is_bounce")
# Rating results (calldata.rating.rater.Rating, same names and order): `rating` NULL means not
# looked at yet, "" not a rated leg; amounts are millionths of their currency (exact, summable).
RATING_COLUMNS = (
    "rating", "price", "currency", "cost", "cost_currency", "destination", "destination_kind",
    "sell_deck", "buy_deck",
)
RATING_TYPES = {"price": BigInteger, "cost": BigInteger, "sell_deck": Integer, "buy_deck": Integer}
# A row's API JSON on PostgreSQL (calldata.store.row_json): written with a new row by the store's
# own writer (cdrs.write_new, the trigger's bytes), else rendered by a trigger whenever the row is
# written (migrations 0017, 0022, 0023); no other writer sets them, no archive keeps them. NULL on
# SQLite, whose pages are rendered as they are read.
RENDERED_COLUMNS = ("json_base", "json_cache", "json_properties")


# `info` key of a schema item that exists on one database only (its dialect name);
# calldata.store.partitions.on_database leaves it out of the other's comparisons.
ONLY = "only_on"


# Identifiers compared byte by byte on PostgreSQL whatever the database's locale (migration
# 0024_keys_bytewise: their indexes' inserts were 20% of an import's server time under en-US);
# SQLite's BINARY already does.
BYTEWISE = Text().with_variant(Text(collation="C"), "postgresql")
KEY_TEXT = ("channel", "dstchannel", "uniqueid", "linkedid")


def _text(name: str) -> Column[str]:
    return Column(name, BYTEWISE if name in KEY_TEXT else Text, nullable=False, server_default=text("''"))


cdr = Table(
    "cdr",
    metadata,
    Column("acctid", GrowingId, primary_key=True, autoincrement=True),
    Column("calldate", UTCDateTime, nullable=False),  # Asterisk's `start`
    Column("answer", UTCDateTime),
    Column("end", UTCDateTime),
    _text("clid"),
    _text("src"),
    _text("dst"),
    _text("dcontext"),
    _text("channel"),
    _text("dstchannel"),
    _text("lastapp"),
    _text("lastdata"),
    Column("duration", Integer, nullable=False, server_default=text("0")),
    Column("billsec", Integer, nullable=False, server_default=text("0")),
    _text("disposition"),
    Column("amaflags", Integer, nullable=False, server_default=text("0")),
    _text("accountcode"),
    _text("uniqueid"),
    _text("linkedid"),
    _text("peeraccount"),
    Column("sequence", Integer),
    _text("userfield"),
    # identity across sources and re-imports (Cdr.natural_key); unique on SQLite, in cdr_key on PostgreSQL
    Column("natkey", BYTEWISE, nullable=False),
    # attribution results (see calldata.attribution)
    *(Column(name, BYTEWISE if name in PROPERTY_KEYS else Text) for name in PROPERTY_TEXT),
    *(Column(name, Boolean, nullable=False, server_default=false()) for name in PROPERTY_FLAGS),
    Column("call", BYTEWISE),
    Column("directory_version", Integer),
    # rating results (see calldata.rating)
    *(Column(name, RATING_TYPES.get(name, Text)) for name in RATING_COLUMNS),
    *(Column(name, Text) for name in RENDERED_COLUMNS),
    UniqueConstraint("natkey", name="uq_cdr_natkey", info={ONLY: "sqlite"}),
    sqlite_autoincrement=True,
)
Index("ix_cdr_calldate_acctid", cdr.c.calldate, cdr.c.acctid)
# the company-filtered read (calldata.store.reads; migration 0005_read_indexes)
Index("ix_cdr_company_acctid", cdr.c.company, cdr.c.acctid)
Index("ix_cdr_target_acctid", cdr.c.target, cdr.c.acctid)
Index("ix_cdr_bill_to_acctid", cdr.c.bill_to, cdr.c.acctid)
# a company's legs of one period (calldata.reports.query; migration 0007_report_indexes)
Index("ix_cdr_company_calldate_acctid", cdr.c.company, cdr.c.calldate, cdr.c.acctid)
Index("ix_cdr_target_calldate_acctid", cdr.c.target, cdr.c.calldate, cdr.c.acctid)
# a company's billed legs of one period (calldata.dashboards.query; migration 0014_dashboard_indexes)
Index("ix_cdr_bill_to_calldate_acctid", cdr.c.bill_to, cdr.c.calldate, cdr.c.acctid)
# the legs no deck could price (`calldata rates unrated`; migration 0010_rating): few, kept apart
Index("ix_cdr_unrated_acctid", cdr.c.acctid, postgresql_where=cdr.c.rating == "unrated",
      sqlite_where=cdr.c.rating == "unrated")

# PostgreSQL only: cdr is range-partitioned by acctid there (calldata.store.partitions), where no
# unique index can hold natkey alone; this table takes the inserts' ON CONFLICT (calldata.store.cdrs).
cdr_key = Table(
    "cdr_key",
    metadata,
    Column("natkey", BYTEWISE, primary_key=True),
    Column("acctid", BigInteger, nullable=False),
    info={ONLY: "postgresql"},
)

quarantine = Table(
    "quarantine",
    metadata,
    Column("id", GrowingId, primary_key=True, autoincrement=True),
    Column("source", Text, nullable=False),  # file path, or an ingest source's name
    Column("position", Text, nullable=False),  # line number, byte offset, source key...
    Column("raw", Text, nullable=False),
    Column("reason", Text, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    sqlite_autoincrement=True,
)
Index("uq_quarantine_source_position", quarantine.c.source, quarantine.c.position, unique=True)

def mark_table(name: str) -> Table:
    """A one-row table (id 1) of how far some stored figures have seen the store's changes: the
    call_change sequence and the lowest and highest acctid they are known good up to (0: none)."""
    return Table(
        name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("seq", BigInteger, nullable=False),
        Column("low", BigInteger, nullable=False),
        Column("high", BigInteger, nullable=False),
    )


# The call change feed (/rest/call/calls, `changed`): each call id once, at the sequence number
# of the last time attribution wrote one of its legs (calldata.store.calls; migration 0009_call_changes).
call_change = Table(
    "call_change",
    metadata,
    Column("seq", GrowingId, primary_key=True, autoincrement=True),
    Column("call", BYTEWISE, nullable=False),
    sqlite_autoincrement=True,
)
Index("uq_call_change_call", call_change.c.call, unique=True)
