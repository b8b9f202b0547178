"""One csv reader splits a whole file's records (FieldSplitter): each record must split, or fail,
exactly as it does on a reader of its own, whatever came before it (an error, a quote left open)."""

from __future__ import annotations

import csv

from hypothesis import given
from hypothesis import strategies as st

from calldata.cdr import CdrValueError
from calldata.ingest.csvfile import FieldSplitter

_TEXT = st.text(alphabet='ab,"\n\r \x00é', max_size=12)


def _alone(text: str) -> list[str] | str:
    """What a reader of its own makes of `text`: its one row, or the error's kind."""
    if "\x00" in text:
        return "NUL"
    try:
        rows = list(csv.reader([text], strict=True))
    except csv.Error as exc:
        return "open" if "unexpected end of data" in str(exc) else f"quoting: {exc}"
    return rows[0] if len(rows) == 1 else "not one"


def _shared(split: FieldSplitter, text: str) -> list[str] | str:
    try:
        return split(text)
    except CdrValueError as exc:
        message = str(exc)
        return "NUL" if "NUL" in message else "open" if message.endswith("unterminated quoted field") else message


@given(st.lists(_TEXT, min_size=1, max_size=12))
def test_a_shared_reader_splits_each_record_as_a_reader_of_its_own(texts: list[str]) -> None:
    split = FieldSplitter()
    assert [_shared(split, text) for text in texts] == [_alone(text) for text in texts]
