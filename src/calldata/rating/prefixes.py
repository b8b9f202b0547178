"""Longest-prefix lookup over one deck version: a dict per prefix, probed from the longest length.

A deck has a few thousand prefixes of a dozen lengths at most, so a number costs at most that many
dict probes (typically two or three), with no tree to walk.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from calldata.rating.deck import DeckRow

_ALWAYS = date.min


class PrefixTable:
    """The rows of one deck version by prefix, each prefix's rows newest `valid_from` first."""

    def __init__(self, rows: Iterable[DeckRow]) -> None:
        by_prefix: dict[str, list[DeckRow]] = {}
        for row in rows:
            by_prefix.setdefault(row.prefix, []).append(row)
        for found in by_prefix.values():
            found.sort(key=lambda r: (r.valid_from or _ALWAYS, r.band != ""), reverse=True)
        self._rows = by_prefix
        self._lengths = sorted({len(p) for p in by_prefix}, reverse=True)
        self.longest = self._lengths[0] if self._lengths else 0

    def __len__(self) -> int:
        return sum(len(rows) for rows in self._rows.values())

    def candidates(self, number: str) -> list[DeckRow]:
        """Every row whose prefix begins `number`, longest prefix first, each prefix's rows in
        `find`'s order; they depend only on number[:self.longest] (what the Rater caches by)."""
        size = len(number)
        found: list[DeckRow] = []
        for length in self._lengths:
            if length <= size:
                found.extend(self._rows.get(number[:length], ()))
        return found

    def find(self, number: str, day: date, band: str) -> DeckRow | None:
        """The row pricing `number` on `day` in `band`: the longest prefix with a row valid that
        day for that band or for any time; of those, the newest, a band's own before any time's."""
        size = len(number)
        for length in self._lengths:
            if length > size:
                continue
            rows = self._rows.get(number[:length])
            if rows is None:
                continue
            for row in rows:
                if (row.valid_from is None or row.valid_from <= day) and row.band in ("", band):
                    return row
        return None
