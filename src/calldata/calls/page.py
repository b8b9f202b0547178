"""A page of calls: which calls (by first acctid, or by change sequence), their legs, built."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Connection

from calldata.calls.build import DeviceOf, build
from calldata.queues.query import caller_events
from calldata.queues.stays import by_caller, stays
from calldata.reports.roster import current_roster
from calldata.store import calls as store
from calldata.store.calls import CallScope
from calldata.store.reads import format_display_time


def _device_of(conn: Connection) -> DeviceOf:
    """Channel -> (company, extension, device) by the current directory (nothing without one)."""
    roster = current_roster(conn)
    return roster.device if roster is not None else lambda _channel: None


def built(conn: Connection, ids: list[str], zone: ZoneInfo, companies: Collection[str] | None,
          changed: dict[str, int]) -> list[dict[str, Any]]:
    """The calls `ids`, in that order, each from the legs `companies` may see (all when None).

    A call id that no longer has a leg (its legs joined another call) is `{"call", "changed", "legs": []}`.
    """
    legs = store.legs_of(conn, ids)
    device = _device_of(conn)
    seen = {call: [leg for leg in legs.get(call, []) if leg.visible_to(companies)] for call in ids}
    callers = by_caller(stays(caller_events(conn, {leg.uniqueid for mine in seen.values() for leg in mine})))

    def show(instant: Any) -> str:
        return format_display_time(instant, zone)

    values = []
    for call in ids:
        every, mine = legs.get(call, []), seen[call]
        if mine:
            queue = sorted((s for uniqueid in {leg.uniqueid for leg in mine} for s in callers.get(uniqueid, [])),
                           key=lambda stay: stay.enter)
            values.append(build(call, mine, show, device, changed.get(call), min(leg.acctid for leg in every), queue))
        elif companies is None:
            values.append({"call": call, "changed": changed.get(call), "legs": []})
    return values


def by_first_id(conn: Connection, scope: CallScope, max_rows: int, zone: ZoneInfo) -> list[dict[str, Any]]:
    """Up to `max_rows` calls whose first acctid is `scope.min_id` or more, by first acctid."""
    ids = [call for call, _ in store.first_legs(conn, scope, max_rows)]
    return built(conn, ids, zone, scope.companies, store.sequences(conn, ids))


def by_change(conn: Connection, after: int, max_rows: int, zone: ZoneInfo,
              companies: Collection[str] | None) -> list[dict[str, Any]]:
    """Up to `max_rows` calls changed after sequence `after`, in change order (each at its last change)."""
    found = store.changed_calls(conn, after, max_rows, companies)
    return built(conn, [call for call, _ in found], zone, companies, dict(found))
