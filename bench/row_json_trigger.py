"""Benchmark: what cdr's row JSON trigger costs a write, 0017's function against the store's own.

Usage: .venv/bin/python bench/row_json_trigger.py [ROWS] [ROUNDS] [POSTGRES_ADMIN_URL]
A scratch store (migrated to head) gets ROWS generated legs (bench/read_api.py's `generate`, 2 in 5
of them priced, as rating gives); each statement below then runs in a transaction rolled back,
ROUNDS times interleaved with the trigger off, with 0017_row_json's function and with the current
one, on the indexed `cdr` and on an unindexed copy (the trigger's own cost shows there). Prints the
PostgreSQL backend's CPU seconds (from /proc: less moved by a loaded machine than wall time), best
of the rounds, and checks that both functions render the same bytes after every statement.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from pathlib import Path

import psycopg

from calldata.store.engine import sync_engine, upgrade
from calldata.store.scratch import scratch_database

sys.path.insert(0, str(Path(__file__).parent))
from read_api import load  # noqa: E402  (a sibling script)

OLD = importlib.import_module("calldata.store.migrations.versions.0017_row_json").RENDER.replace(
    "CREATE FUNCTION cdr_row_json()", "CREATE FUNCTION row_json_0017()").replace("\\:", ":")
TRIGGERS = {"off": None, "0017": "row_json_0017", "now": "cdr_row_json"}
STATEMENTS = {  # what each writer does to a row: ingestion (rating off, on), attribution/reprocess, re-rating
    "insert, no amounts": "INSERT INTO {t} SELECT * FROM unpriced",
    "insert, 2 in 5 priced": "INSERT INTO {t} SELECT * FROM priced",
    "update properties": "UPDATE {t} SET company = company || 'x', is_pick = NOT is_pick",
    "update price/cost": "UPDATE {t} SET price = coalesce(price, 0) + 10000, cost = coalesce(cost, 0) + 100,"
                         " rating = 'rated', sell_deck = (SELECT min(id) FROM rate_deck)",
}


def backend_cpu(conn: psycopg.Connection) -> Callable[[], float]:
    """CPU seconds used so far by the connection's backend (same machine)."""
    pid = conn.execute("SELECT pg_backend_pid()").fetchone()[0]

    def used() -> float:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / 100
    return used


def prepare(conn: psycopg.Connection) -> None:
    """The rows to insert (JSON left to the trigger): `unpriced` as generated, `priced` 2 in 5 priced;
    `bare`: cdr unindexed, filled with `priced`."""
    conn.execute(OLD)
    conn.execute("INSERT INTO rate_deck (name, version, currency, precision, peak, source, sha256, loaded_at)"
                 " VALUES ('bench', 1, 'GBP', 4, '', '', '', now())")
    conn.execute("CREATE TABLE unpriced AS SELECT * FROM cdr")
    conn.execute("UPDATE unpriced SET json_base = NULL, json_cache = NULL, json_properties = NULL")
    conn.execute("CREATE TABLE priced AS SELECT * FROM unpriced")
    conn.execute("UPDATE priced SET rating = 'rated', currency = 'GBP', cost_currency = 'GBP', price = acctid * 37,"
                 " cost = acctid * 11, sell_deck = (SELECT min(id) FROM rate_deck),"
                 " buy_deck = (SELECT min(id) FROM rate_deck) WHERE acctid % 5 < 2")
    conn.execute("CREATE TABLE bare (LIKE cdr INCLUDING DEFAULTS)")
    conn.execute("CREATE TRIGGER render BEFORE INSERT ON bare FOR EACH ROW EXECUTE FUNCTION cdr_row_json()")
    conn.execute("INSERT INTO bare SELECT * FROM priced")  # rendered, as every stored row is
    conn.execute("DROP TRIGGER render ON bare")
    conn.execute("VACUUM ANALYZE unpriced, priced, bare")


def timed(conn: psycopg.Connection, cpu: Callable[[], float], table: str, trigger: str | None, sql: str) -> float:
    with conn.transaction(force_rollback=True):
        conn.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
        if trigger:
            conn.execute(f"CREATE TRIGGER bench BEFORE INSERT OR UPDATE ON {table} FOR EACH ROW EXECUTE FUNCTION"
                         f" {trigger}()")
        if sql.startswith("INSERT"):
            conn.execute(f"TRUNCATE {table}")
        began = cpu()
        conn.execute(sql.format(t=table))
        return cpu() - began


def same_bytes(conn: psycopg.Connection) -> None:
    """Each statement in turn on two copies, one per function: every row's parts equal (the rows
    without amounts are among the priced ones: one insert)."""
    with conn.transaction(force_rollback=True):
        for name, function in (("a", "row_json_0017"), ("b", "cdr_row_json")):
            conn.execute(f"CREATE TABLE {name} (LIKE cdr INCLUDING DEFAULTS)")
            conn.execute(f"CREATE TRIGGER t BEFORE INSERT OR UPDATE ON {name} FOR EACH ROW EXECUTE FUNCTION"
                         f" {function}()")
        for sql in (sql for label, sql in STATEMENTS.items() if label != "insert, no amounts"):
            for name in ("a", "b"):
                conn.execute(sql.format(t=name))
            differ = conn.execute("SELECT count(*) FROM a JOIN b USING (acctid) WHERE (a.json_base, a.json_cache,"
                                  " a.json_properties) IS DISTINCT FROM (b.json_base, b.json_cache,"
                                  " b.json_properties)").fetchone()[0]
            assert differ == 0, f"{sql}: {differ} rows rendered differently"


def main() -> None:
    rows = int(sys.argv[1]) if len(sys.argv) > 1 else 100_000
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
    admin = sys.argv[3] if len(sys.argv) > 3 else "postgresql://postgres@127.0.0.1:5432/test"
    with scratch_database(admin, "calldata_bench") as url:
        engine = sync_engine(url)
        upgrade(engine)
        engine.dispose()
        conninfo = url.replace("postgresql+psycopg://", "postgresql://")
        load(conninfo, rows, 1)
        with psycopg.connect(conninfo, autocommit=True) as conn:
            prepare(conn)
            same_bytes(conn)
            cpu = backend_cpu(conn)
            print(f"{rows:,} rows; PostgreSQL backend CPU seconds, best of {rounds}; per row in us")
            for label, sql in STATEMENTS.items():
                for table in ("bare", "cdr"):
                    runs: dict[str, list[float]] = {name: [] for name in TRIGGERS}
                    for _ in range(rounds):  # interleaved: a change in the machine's load hits each alike
                        for name, trigger in TRIGGERS.items():
                            runs[name].append(timed(conn, cpu, table, trigger, sql))
                    best = {name: min(seconds) for name, seconds in runs.items()}
                    cost = {name: (best[name] - best["off"]) / rows * 1e6 for name in ("0017", "now")}
                    print(f"{label + ' ' + ('unindexed' if table == 'bare' else 'cdr'):<34}"
                          + "".join(f"  {name} {seconds:6.2f}" for name, seconds in best.items())
                          + f"   trigger a row: 0017 {cost['0017']:5.1f} us, now {cost['now']:5.1f} us")


if __name__ == "__main__":
    main()
