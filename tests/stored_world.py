"""A store holding the example directory and the three recorded runs, imported and attributed (the `world` fixture)."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import Engine, select

from calldata.attribution import versions
from calldata.auth import keys, users
from calldata.ingest.importer import import_file
from calldata.store.schema import cdr
from recordings import DIRECTORY_YAML, RUNS


def load_world(engine: Engine, directory: str | None = None) -> None:
    """The example directory (or `directory`'s text) loaded, then every run's Master.csv imported."""
    with engine.begin() as conn:
        versions.save(conn, directory or DIRECTORY_YAML.read_text(), str(DIRECTORY_YAML))
    for run in RUNS:
        import_file(engine, run / "all" / "Master.csv", UTC)


def key_for(engine: Engine, login: str, grants: dict[str, list[str]]) -> str:
    """An API key of a new user holding `grants` (permission -> companies; [] means system-wide)."""
    with engine.begin() as conn:
        user_id = users.add_user(conn, login, "not used by these tests", profile="CHEAPEST", actor="test")
        for permission, companies in grants.items():
            users.grant(conn, login, permission, companies, actor="test")
        _key_id, key = keys.create(conn, user_id, pepper="", actor="test")
    return key


def acctid_of(engine: Engine, uniqueid: str, dstchannel_prefix: str = "") -> list[int]:
    """The acctids of a recorded call's legs (optionally only those to a channel), in order."""
    query = select(cdr.c.acctid).where(cdr.c.uniqueid == uniqueid, cdr.c.dstchannel.startswith(dstchannel_prefix))
    with engine.connect() as conn:
        return list(conn.execute(query.order_by(cdr.c.acctid)).scalars())
