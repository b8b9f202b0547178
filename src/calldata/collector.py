"""Python's cyclic garbage collector paused while work makes many objects that form no cycles."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def paused() -> Iterator[None]:
    """Pause the cyclic collector for the block.

    Deciding a batch of legs, or decoding a month's day tables, allocates many small lists, tuples
    and dicts, none of which form reference cycles (reference counting frees them all), yet every
    700 allocations the collector scans the young objects and, as the results pile up, the older
    ones: a quarter of the decision's time on 200,000 rows, two thirds of decoding a month's stored
    days. Left as it was when the caller (or another thread) had already paused it.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()
