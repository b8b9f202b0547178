"""`calldata rates load|list|show|test|unrated` and `calldata rerate` as an operator runs them: a real subprocess."""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime

from sqlalchemy import func, select

from calldata.attribution import versions
from calldata.rating.schema import rate_deck, rate_history, rate_row
from calldata.store.schema import cdr
from calldata.demo.demo import EXAMPLE_DECKS
from rated_world import load_decked_world, rated_directory


def calldata(store_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "calldata", "--database-url", store_url, *args],
                          capture_output=True, text=True, timeout=120,
                          env={"PATH": "/usr/bin:/bin", "COLUMNS": "500"})


def cells(output: str) -> list[list[str]]:
    """The rows of the tables in `output`, each as its cells."""
    return [[cell.strip() for cell in line.strip().strip("│").split("│")] for line in output.splitlines()
            if line.strip().startswith("│")]


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_load_list_show(engine, store_url, tmp_path):
    deck = EXAMPLE_DECKS / "carrier1.csv"
    first = calldata(store_url, "rates", "load", str(deck), "--name", "carrier1", "--currency", "GBP")
    assert first.returncode == 0, first.stderr
    assert "deck carrier1 version 1" in first.stdout and "22 rows" in first.stdout and "since always" in first.stdout
    again = calldata(store_url, "rates", "load", str(deck), "--name", "carrier1", "--currency", "GBP")
    assert again.returncode == 0 and "identical to deck carrier1 version 1: nothing loaded" in again.stdout
    cheaper = tmp_path / "carrier1-v2.csv"
    cheaper.write_text(deck.read_text().replace("4420,UK London,National,0.0050", "4420,UK London,National,0.0040"))
    second = calldata(store_url, "rates", "load", str(cheaper), "--name", "carrier1", "--currency", "GBP",
                      "--increments", "60/60", "--peak", "09:00-17:30")
    assert second.returncode == 0, second.stderr
    today = datetime.now(UTC).date().isoformat()  # no directory: the PBX zone is UTC
    assert "version 2 loaded" in second.stdout and f"valid from {today}" in second.stdout
    listed = calldata(store_url, "rates", "list")
    assert listed.returncode == 0
    rows = [row for row in cells(listed.stdout) if row[0] == "carrier1"]
    assert [row[1:6] for row in rows] == [["1", "GBP", "4", "always", "08:00-18:00"], ["2", "GBP", "4", today, "09:00-17:30"]]
    shown = calldata(store_url, "rates", "show", "carrier1", "--version", "1")
    london = next(row for row in cells(shown.stdout) if row[1] == "UK London")
    assert london == ["4420", "UK London", "National", "any", "0.0050", "0", "1/1", "", "5"]
    latest = calldata(store_url, "rates", "show", "carrier1")
    assert "version 2" in latest.stdout and "0.0040" in latest.stdout
    missing = calldata(store_url, "rates", "show", "nope")
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1 and "no deck named 'nope'" in missing.stderr


def test_a_bad_deck_lists_every_problem_and_stores_nothing(engine, store_url, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("prefix,destination,rate,band\n44,UK,0.01,\nx1,Foo,0.1,\n44,,abc,\n441,UK Geo,0.02,noon\n44,UK,0.02,\n")
    result = calldata(store_url, "rates", "load", str(bad), "--name", "bad", "--currency", "GBP")
    assert result.returncode == 1
    assert [line.split(": ")[0] for line in result.stderr.splitlines()[:-1]] == \
        [f"{bad}:3", f"{bad}:4", f"{bad}:5", f"{bad}:6"]
    assert "4 problems; nothing was loaded" in result.stderr and "Traceback" not in result.stderr
    assert _count(engine, rate_deck) == 0 and _count(engine, rate_row) == 0
    for args, said in ((["--currency", "gbp"], "currency"), (["--currency", "GBP", "--increments", "60"], "increments"),
                       (["--currency", "GBP", "--valid-from", "1/2/2026"], "--valid-from"),
                       (["--currency", "GBP", "--precision", "9"], "precision")):
        refused = calldata(store_url, "rates", "load", str(EXAMPLE_DECKS / "carrier1.csv"), "--name", "c", *args)
        assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and said in refused.stderr, refused.stderr
    assert _count(engine, rate_deck) == 0


def test_test_prints_both_sides_and_their_prices(engine, store_url):
    load_decked_world(engine)
    result = calldata(store_url, "rates", "test", "01632 960123", "--company", "acme", "--trunk", "carrier1",
                      "--at", "2026-11-30T10:00:00")
    assert result.returncode == 0, result.stderr
    sell, buy = cells(result.stdout)
    # uk-retail 441 0.0200 60/60: 0.0200 for 60 s and for 1 s; carrier1 441 0.0060 1/1: 0.0060 and 0.0001.
    assert sell == ["sell", "acme", "uk-retail", "1", "441", "UK Geographic", "peak (row: any time)", "0.0200",
                    "60/60", "0.0200 GBP", "0.0200 GBP"]
    assert buy == ["buy", "carrier1", "carrier1", "1", "441", "UK Geographic", "peak (row: any time)", "0.0060",
                   "1/1", "0.0060 GBP", "0.0001 GBP"]
    assert "441632960123" in result.stdout
    # a mobile on a weekday evening: the carrier's offpeak row
    mobile = calldata(store_url, "rates", "test", "+447700900123", "--trunk", "carrier1", "--at", "2026-11-30T19:00:00")
    (_sell, buy) = cells(mobile.stdout)
    assert buy[6:8] == ["offpeak", "0.0120"]
    unknown = calldata(store_url, "rates", "test", "0123", "--company", "nope")
    assert unknown.returncode == 2 and unknown.stderr.count("\n") == 1


def test_unrated_then_rerate(world, store_url):
    unrated = calldata(store_url, "rates", "unrated")
    assert unrated.returncode == 0, unrated.stderr
    assert "13 unrated legs" in unrated.stdout
    rows = [row for row in cells(unrated.stdout) if row[0] == "441632960555"]
    # two legs to that number, both Acme's through carrier1: neither priced nor costed
    assert sorted(rows) == [["441632960555", "2", "cost", "none named for carrier1"],
                            ["441632960555", "2", "price", "none named for acme"]]
    assert calldata(store_url, "rates", "unrated", "--from", "2026-12-01").stdout.strip().endswith("no unrated legs.")
    for name in ("carrier1", "globex-gateway", "uk-retail"):
        assert calldata(store_url, "rates", "load", str(EXAMPLE_DECKS / f"{name}.csv"), "--name", name,
                        "--currency", "GBP").returncode == 0
    with world.begin() as conn:
        versions.save(conn, rated_directory(globex_deck=True), "directory.yaml")
    acme = calldata(store_url, "rerate", "--from", "2026-11-01", "--to", "2026-12-01", "--company", "acme")
    assert acme.returncode == 0, acme.stderr
    assert "changed" in acme.stdout
    examined, changed = (int(w) for w in acme.stdout.split() if w.isdigit())
    assert changed == 9 and examined >= 9
    everyone = calldata(store_url, "rerate", "--from", "2026-11-01", "--to", "2026-12-01")
    assert [int(w) for w in everyone.stdout.split() if w.isdigit()][1] == 4  # globex's legs
    with world.connect() as conn:
        assert conn.execute(select(func.count()).select_from(cdr).where(cdr.c.rating == "unrated")).scalar_one() == 0
    assert _count(world, rate_history) == 13  # each leg's "unrated" kept once
    again = calldata(store_url, "rerate", "--from", "2026-11-01", "--to", "2026-12-01")
    assert [int(w) for w in again.stdout.split() if w.isdigit()][1] == 0
    assert calldata(store_url, "rates", "unrated").stdout.strip().endswith("no unrated legs.")
    backwards = calldata(store_url, "rerate", "--from", "2026-12-01", "--to", "2026-11-01")
    assert backwards.returncode == 2 and backwards.stderr.count("\n") == 1
