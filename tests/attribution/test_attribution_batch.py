"""Deciding a batch is deciding each of its calls: the batch-level shortcuts (single-leg calls
without per-call lists, the paused garbage collector) change nothing but the time taken."""

from __future__ import annotations

import gc
from datetime import UTC, datetime

import pytest
from legs import leg
from stories import DIRECTORY_YAML

from calldata.attribution.directory import load_directory
from calldata.attribution.lookup import Lookup
from calldata.attribution.properties import decide
from calldata.demo.generator import generate

START = datetime(2026, 11, 2, tzinfo=UTC)


def test_a_batch_decides_every_call_as_that_call_alone(world: Lookup) -> None:
    rows = list(generate(load_directory(DIRECTORY_YAML), rows=3000, seed=5, start=START))
    call_of, props = decide(rows, world)
    by_call: dict[str, list[int]] = {}
    for i, call_id in enumerate(call_of):
        by_call.setdefault(call_id, []).append(i)
    assert any(len(indices) == 1 for indices in by_call.values())
    assert any(len(indices) > 2 for indices in by_call.values())
    for call_id, indices in by_call.items():
        alone_calls, alone_props = decide([rows[i] for i in indices], world)
        assert alone_calls == [call_id] * len(indices)
        assert alone_props == [props[i] for i in indices], call_id


@pytest.mark.parametrize("enabled", [True, False])
def test_decide_leaves_the_garbage_collector_as_it_found_it(world: Lookup, enabled: bool) -> None:
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        decide([leg(channel="IAX2/acme-201-1", dstchannel="IAX2/acme-202-2", dst="202", dcontext="acme",
                    linkedid="1.1")], world)
        assert gc.isenabled() is enabled
        with pytest.raises(AttributeError):
            decide([object()], world)  # type: ignore[list-item]
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()
