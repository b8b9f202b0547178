"""Whatever a query string or a path holds, a console page answers a page (200, 400, 403 or 404), never a 500."""

from __future__ import annotations

import re
from urllib.parse import quote, urlencode

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine
from starlette.testclient import TestClient

from calldata.api.app import create_app
from calldata.auth import users
from calldata.auth.permissions import BILLING_CALL_SUMMARY, SYSTEM_ADMIN
from calldata.config import Settings
from calldata.console.filters import FIELDS

KEYS = st.sampled_from([*FIELDS, "after", "before", "kind", "month", "day", "service", "queue", "top", "rows", "login", "zzz"])
PAGES = ["/calls", "/calls.csv", "/statements", "/reports", "/statements.csv", "/reports.csv", "/dashboard", "/queues",
         "/admin/users", "/admin/keys", "/admin/audit", "/admin/attribution"]
VALUES = st.one_of(st.text(max_size=40), st.from_regex(r"-?[0-9]{1,22}\.[0-9]{1,22}", fullmatch=True),
                   st.from_regex(r"[0-9]{4}-[0-9]{2}(-[0-9]{2})?", fullmatch=True))


@pytest.mark.parametrize("who", ["scoped", "admin"])
def test_no_query_or_path_makes_a_page_fail(world: Engine, store_url: str, who: str) -> None:
    with world.begin() as conn:
        users.add_user(conn, who, "a-password-1", profile="CHEAPEST", actor="test")
        if who == "admin":
            users.grant(conn, who, SYSTEM_ADMIN, actor="test")
        else:
            users.grant(conn, who, BILLING_CALL_SUMMARY, ["globex"], actor="test")
    app = create_app(Settings(database_url=store_url, password_hash_profile="CHEAPEST"))
    with TestClient(app, raise_server_exceptions=False) as client:
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', client.get("/login").text)
        assert token
        answer = client.post("/login", data={"csrf": token[1], "username": who, "password": "a-password-1"},
                             follow_redirects=False)
        assert answer.status_code == 303

        @settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
        @given(page=st.sampled_from(PAGES), query=st.dictionaries(KEYS, VALUES, max_size=5),
               call=st.text(min_size=1, max_size=200))
        def never_fails(page: str, query: dict[str, str], call: str) -> None:
            shown = client.get(f"{page}?{urlencode(query)}", follow_redirects=False)
            assert shown.status_code in (200, 400, 403), (page, query, shown.text[:300])
            one = client.get(f"/calls/{quote(call, safe='')}", follow_redirects=False)
            assert one.status_code in (200, 404), (call, one.text[:300])

        never_fails()
