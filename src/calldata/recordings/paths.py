"""A recording's name as a client gives it -> a file inside the recordings directory, or a refusal.

Names are relative "/"-separated paths as the scan stores them. Anything that could reach outside
the directory is refused before the disk is touched (absolute paths, `..` also when
percent-encoded, backslashes, NUL), and a link that leads outside is refused when resolved.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote

MAX_NAME = 1024  # characters; MixMonitor's names are far shorter


class UnsafePath(ValueError):
    """A name that could lead outside the recordings directory; the message says how."""


def _problem(name: str) -> str | None:
    if not name:
        return "empty"
    if len(name) > MAX_NAME:
        return f"longer than {MAX_NAME} characters"
    if "\x00" in name:
        return "contains a NUL character"
    try:
        name.encode()
    except UnicodeEncodeError:
        return "is not valid text (a lone surrogate)"
    if not name.isprintable():
        return "contains a control character"
    if "\\" in name:
        return "contains a backslash"
    if name.startswith("/"):
        return "is an absolute path"
    parts = name.split("/")
    if ".." in parts:
        return "leaves the directory (..)"
    if any(part in ("", ".") for part in parts):
        return "has an empty or '.' segment"
    return None


def checked_name(name: str) -> str:
    """`name` when it is a plain relative path, also once percent-decoded (a client or proxy that
    decodes it again must not find `..` in it); UnsafePath otherwise."""
    for form in dict.fromkeys((name, unquote(name), unquote(unquote(name)))):
        if (problem := _problem(form)) is not None:
            encoded = "" if form == name else " once percent-decoded"
            raise UnsafePath(f"{problem}{encoded}")
    return name


def resolved(root: Path, name: str) -> Path | None:
    """The real path of `checked_name(name)` under `root`; None when there is no such file;
    UnsafePath when a link takes it outside `root`."""
    base = root.resolve()
    try:
        real = (base / checked_name(name)).resolve(strict=True)
    except OSError:  # no such file, a folder of that name missing, a segment too long for the disk
        return None
    if not real.is_relative_to(base):
        raise UnsafePath("leads outside the recordings directory through a link")
    return real if real.is_file() else None
