"""The figures of closed days kept per scope key and display zone (migration 0016_dashboard_rollups).

A scope key is OPERATOR (every company's calls), one company's id, or a set of companies' ids
joined (stored.key_of: only sets someone viewed, or already stored, are kept); a day is a local
date of the zone. `dashboard_day` says a day is stored (its rows in the four tables beside it, written in
the same transaction); `dashboard_mark` holds the store's change sequence and acctids up to which
the stored days are known good (dashboards.refresh).
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Boolean, Column, Date, Index, PrimaryKeyConstraint, Table, Text

from calldata.store.schema import mark_table, metadata

OPERATOR = "*"  # the scope key of every company's calls (a company's id is never `*`)


def _day(*more: Column) -> list[Column]:  # type: ignore[type-arg]
    return [Column("scope", Text, nullable=False), Column("zone", Text, nullable=False),
            Column("day", Date, nullable=False), *more]


dashboard_mark = mark_table("dashboard_mark")

dashboard_day = Table(
    "dashboard_day",
    metadata,
    *_day(),
    PrimaryKeyConstraint("scope", "zone", "day", name="pk_dashboard_day"),
)

# query.CallGroup of the calls whose first leg started on the day
dashboard_calls = Table(
    "dashboard_calls",
    metadata,
    *_day(Column("quarter", BigInteger, nullable=False), Column("direction", Text, nullable=False),
          Column("answered", Boolean, nullable=False), Column("calls", BigInteger, nullable=False),
          Column("talk", BigInteger, nullable=False)),
    PrimaryKeyConstraint("scope", "zone", "day", "quarter", "direction", "answered", name="pk_dashboard_calls"),
)

# query.BilledGroup of the legs billed to the scope started on the day ('' for no currency)
dashboard_billed = Table(
    "dashboard_billed",
    metadata,
    *_day(Column("quarter", BigInteger, nullable=False), Column("currency", Text, nullable=False),
          Column("cost_currency", Text, nullable=False), Column("legs", BigInteger, nullable=False),
          Column("billsec", BigInteger, nullable=False), Column("price", BigInteger, nullable=False),
          Column("cost", BigInteger, nullable=False), Column("unrated", BigInteger, nullable=False)),
    PrimaryKeyConstraint("scope", "zone", "day", "quarter", "currency", "cost_currency", name="pk_dashboard_billed"),
)

# a party's calls with a leg on the day: `first` had none in the MARGIN before the day, `carried` had
dashboard_party = Table(
    "dashboard_party",
    metadata,
    *_day(Column("placed", Boolean, nullable=False), Column("channel", Text, nullable=False),
          Column("first", BigInteger, nullable=False), Column("carried", BigInteger, nullable=False)),
    PrimaryKeyConstraint("scope", "zone", "day", "placed", "channel", name="pk_dashboard_party"),
)

# an outside number's calls (as dashboard_party) and the sums of its legs started on the day
dashboard_destination = Table(
    "dashboard_destination",
    metadata,
    *_day(Column("number", Text, nullable=False), Column("name", Text),
          Column("first", BigInteger, nullable=False), Column("carried", BigInteger, nullable=False),
          Column("billsec", BigInteger, nullable=False), Column("price", BigInteger, nullable=False),
          Column("unpriced", BigInteger, nullable=False), Column("low", Text), Column("high", Text)),
    PrimaryKeyConstraint("scope", "zone", "day", "number", name="pk_dashboard_destination"),
)

DAY_TABLES = (dashboard_calls, dashboard_billed, dashboard_party, dashboard_destination)
# the days a change touches are dropped by zone and day, whatever the scope (refresh.py)
for _table in (dashboard_day, *DAY_TABLES):
    Index(f"ix_{_table.name}_zone_day", _table.c.zone, _table.c.day)
