"""`calldata dashboards refresh` stores the recent closed days of the operator and every company,
in the display zone, as a real process; run again, it builds nothing; `--drop` forgets the rest."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, func, select

from calldata.dashboards import refresh
from calldata.dashboards.build import dashboard
from calldata.dashboards.period import Period
from calldata.dashboards.query import Scope
from calldata.dashboards.schema import dashboard_day
from dashboard_legs import store_generated

ZONE = "Asia/Kolkata"


def calldata(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """`python -m calldata ARGS` with only the CALLDATA_* variables given."""
    mine = {k: v for k, v in os.environ.items() if not k.startswith("CALLDATA_")} | env
    return subprocess.run([sys.executable, "-m", "calldata", *args], env=mine, capture_output=True, text=True,
                          timeout=120)


def test_refresh_builds_the_recent_closed_days_once(engine: Engine, store_url: str) -> None:
    store_generated(engine, rows=300)
    env = {"CALLDATA_DATABASE_URL": store_url, "CALLDATA_DISPLAY_TZ": ZONE}
    days = (datetime.now(UTC).date() - datetime(2026, 10, 20).date()).days  # back to before the legs
    done = calldata("dashboards", "refresh", "--days", str(days), env=env)
    assert done.returncode == 0, done.stderr
    wanted = len(refresh.recent(ZoneInfo(ZONE), datetime.now(UTC), days))
    assert f"every company: {wanted} of {wanted} days built" in done.stdout
    assert f"acme: {wanted} of {wanted} days built" in done.stdout
    with engine.connect() as conn:
        stored = dict(conn.execute(select(dashboard_day.c.scope, func.count()).where(dashboard_day.c.zone == ZONE)
                                   .group_by(dashboard_day.c.scope)).all())
    assert stored == {"*": wanted, "acme": wanted, "globex": wanted, "default": wanted}
    again = calldata("dashboards", "refresh", "--days", str(days), env=env)
    assert f"every company: 0 of {wanted} days built" in again.stdout
    dropped = calldata("dashboards", "refresh", "--days", "1", "--drop", env=env)
    assert dropped.returncode == 0, dropped.stderr
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(dashboard_day)).scalar_one() <= 4 * 2
    with engine.connect() as conn:
        kept = dashboard(conn, Scope(), Period.month(2026, 10), ZoneInfo(ZONE))
    with engine.connect() as conn:
        assert kept == dashboard(conn, Scope(), Period.month(2026, 10), ZoneInfo(ZONE), live=True)
