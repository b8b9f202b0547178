"""call-read.md, Response: the rows, their exact types and forms, paging and date windows."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, text

from api_helpers import T0, Connect, cdr, set_columns, store_rows
from calldata.store.schema import PROPERTY_FLAGS, PROPERTY_TEXT

pytestmark = pytest.mark.anyio

BASE_KEYS = ["acctid", "calldate", "clid", "src", "dst", "dcontext", "channel", "dstchannel", "lastapp",
             "lastdata", "duration", "billsec", "disposition", "amaflags", "accountcode", "uniqueid",
             "linkedid", "properties"]
CACHE_KEYS = ["start", "answer", "end", "peeraccount", "sequence", "userfield", "call", "rating", "price", "currency",
              "cost", "cost_currency", "destination", "destination_kind"]
INTEGER_KEYS = {"acctid", "duration", "billsec", "amaflags"}
TIME_FORM = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d[+-]\d\d(:\d\d)?")


def ms(instant: datetime) -> int:
    return int(instant.timestamp() * 1000)


async def read(client: Any, **scope: Any) -> dict[str, Any]:
    r = await client.post("/rest/call/read", content=json.dumps({"scope": scope}))
    assert r.status_code == 200, r.text
    return r.json()


async def test_every_stored_column_comes_back_with_its_exact_type(connect: Connect, engine: Engine) -> None:
    record = cdr(1, clid='"Bob\'s Desk" <01908276650>', lastdata='PJSIP/x,"30",tT\\n', userfield="é\t✓")
    [acctid] = store_rows(engine, [record])
    async with connect() as client:
        page = await read(client)
        cached = await read(client, cachedata=True)
    [row] = page["values"]
    assert list(row) == BASE_KEYS
    for key in BASE_KEYS[:-1]:
        assert type(row[key]) is (int if key in INTEGER_KEYS else str), key
        if key not in ("acctid", "calldate"):
            assert row[key] == getattr(record, key), key
    assert row["acctid"] == acctid
    assert datetime.fromisoformat(row["calldate"]) == record.start
    assert row["properties"] == {}
    [full] = cached["values"]
    assert list(full) == BASE_KEYS[:-1] + CACHE_KEYS + ["properties"]
    assert all(type(full[key]) is str for key in CACHE_KEYS)
    assert full["peeraccount"] == "" and full["userfield"] == "é\t✓"
    assert full["sequence"] == str(record.sequence) and full["call"] == ""
    assert full["start"] == full["calldate"]


async def test_absent_values_are_empty_strings_never_null(connect: Connect, engine: Engine) -> None:
    [acctid] = store_rows(engine, [cdr(1, answer=None, end=None, sequence=None, clid="", dstchannel="")])
    async with connect() as client:
        [row] = (await read(client, cachedata=True))["values"]
    assert None not in row.values()
    assert (row["answer"], row["end"], row["sequence"], row["call"], row["clid"]) == ("", "", "", "", "")
    set_columns(engine, acctid, call="1458643961.0")
    async with connect() as client:
        [row] = (await read(client, cachedata=True))["values"]
    assert row["call"] == "1458643961.0"


async def test_properties_hold_decided_strings_and_true_flags_only(connect: Connect, engine: Engine) -> None:
    ids = store_rows(engine, [cdr(i) for i in range(3)])
    decided = {name: f"v-{name}" for name in PROPERTY_TEXT} | {"xfer": "", "bill_to": ""}
    set_columns(engine, ids[0], **decided, **dict.fromkeys(PROPERTY_FLAGS, True))
    set_columns(engine, ids[1], company="acme", target="", is_park=True, is_ivr=False)
    async with connect() as client:
        rows = (await read(client))["values"]
    assert rows[0]["properties"] == decided | dict.fromkeys(PROPERTY_FLAGS, True)
    assert rows[1]["properties"] == {"company": "acme", "target": "", "is_park": True}
    assert rows[2]["properties"] == {}


@pytest.mark.parametrize(
    ("zone", "offset"),
    [("UTC", "+00"), ("Asia/Kolkata", "+05:30"), ("America/St_Johns", "-02:30"), ("Europe/London", "+00")],
)
async def test_calldate_is_in_the_display_zone_and_parses_to_the_instant(
    connect: Connect, engine: Engine, zone: str, offset: str
) -> None:
    # 2016-03-22: St John's is on daylight time (-02:30), London is not yet (+00).
    start = datetime(2016, 3, 22, 23, 59, 58, 750_000, tzinfo=UTC)
    store_rows(engine, [cdr(0, start=start, answer=start + timedelta(seconds=3), end=None)])
    async with connect(display_tz=zone) as client:
        [row] = (await read(client, cachedata=True))["values"]
    for key in ("calldate", "start", "answer"):
        assert TIME_FORM.fullmatch(row[key]), row[key]
        assert row[key].endswith(offset), row[key]
    assert datetime.fromisoformat(row["calldate"]) == start.replace(microsecond=0)
    assert datetime.fromisoformat(row["answer"]) == (start + timedelta(seconds=3)).replace(microsecond=0)
    assert row["end"] == ""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed: cannot check JavaScript's Date")
    parsed = subprocess.run(
        [node, "-e", "console.log(new Date(process.argv[1]).getTime())", row["calldate"]],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    assert int(parsed) == ms(start.replace(microsecond=0))


async def test_min_id_is_inclusive_and_echoed(connect: Connect, engine: Engine) -> None:
    ids = store_rows(engine, [cdr(i) for i in range(6)])
    async with connect() as client:
        page = await read(client, minID=ids[2], maxRows=2)
        past_end = await read(client, minID=ids[-1] + 1)
    assert page["minID"] == ids[2] and page["maxRows"] == 2
    assert [row["acctid"] for row in page["values"]] == ids[2:4]
    assert page["numRows"] == page["numrows"] == 2
    assert past_end["values"] == [] and past_end["numRows"] == past_end["numrows"] == 0


async def test_max_rows_defaults_to_500_and_is_clamped_to_the_cap(connect: Connect, engine: Engine) -> None:
    ids = store_rows(engine, [cdr(i) for i in range(510)])
    async with connect(max_rows_cap=7) as client:
        clamped = await read(client, maxRows=10_000)
        small = await read(client, maxRows=3)
    async with connect() as client:
        default = await read(client)
        big = await read(client, maxRows=10**6)
    assert clamped["maxRows"] == 7 and [r["acctid"] for r in clamped["values"]] == ids[:7]
    assert small["maxRows"] == 3 and small["numRows"] == 3
    assert default["maxRows"] == 500 and [r["acctid"] for r in default["values"]] == ids[:500]
    assert big["maxRows"] == 10_000 and big["numRows"] == 510


async def test_date_window_is_half_open_in_epoch_ms(connect: Connect, engine: Engine) -> None:
    starts = [T0 + timedelta(seconds=s) for s in (0, 1, 1.5, 2, 3)]
    ids = store_rows(engine, [cdr(i, start=start) for i, start in enumerate(starts)])
    async with connect() as client:
        window = await read(client, minDate=ms(starts[1]), maxDate=ms(starts[3]))
        as_text = await read(client, minDate=str(ms(starts[1])), maxDate=str(ms(starts[3])))
        empty = await read(client, minDate=ms(starts[2]), maxDate=ms(starts[2]))
        after = await read(client, minDate=ms(starts[3]))
        before = await read(client, maxDate=ms(starts[1]) + 1)
        both = await read(client, minID=ids[2], minDate=ms(starts[1]), maxDate=ms(starts[4]))
    assert [r["acctid"] for r in window["values"]] == ids[1:3]
    assert as_text["values"] == window["values"]
    assert empty["values"] == []
    assert [r["acctid"] for r in after["values"]] == ids[3:]
    assert [r["acctid"] for r in before["values"]] == ids[:2]
    assert [r["acctid"] for r in both["values"]] == ids[2:4]


async def test_rows_come_in_acctid_order_not_date_order(connect: Connect, engine: Engine) -> None:
    # A long call's CDR is written when it ends: a later acctid with an earlier calldate.
    ids = store_rows(engine, [cdr(5), cdr(1), cdr(9), cdr(3)])
    async with connect() as client:
        rows = (await read(client))["values"]
    assert [r["acctid"] for r in rows] == sorted(ids)
    assert [r["src"] for r in rows] == ["01908270005", "01908270001", "01908270009", "01908270003"]


@pytest.mark.parametrize("cachedata", [False, True])
async def test_walking_all_pages_returns_every_row_exactly_once(
    connect: Connect, engine: Engine, cachedata: bool
) -> None:
    ids = store_rows(engine, [cdr(i) for i in range(1234)])
    with engine.begin() as conn:  # gaps in acctid, as rolled-back inserts leave them
        conn.execute(text("DELETE FROM cdr WHERE acctid % 17 = 0 OR acctid BETWEEN :a AND :b"),
                     {"a": ids[300], "b": ids[420]})
        stored = [a for (a,) in conn.execute(text("SELECT acctid FROM cdr ORDER BY acctid"))]
    assert 0 < len(stored) < len(ids)
    seen: list[int] = []
    pages = 0
    min_id = 0
    async with connect() as client:
        while True:
            page = await read(client, minID=min_id, maxRows=97, cachedata=cachedata)
            pages += 1
            if not page["values"]:
                break
            assert page["numRows"] == len(page["values"]) <= 97
            seen += [row["acctid"] for row in page["values"]]
            min_id = page["values"][-1]["acctid"] + 1
    assert seen == stored
    assert pages == -(-len(stored) // 97) + 1  # full pages, then the one that finds nothing more


async def test_a_window_far_from_min_id_finds_rows_written_out_of_date_order(connect: Connect, engine: Engine) -> None:
    # Late-written legs of long calls: acctid order and calldate order disagree around the window.
    minutes = [50, 1, 2, 30, 31, 3, 29, 32, 4, 33, 28, 60]
    ids = store_rows(engine, [cdr(m) for m in minutes])
    low, high = T0 + timedelta(minutes=29), T0 + timedelta(minutes=33)
    expected = [a for a, m in zip(ids, minutes) if low <= T0 + timedelta(minutes=m) < high]
    async with connect() as client:
        first = await read(client, minDate=ms(low), maxDate=ms(high), maxRows=2)
        rest = await read(client, minID=first["values"][-1]["acctid"] + 1, minDate=ms(low), maxDate=ms(high))
        open_ended = await read(client, minDate=ms(low))
    assert [r["acctid"] for r in first["values"] + rest["values"]] == expected
    assert [r["acctid"] for r in open_ended["values"]] == [a for a, m in zip(ids, minutes) if m >= 29]
