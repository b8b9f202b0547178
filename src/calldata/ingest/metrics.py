"""The ingest figures in Prometheus form, read from the store so any process can serve them.

The ingester may run in its own process; its counters live in the `ingest_source` rows it
commits with each batch, so GET /metrics of `calldata serve` shows them without sharing memory.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import Engine

from calldata.ingest import checkpoints


class IngestCollector(Collector):
    """Per-source rows ingested, duplicates recognised, quarantined, keys given up, reconnects, lag."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def collect(self) -> Iterator[Metric]:
        with self.engine.connect() as conn:
            states = checkpoints.listing(conn)
        now = datetime.now(UTC)
        labels = ["source", "kind"]
        rows = CounterMetricFamily("calldata_ingest_rows", "Rows stored from the source (CDRs, or queue_log events for the queue_log kinds)", labels=labels)
        present = CounterMetricFamily(
            "calldata_ingest_duplicates", "Records already stored (same natural key) when the source offered them", labels=labels
        )
        quarantined = CounterMetricFamily("calldata_ingest_quarantined", "Records sent to the quarantine", labels=labels)
        given_up = CounterMetricFamily(
            "calldata_ingest_keys_given_up", "Skipped keys of a table no longer waited for (gap_wait of polling passed)", labels=labels
        )
        reconnects = CounterMetricFamily("calldata_ingest_reconnects", "Connections to the source re-established", labels=labels)
        lag = GaugeMetricFamily("calldata_ingest_lag_seconds", "Now minus the newest calldate (queue_log: event time) stored from the source", labels=labels)
        age = GaugeMetricFamily(
            "calldata_ingest_checkpoint_age_seconds", "Seconds since the source's checkpoint or error was last written", labels=labels
        )
        for s in states:
            key = [s.name, s.kind]
            rows.add_metric(key, s.inserted)
            present.add_metric(key, s.present)
            quarantined.add_metric(key, s.quarantined)
            given_up.add_metric(key, s.given_up)
            reconnects.add_metric(key, s.reconnects)
            if (value := s.lag_seconds(now)) is not None:
                lag.add_metric(key, value)
            age.add_metric(key, (now - s.updated_at).total_seconds())
        yield from (rows, present, quarantined, given_up, reconnects, lag, age)
