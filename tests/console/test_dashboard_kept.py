"""A built dashboard is kept while the store changes no leg it read (its period and MARGIN around
it) and the directory stays; a leg stored in the period or a new directory version makes it again."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from calldata.attribution import versions
from calldata.attribution.directory import parse_directory
from calldata.console.dashboard import _unchanged
from calldata.reports.changes import stamp as _stamp
from calldata.dashboards.period import Period
from calldata.demo.generator import generate
from calldata.ingest.sink import store_batch
from recordings import DIRECTORY_YAML

NOVEMBER = Period.month(2026, 11)
ZONE = ZoneInfo("Europe/London")


def stored(world: Engine, start: datetime) -> None:
    rows = list(generate(parse_directory(DIRECTORY_YAML.read_text()), rows=20, seed=7, start=start, days=1))
    with world.begin() as conn:
        store_batch(conn, rows)


def test_kept_until_a_leg_it_read_or_the_directory_changes(world: Engine) -> None:
    with world.connect() as conn:
        built = _stamp(conn)
    stored(world, datetime(2027, 1, 10, 9, tzinfo=UTC))  # far from November
    with world.connect() as conn:
        later = _stamp(conn)
        assert later != built and _unchanged(conn, built, later, NOVEMBER, ZONE)
    stored(world, datetime(2026, 11, 20, 9, tzinfo=UTC))  # in November
    with world.connect() as conn:
        assert not _unchanged(conn, later, _stamp(conn), NOVEMBER, ZONE)
        again = _stamp(conn)
    with world.begin() as conn:
        versions.save(conn, DIRECTORY_YAML.read_text().replace("{name: Alice,", "{name: Alicia,"), "test")
    with world.connect() as conn:
        assert not _unchanged(conn, again, _stamp(conn), NOVEMBER, ZONE)
