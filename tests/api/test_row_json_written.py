"""A new row's JSON parts written with it by the store (row_json.stored_parts), in the bytes the
trigger renders, and the insert trigger (migration 0023) run only for a row without them.
The trigger itself after every writer: tests/api/test_row_json.py."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, insert, text

from calldata.cdr import INT_MAX, Cdr
from calldata.store.cdrs import ATTRIBUTES, write_new
from calldata.store.schema import PROPERTY_FLAGS, PROPERTY_TEXT, RATING_COLUMNS, RENDERED_COLUMNS, cdr
from rated_world import load_decked_world
from row_json_check import assert_stored_json_is_fresh

pytestmark = pytest.mark.postgres
START = datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
PARTS = ", ".join(RENDERED_COLUMNS)

# any text PostgreSQL stores: every character but NUL and lone surrogates
texts = st.text(st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"), max_size=12)
counts = st.integers(0, INT_MAX)
records = st.builds(
    Cdr, start=st.just(START), answer=st.none() | st.just(START + timedelta(seconds=3)),
    end=st.just(START + timedelta(seconds=40)), clid=texts, src=texts, dst=texts, dcontext=texts, channel=texts,
    dstchannel=texts, lastapp=texts, lastdata=texts, duration=counts, billsec=counts, disposition=texts,
    amaflags=st.integers(0, 3), accountcode=texts, uniqueid=texts, linkedid=texts, peeraccount=texts,
    sequence=st.none() | counts, userfield=texts,
)
# what attribution and rating decide (calldata.store.cdrs.ATTRIBUTES); amounts are left to the trigger
decisions = st.tuples(
    st.tuples(*[st.none() | texts for _ in PROPERTY_TEXT]), st.tuples(*[st.booleans() for _ in PROPERTY_FLAGS]),
    st.none() | texts, st.none() | st.integers(1, 9),
    st.tuples(*[st.none() | texts if name in ("rating", "currency", "cost_currency", "destination",
                                                "destination_kind") else st.none()
                for name in RATING_COLUMNS]),
).map(lambda d: (*d[0], *d[1], d[2], d[3], *d[4]))


def _postgres_only(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("rows' JSON is stored on PostgreSQL only; SQLite renders it as it reads")


def _written(conn: Connection, records: Sequence[Cdr], attributes: Sequence[Sequence[Any]] | None) -> list[int]:
    """`write_new` of records made distinct by their uniqueid's suffix (their natural keys differ)."""
    distinct = [Cdr(**{**{f: getattr(r, f) for f in Cdr.__struct_fields__}, "uniqueid": f"{r.uniqueid}#{n}"})
                for n, r in enumerate(records)]
    return write_new(conn, distinct, attributes, [r.natural_key() for r in distinct])


def _calls(conn: Connection) -> int:
    """How often cdr_row_json() ran in this transaction (track_functions on)."""
    return conn.execute(text("SELECT coalesce(pg_stat_get_xact_function_calls('cdr_row_json'::regproc), 0)")).scalar_one()


def _rerendered(conn: Connection, acctids: list[int]) -> tuple[list[Any], list[Any]]:
    """The rows' parts as written, then as the trigger renders them from the same columns."""
    query = text(f"SELECT {PARTS} FROM cdr WHERE acctid = ANY(:ids) ORDER BY acctid")
    written = [tuple(row) for row in conn.execute(query, {"ids": acctids})]
    conn.execute(text(f"UPDATE cdr SET {' = NULL, '.join(RENDERED_COLUMNS)} = NULL WHERE acctid = ANY(:ids)"),
                 {"ids": acctids})
    return written, [tuple(row) for row in conn.execute(query, {"ids": acctids})]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.tuples(records, st.none() | decisions), min_size=1, max_size=6))
def test_the_parts_written_with_a_row_are_the_bytes_the_trigger_renders(
    engine: Engine, rows: list[tuple[Cdr, tuple[Any, ...] | None]]
) -> None:
    _postgres_only(engine)
    undecided = (None,) * len(PROPERTY_TEXT) + (False,) * len(PROPERTY_FLAGS) + (None, None) + (None,) * len(RATING_COLUMNS)
    assert len(undecided) == len(ATTRIBUTES)
    with engine.connect() as conn:
        with conn.begin():
            acctids = _written(conn, [r for r, _ in rows], [d or undecided for _, d in rows])
            written, rendered = _rerendered(conn, acctids)
            assert None not in {part for row in written for part in row}
            assert written == rendered
            conn.rollback()


def test_the_insert_trigger_runs_only_for_a_row_written_without_its_parts(engine: Engine) -> None:
    _postgres_only(engine)
    legs = [Cdr(start=START + timedelta(minutes=n), end=START + timedelta(minutes=n, seconds=40), clid='"Jörg" <20>',
                uniqueid=f"1700000000.{n}", linkedid="1700000000.0", duration=40, billsec=37, sequence=n)
            for n in range(4)]
    decided = (*("acme",) * len(PROPERTY_TEXT), *(True,) * len(PROPERTY_FLAGS), "c1", None, *(None,) * len(RATING_COLUMNS))
    priced = list(decided)
    priced[len(PROPERTY_TEXT) + len(PROPERTY_FLAGS) + 2 + RATING_COLUMNS.index("price")] = 1517300
    with engine.begin() as conn:
        conn.execute(text("SET track_functions = 'pl'"))
        _written(conn, legs[:2], [decided, decided])
        _written(conn, legs[2:3], None)  # undecided: its parts are rendered all the same
        assert _calls(conn) == 0
        _written(conn, legs[3:], [priced])  # an amount: the trigger looks up its deck's precision
        assert _calls(conn) == 1
        conn.execute(insert(cdr).values(calldate=START, uniqueid="by-hand", natkey="by-hand"))  # another writer
        assert _calls(conn) == 2
    assert_stored_json_is_fresh(engine)


def test_legs_priced_as_they_are_imported_show_their_amounts(engine: Engine) -> None:
    _postgres_only(engine)
    load_decked_world(engine)  # rating on at import: the priced legs' json_cache is the trigger's
    rows = assert_stored_json_is_fresh(engine)
    assert {"0.0200", "0.0400"} <= {row["price"] for row in rows} and "" in {row["price"] for row in rows}
