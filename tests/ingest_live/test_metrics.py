"""`calldata serve --ingest` runs the ingester in-process; GET /metrics and `ingest status` show its figures."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import Engine

from livesupport import PbxTable, synthetic_rows, wait_for


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _metrics(port: int) -> dict[tuple[str, str], float]:
    try:
        body = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5).text
    except httpx.HTTPError:
        return {}
    return {
        (sample.name, sample.labels.get("source", "")): sample.value
        for family in text_string_to_metric_families(body)
        for sample in family.samples
    }


@pytest.mark.parametrize("pbx_table", ["postgresql"], indirect=True)
def test_serve_with_ingest_exposes_metrics(engine: Engine, store_url: str, pbx_table: PbxTable, tmp_path: Path) -> None:
    rows = synthetic_rows(40)
    rows[7]["disposition"] = "EXPLODED"
    pbx_table.insert(rows)
    config = tmp_path / "sources.yaml"
    config.write_text(
        f'sources:\n  - {{kind: table, name: pbx-db, url: "{pbx_table.url}", table: {pbx_table.name}, poll_seconds: 0.1}}\n'
    )
    port = _free_port()
    cli = [sys.executable, "-m", "calldata", "--database-url", store_url]
    proc = subprocess.Popen(
        [*cli, "serve", "--port", str(port), "--no-access-log", "--ingest", str(config)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        assert wait_for(lambda: _metrics(port).get(("calldata_ingest_rows_total", "pbx-db")) == 39, timeout=30)
        metrics = _metrics(port)
        assert metrics[("calldata_ingest_quarantined_total", "pbx-db")] == 1
        assert metrics[("calldata_ingest_reconnects_total", "pbx-db")] == 0
        assert metrics[("calldata_ingest_lag_seconds", "pbx-db")] > 0
    finally:
        proc.terminate()
        _, err = proc.communicate(timeout=30)
    assert proc.returncode in (0, -15), err.decode()[-2000:]  # uvicorn re-raises SIGTERM once shut down
    status = subprocess.run([*cli, "ingest", "status"], capture_output=True, text=True, check=True,
                            env={**os.environ, "COLUMNS": "80"}).stdout  # too narrow for the table: one line per figure
    for name, value in (("source", "pbx-db"), ("kind", "table"), ("ingested", "39"), ("already present", "0"),
                        ("quarantined", "1"), ("reconnects", "0")):
        assert re.search(rf"^{name}\s+{value}\s*$", status, re.MULTILINE), status
