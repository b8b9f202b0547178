"""API keys' owners and grants kept between requests, for as long as the store says nothing changed.

A billing client sends its key with every page, and looking it up was a database round trip on
each one's critical path (bench/RESULTS.md, "API keys kept while nothing changes"). On PostgreSQL
the auth tables notify CHANNEL when a key, user or grant changes (migration 0025_auth_notify), and
a listener (calldata.store.notify) calls `changed` then: every kept key is dropped and looked up
afresh. While nothing listens (before the LISTEN is in place, after its connection is lost) the
cache is off and every request looks its key up, so a change can never be missed. Time-bound
facts (expiry) are checked at each use, on the kept rows (calldata.auth.keys.live_holder).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

# The channel migration 0025_auth_notify's triggers notify on a change to keys, users or grants.
CHANNEL = "calldata_auth"

Rows = Sequence[Any]  # keys.HOLDER's rows for one key digest


class KeyCache:
    """keys.HOLDER's rows by key digest, at most `max_keys` of them (the least recently used go).

    A lookup reads `generation` before it queries and hands it to `keep`: rows read before a
    change that was heard while they travelled are not kept.
    """

    def __init__(self, max_keys: int = 10_000) -> None:
        self.max_keys = max_keys
        self.generation = 0
        self.listening = False
        self._rows: OrderedDict[str, Rows] = OrderedDict()

    def __len__(self) -> int:
        return len(self._rows)

    def get(self, hashed: str) -> Rows | None:
        rows = self._rows.get(hashed)
        if rows is not None:
            self._rows.move_to_end(hashed)
        return rows

    def keep(self, hashed: str, rows: Rows, generation: int) -> None:
        """Keep a key's rows, read when `generation` was current, if it still is and a change would be heard."""
        if not self.listening or generation != self.generation or not rows:
            return
        self._rows[hashed] = rows
        self._rows.move_to_end(hashed)
        while len(self._rows) > self.max_keys:
            self._rows.popitem(last=False)

    def forget(self, hashed: str) -> None:
        """Drop one key's rows (its use was just written down: the kept `last_used_at` is old)."""
        self._rows.pop(hashed, None)

    def changed(self) -> None:
        """Something in the auth tables changed: drop every key, and any lookup still under way."""
        self._rows.clear()
        self.generation += 1

    def set_listening(self, listening: bool) -> None:
        """Whether a change would be heard now; either way what is kept may have missed one."""
        self.changed()
        self.listening = listening
