"""A statement as CSV (for a spreadsheet or a billing system) or printable HTML (Jinja2 templates
in templates/, their CSS inline: no CDN, nothing fetched, so it prints the same offline)."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from calldata.statements.build import Statement
from calldata.statements.carriers import Carrier

_TEMPLATES = Environment(loader=PackageLoader("calldata.statements", "templates"),
                         autoescape=select_autoescape(["html"]), trim_blocks=True, lstrip_blocks=True)


def _csv(rows: Sequence[Sequence[Any]]) -> str:
    """RFC 4180 as the exports write it (Python's csv module, CRLF line ends)."""
    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue()


def statement_csv(built: Statement) -> str:
    """One row per destination, extension, then the calls without a price and the total per currency."""
    rows: list[Sequence[Any]] = [("section", "key", "name", "currency", "calls", "minutes", "amount")]
    rows += [("destination", line.key, "", line.currency, line.calls, line.minutes, line.amount)
             for line in built.destinations]
    rows += [("extension", line.key, built.names.get(line.key, ""), line.currency, line.calls, line.minutes,
              line.amount) for line in built.extensions]
    rows.append(("unpriced", "", "", "", built.unpriced.calls, built.unpriced.minutes, ""))
    rows += [("total", "", "", line.currency, line.calls, line.minutes, line.amount) for line in built.totals]
    return _csv(rows)


def statement_html(built: Statement, made: datetime) -> str:
    return _TEMPLATES.get_template("statement.html").render(s=built, made=made)


def per_currency(carrier: Carrier) -> list[tuple[str, Decimal | None, Decimal | None, Decimal | None]]:
    """(currency, cost, price, margin) for each currency the trunk's calls were costed or priced in."""
    cost, price, margin = carrier.cost.shown(), carrier.price.shown(), carrier.margin
    return [(currency, cost.get(currency), price.get(currency), margin.get(currency))
            for currency in sorted({*cost, *price})] or [("", None, None, None)]


def carriers_csv(found: Sequence[Carrier]) -> str:
    """One row per trunk and currency; an empty amount is one not known (see Carrier.margin)."""
    rows: list[Sequence[Any]] = [("trunk", "calls", "minutes", "uncosted", "unpriced", "currency", "cost", "price",
                                  "margin")]
    for carrier in found:
        for currency, cost, price, margin in per_currency(carrier):
            rows.append((carrier.trunk, carrier.calls, carrier.minutes, carrier.uncosted, carrier.unpriced, currency,
                         "" if cost is None else cost, "" if price is None else price,
                         "" if margin is None else margin))
    return _csv(rows)


def carriers_html(month: str, zone: str, found: Sequence[Carrier], made: datetime) -> str:
    rows = [(carrier, per_currency(carrier)) for carrier in found]
    return _TEMPLATES.get_template("carriers.html").render(month=month, zone=zone, rows=rows, made=made)
