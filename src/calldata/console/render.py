"""Rendering the console's pages: the Jinja2 environment and the headers every page carries."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse

_TEMPLATES = Environment(loader=PackageLoader("calldata.console", "templates"),
                         autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def duration(seconds: int | None) -> str:
    """Seconds as m:ss (h:mm:ss from an hour on)."""
    if seconds is None:
        return ""
    hours, rest = divmod(int(seconds), 3600)
    return f"{hours}:{rest // 60:02d}:{rest % 60:02d}" if hours else f"{rest // 60}:{rest % 60:02d}"


def micros(amount: int) -> str:
    """An amount in millionths (calldata.rating.money) as decimal text to the cent, or finer when it has more."""
    text = f"{Decimal(amount).scaleb(-6).quantize(Decimal('0.0001')):f}"
    return text[:-2] if text.endswith("00") else text.rstrip("0")


def events(call: dict[str, Any]) -> str:
    """What happened on a call, in a few words: its transfers (who to whom), parks, pickups..., then
    its queue stays with their outcomes (the call list's Events column, and its CSV's)."""
    said = [e["type"] + (f" {e['by']}→{e['to']}" if e["type"] == "transfer" else "") for e in call["events"]]
    return ", ".join(said + [f"queue {q['queue']} ({q['outcome']})" for q in call["queue"]])


def safe_name(name: str) -> str:
    """A file name for Content-Disposition: the reader's text goes into it, so only safe characters pass."""
    return "".join(c if c.isascii() and (c.isalnum() or c in "-_.") else "_" for c in name)


_TEMPLATES.filters["duration"] = duration
_TEMPLATES.filters["micros"] = micros
_TEMPLATES.filters["events"] = events
# Only our own files, no inline script; no framing (clickjacking); our own URLs leak no path.
HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; form-action 'self'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def compile_all() -> None:
    """Compile every template now (`calldata serve` at start; 10-20 ms each), not at its page's first view."""
    for name in _TEMPLATES.list_templates(extensions=["html"]):
        _TEMPLATES.get_template(name)


def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """The template rendered with `context`, as an HTML response with the console's headers."""
    return HTMLResponse(_TEMPLATES.get_template(template).render(**context), status_code=status, headers=HEADERS)
