"""Hand-made sample records and files for the CSV importer's tests."""

from __future__ import annotations

from pathlib import Path

from recordings import STORIES

DATA = Path(__file__).resolve().parent / "data"

# A real cdr_csv row (21 columns, story 16 of asterisk-real), as Asterisk wrote it.
GOOD = (
    '"acme","201","202","acme","""Alice"" <201>","IAX2/acme-201-11087","IAX2/acme-202-1304","Dial",'
    '"IAX2/acme-202,20,tTkKb(predial-device^s^1(acme,1))","2026-11-29 02:07:38","2026-11-29 02:07:40",'
    '"2026-11-29 02:07:44",6,4,"ANSWERED","DOCUMENTATION","1795918058.63","","acme","1795918058.63",47'
)


def fields(line: str = GOOD) -> list[str]:
    """The line split at its commas outside quotes (enough for GOOD, whose commas in quotes are
    only in lastdata, index 8)."""
    head, lastdata, tail = line.partition('"IAX2/acme-202,20,tTkKb(predial-device^s^1(acme,1))"')
    return head.rstrip(",").split(",") + [lastdata] + tail.lstrip(",").split(",")


def with_field(index: int, value: str, **more: str) -> str:
    """GOOD with field `index` written as `value` (as given, quotes and all), and any more
    fields given as f<index>=value."""
    parts = fields()
    parts[index] = value
    for key, text in more.items():
        parts[int(key.removeprefix("f"))] = text
    return ",".join(parts)


def asterisk_quote(value: str) -> str:
    """How cdr_csv writes a string field: in quotes, with quotes doubled."""
    return '"' + value.replace('"', '""') + '"'



def story_files(run: Path = STORIES) -> list[Path]:
    """Every recorded story's Master.csv of a run, and all/Master.csv (every story together)."""
    return sorted(run.glob("*/Master.csv"))
