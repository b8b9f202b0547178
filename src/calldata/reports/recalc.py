"""outcalls' `recalc`: the period's legs of the asked companies priced again with the decks and
directory in force now, before the report is built (docs/api.md, Call reports).

Re-rating notes every call it changes in call_change, so the hours of the legs it priced count as
changed (reports.changes) and a report or day kept before (reports.cache, reports.kept) is never
answered again.
"""

from __future__ import annotations

from sqlalchemy import Connection

from calldata.attribution import versions
from calldata.rating import decks
from calldata.rating.rerate import Rerated, rerate
from calldata.reports.build import Plan


def recalculate(conn: Connection, planned: Plan) -> Rerated:
    """Rate again every leg billed to each company of `planned` in its period; commits per batch."""
    done = Rerated()
    lookup = versions.current_lookup(conn)
    if lookup is None:  # (a plan needs a directory: only a directory emptied meanwhile gets here)
        return done
    rater = decks.rater(conn, lookup.plan)
    for company, start, end, _ in planned.parts:
        found = rerate(conn, rater, start, end, [company])
        done.examined += found.examined
        done.changed += found.changed
    return done
