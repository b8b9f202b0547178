"""The ingester's configuration: a YAML list of sources, each turned into a `Source`.

```yaml
sources:
  - {kind: table, name: pbx-db, url: "postgresql://asterisk@pbx/asterisk", table: cdr}
  - {kind: ami, name: pbx-ami, host: pbx, username: calldata, secret: "..."}
  - {kind: file, name: pbx-csv, path: /var/log/asterisk/cdr-csv/Master.csv}
  - {kind: queue_log_file, name: pbx-queues, path: /var/log/asterisk/queue_log}
  - {kind: queue_log_table, name: pbx-queues-db, url: "postgresql://asterisk@pbx/asterisk", table: queue_log}
```
"""

from __future__ import annotations

from datetime import tzinfo
from pathlib import Path

import msgspec

from calldata.ingest.source import Source, zone


class _Base(msgspec.Struct, kw_only=True, forbid_unknown_fields=True, tag_field="kind"):
    name: str
    timezone: str = "UTC"  # zone of times written without an offset


class TableConfig(_Base, kw_only=True, tag="table"):
    url: str
    table: str = "cdr"
    key: str = "auto"  # serial key column; "none" to follow by calldate
    batch_size: int = 2000
    poll_seconds: float = 1.0
    gap_wait: float = 60.0
    lookback: float = 7200.0


class FileConfig(_Base, kw_only=True, tag="file"):
    path: str
    layout: str = "auto"
    batch_size: int = 2000
    poll_seconds: float = 0.25


class AmiConfig(_Base, kw_only=True, tag="ami"):
    host: str = "127.0.0.1"
    port: int = 5038
    username: str
    secret: str
    keepalive: float = 20.0
    timeout: float = 10.0
    batch_size: int = 500
    event_filter: bool = False  # also send Action: Filter (needs the `system` privilege)


class QueueLogFileConfig(_Base, kw_only=True, tag="queue_log_file"):
    path: str
    batch_size: int = 2000
    poll_seconds: float = 0.25


class QueueLogTableConfig(_Base, kw_only=True, tag="queue_log_table"):
    url: str
    table: str = "queue_log"
    key: str = "auto"  # the serial key column (Asterisk's alembic: id)
    batch_size: int = 2000
    poll_seconds: float = 1.0
    gap_wait: float = 60.0


SourceConfig = TableConfig | FileConfig | AmiConfig | QueueLogFileConfig | QueueLogTableConfig


class IngestConfig(msgspec.Struct, forbid_unknown_fields=True):
    sources: list[SourceConfig]


def load_config(path: Path) -> IngestConfig:
    """Read and validate a sources file; errors name the bad key."""
    try:
        config = msgspec.yaml.decode(path.read_bytes(), type=IngestConfig)
    except msgspec.ValidationError as exc:
        raise ValueError(f"{path}: {exc}") from None
    names = [s.name for s in config.sources]
    if len(names) != len(set(names)):
        raise ValueError(f"{path}: source names must be unique")
    return config


def build(config: SourceConfig) -> Source:
    """The source a configuration entry describes."""
    tz = zone(config.timezone)
    if isinstance(config, QueueLogFileConfig | QueueLogTableConfig):
        return _queue_log(config, tz)
    if isinstance(config, TableConfig):
        from calldata.ingest.table import TableSource

        return TableSource(
            config.name,
            config.url,
            table=config.table,
            key=config.key,
            zone=tz,
            batch_size=config.batch_size,
            poll_seconds=config.poll_seconds,
            gap_wait=config.gap_wait,
            lookback=config.lookback,
        )
    if isinstance(config, FileConfig):
        from calldata.ingest.follow import CsvLines, FileSource

        return FileSource(
            config.name,
            Path(config.path),
            CsvLines(tz, config.layout),
            batch_size=config.batch_size,
            poll_seconds=config.poll_seconds,
        )
    from calldata.ingest.ami import AmiSource

    return AmiSource(
        config.name,
        config.host,
        config.port,
        config.username,
        config.secret,
        zone=tz,
        keepalive=config.keepalive,
        timeout=config.timeout,
        batch_size=config.batch_size,
        event_filter=config.event_filter,
    )


def _queue_log(config: QueueLogFileConfig | QueueLogTableConfig, tz: tzinfo) -> Source:
    """A queue_log source: the file followed, or the realtime table by its key."""
    if isinstance(config, QueueLogFileConfig):
        from calldata.ingest.follow import FileSource
        from calldata.ingest.queuelog import QueueLogLines

        return FileSource(config.name, Path(config.path), QueueLogLines(), batch_size=config.batch_size,
                          poll_seconds=config.poll_seconds)
    from calldata.ingest.queuetable import QueueRows
    from calldata.ingest.table import TableSource

    return TableSource(config.name, config.url, table=config.table, key=config.key, zone=tz,
                       batch_size=config.batch_size, poll_seconds=config.poll_seconds, gap_wait=config.gap_wait,
                       rows=QueueRows)
