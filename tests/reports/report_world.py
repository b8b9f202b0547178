"""The report tests' store: the example directory and the three recorded runs, imported and attributed."""

from __future__ import annotations

from datetime import UTC

from sqlalchemy import Engine

from calldata.attribution import versions
from calldata.ingest.importer import import_file
from recordings import DIRECTORY_YAML, RUNS


def load_world(engine: Engine, directory: str | None = None) -> None:
    """The example directory (or `directory`'s text) loaded, then every run's Master.csv imported."""
    with engine.begin() as conn:
        versions.save(conn, directory or DIRECTORY_YAML.read_text(), str(DIRECTORY_YAML))
    for run in RUNS:
        import_file(engine, run / "all" / "Master.csv", UTC)
