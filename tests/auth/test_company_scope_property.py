"""A company-scoped user never receives another company's row, whatever the directory and the CDRs.

Hypothesis generates a directory (companies, devices, DDIs, a shared and a dedicated trunk) and
CDR legs between its devices, trunks and strangers; the real pipeline stores and attributes them
(store_batch), and a user holding Billing Call-Summary / Billing / Call Reporting for a random set
of companies pages through /rest/call/read with an API key. Every row it receives must name one
of its companies in properties.company, target or bill_to, and it must receive exactly the rows
whose stored attribution does, each once.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from itertools import count

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, select
from starlette.testclient import TestClient

from calldata.api.app import create_app
from calldata.attribution import versions
from calldata.auth import keys, users
from calldata.auth.permissions import BILLING_CALL_REPORTING, BILLING_CALL_SUMMARY
from calldata.cdr import Cdr
from calldata.config import Settings
from calldata.ingest.sink import store_batch
from calldata.store.schema import cdr

T0 = datetime(2025, 1, 6, 9, 0, tzinfo=UTC)
# Ids chosen to trip prefix, case and substring mistakes, plus arbitrary ones.
TRICKY = ["acme", "acme2", "Acme", "cme", "globex", "default", "a_b", "b"]
company_ids = st.sampled_from(TRICKY) | st.from_regex(r"[A-Za-z0-9_]{1,8}", fullmatch=True)
EXTENSIONS = ["201", "202", "203"]


@st.composite
def directories(draw: st.DrawFn) -> dict:
    ids = draw(st.lists(company_ids, min_size=1, max_size=4, unique=True))
    owner = draw(st.sampled_from([None, *ids]))
    companies = {
        cid: {
            "name": f"Company {cid}",
            "contexts": [f"ctx_{cid}"],
            "outside_prefix": draw(st.sampled_from(["", "9"])),
            "extensions": {e: {"name": f"{cid} {e}", "type": "user", "devices": [f"PJSIP/{cid}-{e}"]}
                           for e in EXTENSIONS},
            "ddis": {f"4420{n:02d}{k}": EXTENSIONS[k] for k in range(2)},
        }
        for n, cid in enumerate(ids)
    }
    trunks = {"carrier": {"channels": ["IAX2/carrier"]}}
    if owner is not None:
        trunks["owned"] = {"channels": ["IAX2/owned"], "company": owner}
    return {"system": {"country_code": "44"}, "trunks": trunks, "companies": companies}


def legs(directory: dict) -> st.SearchStrategy[list[Cdr]]:
    ids = list(directory["companies"])
    ddis = [d for c in directory["companies"].values() for d in c["ddis"]]
    device = st.builds(lambda c, e, n: f"PJSIP/{c}-{e}-{n:08x}", st.sampled_from(ids),
                       st.sampled_from(EXTENSIONS), st.integers(0, 999))
    trunk = st.builds(lambda t, n: f"IAX2/{t}-{n}", st.sampled_from(["carrier", "owned"]), st.integers(0, 99))
    stranger = st.sampled_from(["", "PJSIP/stranger-0000000a", "DAHDI/1-1"])
    party = device | trunk | stranger
    dst = st.sampled_from(EXTENSIONS + ddis + ["901632960123", "01632960123", "s", ""])
    context = st.sampled_from([f"ctx_{c}" for c in ids] + ["from-trunk", "", "nowhere"])

    @st.composite
    def leg(draw: st.DrawFn) -> Cdr:
        start = draw(st.integers(0, 600))
        return Cdr(
            start=T0 + timedelta(seconds=start), end=T0 + timedelta(seconds=start + 30),
            channel=draw(party), dstchannel=draw(party), dst=draw(dst), src=draw(dst),
            dcontext=draw(context), lastapp=draw(st.sampled_from(["Dial", "Hangup", "Queue"])),
            uniqueid=f"{start}.{draw(st.integers(0, 10**6))}",
            linkedid=draw(st.sampled_from(["1.1", "1.2", "2.1", ""])),
            disposition="ANSWERED",
        )

    return st.lists(leg(), min_size=0, max_size=25)


@pytest.fixture
def client(store_url: str) -> Iterator[TestClient]:
    # Entered, so one event loop serves every request (and the read-ahead pages it starts).
    with TestClient(create_app(Settings(database_url=store_url, password_hash_profile="CHEAPEST"))) as client:
        yield client


logins = count()


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_a_company_scoped_user_never_receives_another_companys_row(
    engine: Engine, client: TestClient, data: st.DataObject
) -> None:
    directory = data.draw(directories(), "directory")
    records = data.draw(legs(directory), "legs")
    ids = list(directory["companies"])
    granted = data.draw(st.lists(st.sampled_from([*ids, "nobody"]), min_size=1, max_size=4, unique=True), "granted")
    split = data.draw(st.lists(st.booleans(), min_size=len(granted), max_size=len(granted)))
    max_rows = data.draw(st.integers(1, 6), "maxRows")
    login = f"scoped{next(logins)}"
    with engine.begin() as conn:
        conn.execute(delete(cdr))
        versions.save(conn, yaml.safe_dump(directory), "generated")
        store_batch(conn, records)
        uid = users.add_user(conn, login, "pw", profile="CHEAPEST", actor="t")
        for company, summary in zip(granted, split, strict=True):
            users.grant(conn, login, BILLING_CALL_SUMMARY if summary else BILLING_CALL_REPORTING,
                        [company], actor="t")
        _, key = keys.create(conn, uid, pepper="", actor="t")
        stored = conn.execute(select(cdr.c.acctid, cdr.c.company, cdr.c.target, cdr.c.bill_to)
                              .order_by(cdr.c.acctid)).all()
    allowed = set(granted)

    received: list[int] = []
    min_id = 0
    while True:
        r = client.post("/rest/call/read", json={"scope": {"minID": min_id, "maxRows": max_rows}},
                        headers={"authorization": f"Bearer {key}"})
        assert r.status_code == 200, r.text
        values = r.json()["values"]
        if not values:
            break
        for row in values:  # what the client sees names one of its companies
            props = row["properties"]
            assert {props.get("company"), props.get("target"), props.get("bill_to")} & allowed, row
        received += [row["acctid"] for row in values]
        min_id = values[-1]["acctid"] + 1

    expected = [row.acctid for row in stored if {row.company, row.target, row.bill_to} & allowed]
    assert received == expected
    event(f"rows received: {'none' if not received else 'some, not all' if len(received) < len(stored) else 'all'}")
