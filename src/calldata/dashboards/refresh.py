"""Keeping stored days true to the legs: days whose legs changed are dropped, missing closed days built.

Anything that writes a leg gives its call a new call_change sequence (a new leg, a reprocess,
re-rating, retention), and every new row takes a higher acctid. dashboard_mark holds the sequence
and the acctids (lowest, highest) the stored days are known good up to; when the store has moved
past it, the days (in every stored zone) within MARGIN of the legs of the calls changed since, and
of the legs added since, are dropped, and the mark moves on. Legs gone from either end of the
acctids (retention drops the oldest partitions; a table emptied) or a change feed gone back drop
every stored day, as does a change too large to place. Building and dropping take one lock
(PostgreSQL: an advisory lock; SQLite: its one writer), so two servers never store a day twice
(dashboard_day's key says so too).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import Connection, Engine, select, text, update

from calldata.dashboards import stored
from calldata.dashboards.query import MARGIN, Scope
from calldata.dashboards.schema import OPERATOR, dashboard_day, dashboard_mark
from calldata.reports import changes
from calldata.reports.period import midnight
from calldata.reports.roster import current_roster
from calldata.store import dialect as store_dialect

LOCK = 0x6461736862647331  # "dashbds1": builders and refreshers take turns
RECENT = 62  # closed days back from today kept up ahead of visitors (`calldata dashboards refresh`, serve's upkeep)


def current(conn: Connection) -> changes.Mark:
    """The store's mark now (changes.current), its queue events left out: no stored day reads one."""
    return changes.current(conn)._replace(event=0)


def marked(conn: Connection) -> changes.Mark | None:
    """The mark the stored days are good up to (None before the first refresh)."""
    row = conn.execute(select(dashboard_mark.c.seq, dashboard_mark.c.low, dashboard_mark.c.high)
                       .where(dashboard_mark.c.id == 1)).first()
    return None if row is None else changes.Mark(*(int(v) for v in row))


def closed(day: date, zone: ZoneInfo, now: datetime) -> bool:
    """A day may be stored once its legs and those of its calls (MARGIN after it) have started."""
    return midnight(day + timedelta(days=1), zone) + MARGIN <= now


def lock(conn: Connection, shared: bool = False) -> None:
    """Until commit: read stored days no refresher changes (`shared`: PostgreSQL only, readers do not
    wait for each other), or take the builders' turn (SQLite: its write lock, the mark row written)."""
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SELECT pg_advisory_xact_lock{'_shared' if shared else ''}(:key)"), {"key": LOCK})
    if not shared:
        conn.execute(store_dialect.insert(conn, dashboard_mark).values(id=1, seq=0, low=0, high=0).on_conflict_do_nothing())


def touched(hours: Iterable[tuple[int, int]], zone: ZoneInfo) -> set[date]:
    """The local days of `zone` whose figures read a leg of those hours (a day reads the legs from
    MARGIN before it to MARGIN after it)."""
    days: set[date] = set()
    for low, high in hours:
        first = datetime.fromtimestamp(low * 3600, UTC) - MARGIN
        last = datetime.fromtimestamp(high * 3600 + 3599, UTC) + MARGIN
        day, end = first.astimezone(zone).date(), last.astimezone(zone).date()
        while day <= end:
            days.add(day)
            day += timedelta(days=1)
    return days


def refresh(conn: Connection) -> changes.Mark:
    """Drop the stored days the store's changes since the mark touch, and move the mark (the lock
    held: `lock`). Returns the new mark."""
    now, since = current(conn), marked(conn) or changes.Mark(0, 0, 0)
    if now == since:
        return since
    anything = conn.execute(select(dashboard_day.c.day).limit(1)).first() is not None
    if anything:
        if changes.gone(since, now) or changes.changed_calls(conn, since.seq) > changes.TOO_MANY:
            stored.forget(conn, lambda table: table.c.day.is_not(None))
        else:
            hours = changes.leg_hours(conn, since.seq, since.high)
            for zone in conn.execute(select(dashboard_day.c.zone).distinct()).scalars().all():
                days = sorted(touched(hours, ZoneInfo(zone)))
                for i in range(0, len(days), 500):
                    chunk = days[i:i + 500]
                    stored.forget(conn, lambda table, z=zone, c=chunk: (table.c.zone == z) & table.c.day.in_(c))
    conn.execute(update(dashboard_mark).where(dashboard_mark.c.id == 1)
                 .values(seq=now.seq, low=now.low, high=now.high))
    return now


def ensure(conn: Connection, scope: Scope, zone: ZoneInfo, days: list[date]) -> int:
    """Refresh, then build and store every one of `days` (closed days) of `scope` (one with a
    stored.key_of) not stored: how many were built. Run in a transaction on the primary: it writes."""
    lock(conn)
    refresh(conn)
    if not days:
        return 0
    have = stored.stored_days(conn, stored.Run(stored.key_that(scope), zone.key, min(days), max(days)))
    built = 0
    for day in days:
        if day not in have:
            built += stored.build(conn, scope, zone, day)
    return built


def recent(zone: ZoneInfo, now: datetime, days: int) -> list[date]:
    """The closed local days among the `days` days up to today (pure)."""
    today = now.astimezone(zone).date()
    wanted = [today - timedelta(days=k) for k in range(days, -1, -1)]
    return [day for day in wanted if closed(day, zone, now)]


def kept_scopes(conn: Connection, zone: ZoneInfo) -> list[tuple[str, Scope]]:
    """The scopes kept up ahead of their visitors, with their keys: the operator, every company of
    the directory, and the sets of companies with a day stored in `zone` (someone viewed them; a
    set stored under its digest is built when viewed)."""
    roster = current_roster(conn)
    keys = [OPERATOR, *sorted(roster.directory.companies if roster is not None else ())]
    sets = select(dashboard_day.c.scope).where(dashboard_day.c.zone == zone.key,
                                                dashboard_day.c.scope.contains(stored.SEPARATOR)).distinct()
    keys += sorted(conn.execute(sets).scalars())
    return [(key, scope) for key in keys if (scope := stored.scope_of(key)) is not None]


def bring_up(engine: Engine, zone: ZoneInfo, days: list[date],
             stop: Callable[[], bool] = lambda: False) -> dict[str, int]:
    """Drop the stored days whose legs changed, then build the missing ones of `days` for every kept
    scope, one day per transaction (a reader waits for one day's build at most): the days built per
    scope key. Stops between two days once `stop()` says so."""
    with engine.begin() as conn:
        lock(conn)
        refresh(conn)
    with engine.connect() as conn:
        scopes = kept_scopes(conn, zone)
    built = dict.fromkeys((key for key, _ in scopes), 0)
    for key, scope in scopes if days else ():
        with engine.connect() as conn:
            have = stored.stored_days(conn, stored.Run(key, zone.key, min(days), max(days)))
        for day in days:
            if stop():
                return built
            if day not in have:
                with engine.begin() as conn:
                    built[key] += ensure(conn, scope, zone, [day])
    return built
