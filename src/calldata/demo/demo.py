"""The steps of `calldata demo`, in order: a store, the directory, generated CDRs, accounts, the API.

Each step is a function of its own, so the command reads as the list below and a new step is one
more call:

1. `store_url`: the demo's own SQLite file unless a database was named;
2. `load_directory`: the example directory becomes the store's current directory version (so
   every stored row is attributed); a store holding other CDRs is refused, never touched;
3. `load_decks`: the example rate decks (decks/*.csv) the directory names, each loaded once;
4. `fill`: generated CDRs stored through the sink in batches, skipped when already there;
5. `rate`: the generated period's legs priced with those decks, so reports and statements show money;
6. `accounts`: the demo users and API key (calldata.auth.demo_accounts), the same as last run
   while the file `credentials_path` names holds credentials that still work;
   (with them, `calldata.demo.recordings`: short WAVs for the latest recorded calls, scanned);
7. the CLI prints the ready-to-paste curl commands and serves the API.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import msgspec
from sqlalchemy import Engine, func, make_url, select

from calldata.attribution import versions
from calldata.attribution.directory import Directory
from calldata.auth import demo_accounts
from calldata.cdr import Cdr
from calldata.config import Settings
from calldata.demo.generator import generate
from calldata.demo.queue_log import in_log_order
from calldata.ingest.sink import Stored, store_batch
from calldata.queues.event import QueueEvent
from calldata.queues.store import store_events
from calldata.rating import decks
from calldata.rating.rerate import Rerated, rerate
from calldata.store.schema import cdr

DEMO_DATABASE_URL = "sqlite:///calldata-demo.sqlite3"
DEFAULT_ROWS = 20_000
DEFAULT_DAYS = 28
BATCH_SIZE = 5_000
EXAMPLE_DIRECTORY = Path(__file__).with_name("directory.yaml")
EXAMPLE_DECKS = Path(__file__).with_name("decks")
DECK_CURRENCY, DECK_PRECISION = "GBP", 4  # the example decks are a UK operator's


def store_url(given: str | None) -> str:
    """The database the demo fills: the one named by flag or environment, else its own file."""
    return given or DEMO_DATABASE_URL


SOURCE_PREFIX = "calldata demo: "  # directory versions the demo loaded say so in their source


class NotADemoStore(Exception):
    """The store holds CDRs the demo did not put there: filling it would mix made-up calls in."""


def load_directory(engine: Engine, text: str, source: str) -> int:
    """Make `text` the current directory version unless it already is; returns the version id.

    A store that already holds CDRs under a directory the demo did not load (real data, pointed
    at by mistake) raises NotADemoStore and is left as it was.
    """
    digest = hashlib.sha256(text.encode()).hexdigest()
    with engine.begin() as conn:
        found = versions.current(conn)
        if found is not None and found[0].sha256 == digest and found[0].source.startswith(SOURCE_PREFIX):
            return found[0].id
        has_rows = conn.execute(select(cdr.c.acctid).limit(1)).first() is not None
        if has_rows and (found is None or not found[0].source.startswith(SOURCE_PREFIX)):
            raise NotADemoStore("this database already holds CDRs that the demo did not generate; "
                                "run the demo on an empty database (or its own calldata-demo.sqlite3)")
        return versions.save(conn, text, SOURCE_PREFIX + source)[0].id


def stored_rows(engine: Engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(cdr)).scalar_one()


def period_start(engine: Engine, days: int, today: datetime | None = None) -> datetime:
    """Where the generated period starts: the midnight `days` days ago, so the calls are recent;
    for a store filled in part before (an interrupted demo), the day its rows start, so the same
    rows are generated again and only the missing ones are stored."""
    with engine.connect() as conn:
        first = conn.execute(select(func.min(cdr.c.calldate))).scalar_one()
    if first is not None:
        first = first if first.tzinfo else first.replace(tzinfo=UTC)
        return first.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
    now = (today or datetime.now(UTC)).astimezone(UTC)
    return now.replace(hour=0, minute=0, second=0, microsecond=0) - timedelta(days=days)


def fill(
    engine: Engine,
    directory: Directory,
    *,
    rows: int,
    seed: int = 0,
    start: datetime,
    days: int = DEFAULT_DAYS,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    queue_log: list[QueueEvent] | None = None,
) -> Stored:
    """Store `rows` generated CDRs, one transaction per batch; rows already stored are skipped
    (the sink is idempotent), so running it again after an interruption completes the set. The
    queue calls' queue_log events are added to `queue_log` when given (`store_queue_log`)."""
    total = Stored()
    batch: list[Cdr] = []
    for record in generate(directory, rows=rows, seed=seed, start=start, days=days, queue_log=queue_log):
        batch.append(record)
        if len(batch) == batch_size:
            total += _store(engine, batch)
            batch = []
            if progress is not None:
                progress(total.inserted + total.present)
    if batch:
        total += _store(engine, batch)
        if progress is not None:
            progress(total.inserted + total.present)
    return total


def store_queue_log(engine: Engine, events: list[QueueEvent]) -> int:
    """The generated queue_log events stored, each once (a rerun adds none); how many were new."""
    with engine.begin() as conn:
        return store_events(conn, in_log_order(events))


def _store(engine: Engine, batch: list[Cdr]) -> Stored:
    with engine.begin() as conn:
        return store_batch(conn, batch)


def load_decks(engine: Engine, folder: Path = EXAMPLE_DECKS) -> list[str]:
    """Every `NAME.csv` of `folder` as deck NAME (a new version only when the file changed, so a
    rerun adds nothing); the names loaded."""
    names = []
    with engine.begin() as conn:
        for path in sorted(folder.glob("*.csv")):
            decks.load(conn, path.read_text(encoding="utf-8"), str(path), name=path.stem,
                       currency=DECK_CURRENCY, precision=DECK_PRECISION)
            names.append(path.stem)
    return names


def rate(engine: Engine, start: datetime, days: int) -> Rerated:
    """Price the legs of the generated period [start, start + days) with the current directory's
    decks; legs already priced the same are left alone."""
    with engine.connect() as conn:
        lookup = versions.current_lookup(conn)
        if lookup is None:
            return Rerated()
        return rerate(conn, decks.rater(conn, lookup.plan), start, start + timedelta(days=days))


def credentials_path(database_url: str) -> Path:
    """Where the demo keeps the credentials it printed: beside its SQLite file (`<file>.credentials`),
    or `calldata-demo.credentials` in the working directory for any other database."""
    url = make_url(database_url)
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        store = Path(url.database)
        return store.with_name(store.name + ".credentials")
    return Path("calldata-demo.credentials")


def _kept(path: Path) -> demo_accounts.DemoAccounts | None:
    """The credentials the last run printed, if their file is there and readable."""
    try:
        return msgspec.json.decode(path.read_bytes(), type=demo_accounts.DemoAccounts)
    except (OSError, msgspec.DecodeError):
        return None


def _keep(path: Path, made: demo_accounts.DemoAccounts) -> None:
    """Write the credentials where only their owner can read them (mode 0600), replacing the file whole."""
    part = path.with_name(path.name + ".part")
    part.unlink(missing_ok=True)
    descriptor = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "wb") as stream:
        stream.write(msgspec.json.encode(made))
    os.replace(part, path)


def accounts(engine: Engine, settings: Settings, company: str, kept: Path) -> list[str]:
    """The demo accounts (see calldata.auth.demo_accounts), the same as last run while the file
    `kept` holds credentials that still work, and the lines to print about them."""
    with engine.begin() as conn:
        made = demo_accounts.ensure(conn, settings, company, _kept(kept))
    _keep(kept, made)
    return [*demo_accounts.instructions(made, base_url(settings)), "",
            f"(these credentials are kept in {kept}, readable only by you: the next run prints them again)"]


def base_url(settings: Settings) -> str:
    host = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else settings.host
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{settings.port}"
