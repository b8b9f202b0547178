"""The AMI source against a real TCP server speaking the manager protocol."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from datetime import UTC

import pytest
from sqlalchemy import Engine, select

from calldata.ingest import checkpoints
from calldata.ingest.ami import AmiSource, cdr_from_event, parse_message
from calldata.ingest.runner import Runner
from calldata.ingest.source import SourceUnavailable
from calldata.store.schema import quarantine

from amiserver import AmiServer, event_blocks
from livesupport import STORIES_DIR, STORY_NAMES, all_story_rows, expected_key, stored_count, stored_keys, wait_for

BLOCKS = [b for story in STORY_NAMES for b in event_blocks(STORIES_DIR / story / "ami.txt")]


def with_header(block: bytes, name: bytes, value: bytes) -> bytes:
    """The event with one header's value replaced."""
    lines = block.split(b"\r\n")
    out = [name + b": " + value if line.startswith(name + b":") else line for line in lines]
    assert out != lines
    return b"\r\n".join(out)


def _source(server: AmiServer, **kw) -> AmiSource:
    kw.setdefault("keepalive", 5.0)
    kw.setdefault("timeout", 2.0)
    return AmiSource("pbx-ami", "127.0.0.1", server.port, "calldata", "s3cret", zone=UTC, **kw)


@contextlib.contextmanager
def running(engine: Engine, *sources) -> Iterator[Runner]:  # type: ignore[no-untyped-def]
    runner = Runner(engine, list(sources), wait=0.2)
    runner.start()
    try:
        yield runner
    finally:
        runner.stop.set()
        runner.join(10)


def _counter(engine: Engine, name: str) -> int:
    """One of the AMI source's committed counters (0 before its first checkpoint)."""
    with engine.connect() as conn:
        state = checkpoints.load(conn, "pbx-ami")
    return 0 if state is None else getattr(state, name)


def test_recorded_events_are_stored_exactly(engine: Engine) -> None:
    with AmiServer() as server, running(engine, _source(server, event_filter=True)):
        assert server.logged_in.wait(10)
        server.send(*BLOCKS)
        assert wait_for(lambda: stored_count(engine) >= len(BLOCKS))
    assert server.filters == ["Event: Cdr"]
    assert stored_keys(engine) == [expected_key(r) for r in all_story_rows()]


def test_events_queued_across_a_dropped_connection_are_stored_once(engine: Engine) -> None:
    with AmiServer() as server, running(engine, _source(server)):
        assert server.logged_in.wait(10)
        server.send(*BLOCKS[:10])
        server.drop()
        server.send(*BLOCKS[10:])  # delivered to the next session
        assert wait_for(lambda: stored_count(engine) >= len(BLOCKS))
        assert wait_for(lambda: _counter(engine, "reconnects") >= 1)
    assert server.logins == 2
    assert stored_keys(engine) == [expected_key(r) for r in all_story_rows()]


def test_an_event_cut_off_by_the_drop_is_quarantined(engine: Engine) -> None:
    with AmiServer() as server, running(engine, _source(server)):
        assert server.logged_in.wait(10)
        server.send(*BLOCKS[:5])
        server.drop_inside_next_event()
        server.send(BLOCKS[5])
        server.send(*BLOCKS[6:])
        assert wait_for(lambda: stored_count(engine) >= len(BLOCKS) - 1)
        assert wait_for(lambda: _counter(engine, "quarantined") == 1)
    with engine.connect() as conn:
        (reason, raw), = conn.execute(select(quarantine.c.reason, quarantine.c.raw)).all()
    assert "middle of this event" in reason and raw.startswith("Event: Cdr")
    expected = [expected_key(r) for i, r in enumerate(all_story_rows()) if i != 5]
    assert stored_keys(engine) == expected


def test_a_silent_server_is_noticed_by_the_keep_alive(engine: Engine) -> None:
    with AmiServer() as server, running(engine, _source(server, keepalive=0.2, timeout=0.5)):
        assert server.logged_in.wait(10)
        assert wait_for(lambda: server.pings >= 2)
        server.silent = True
        assert wait_for(lambda: not server.logged_in.is_set(), timeout=10)  # the client hung up
        server.silent = False
        assert wait_for(lambda: server.logins >= 2, timeout=15)
        server.send(*BLOCKS[:3])
        assert wait_for(lambda: stored_count(engine) == 3)
        assert wait_for(lambda: _counter(engine, "reconnects") >= 1)


def test_wrong_secret_is_retried_not_fatal(engine: Engine) -> None:
    with AmiServer(secret="other") as server:
        source = _source(server)
        with pytest.raises(SourceUnavailable, match="login refused"):
            source.open("")
        with running(engine, source) as runner:
            assert wait_for(lambda: server.failed_logins >= 3, timeout=15)
            assert all(t.is_alive() for t in runner._threads)


def test_bad_events_are_quarantined_and_the_feed_goes_on(engine: Engine) -> None:
    bad = with_header(BLOCKS[1], b"Disposition", b"EXPLODED")
    with AmiServer() as server, running(engine, _source(server)):
        assert server.logged_in.wait(10)
        server.send(BLOCKS[0], bad, *BLOCKS[2:])
        assert wait_for(lambda: stored_count(engine) >= len(BLOCKS) - 1)
        assert wait_for(lambda: _counter(engine, "quarantined") == 1)
    with engine.connect() as conn:
        (position, reason), = conn.execute(select(quarantine.c.position, quarantine.c.reason)).all()
    assert "disposition" in reason and position.endswith("event 2")


def test_an_event_beyond_the_stores_integers_is_quarantined(engine: Engine) -> None:
    """A sequence beyond the store's 32-bit integer is refused by the parser, alike on every store."""
    huge = with_header(BLOCKS[2], b"Sequence", b"99999999999")
    with AmiServer() as server, running(engine, _source(server)):
        assert server.logged_in.wait(10)
        server.send(*BLOCKS[:2], huge, *BLOCKS[3:])
        assert wait_for(lambda: stored_count(engine) >= len(BLOCKS) - 1)
        assert wait_for(lambda: _counter(engine, "quarantined") == 1)
    with engine.connect() as conn:
        (reason,) = conn.execute(select(quarantine.c.reason)).one()
    assert reason.startswith("sequence: too large for the store")


def test_parse_event_headers() -> None:
    headers = parse_message(BLOCKS[0])
    record = cdr_from_event(headers, UTC)
    assert (record.src, record.uniqueid, record.amaflags) == (headers["source"], headers["uniqueid"], 3)
    assert record.answer is not None and record.end is not None


def test_an_event_without_the_optional_mappings() -> None:
    """cdr_manager without [mappings]: no LinkedID, Sequence or PeerAccount headers."""
    lines = [l for l in BLOCKS[0].split(b"\r\n") if not l.startswith((b"LinkedID:", b"Sequence:", b"PeerAccount:"))]
    assert len(lines) == len(BLOCKS[0].split(b"\r\n")) - 3
    record = cdr_from_event(parse_message(b"\r\n".join(lines)), UTC)
    full = cdr_from_event(parse_message(BLOCKS[0]), UTC)
    assert (record.linkedid, record.sequence, record.peeraccount) == ("", None, "")
    assert (record.uniqueid, record.start, record.channel) == (full.uniqueid, full.start, full.channel)
