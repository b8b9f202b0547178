"""The console's routes: login, logout, the call browser (/calls), the call view (/calls/{call}), reports and statements."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncEngine
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from calldata.auth.authenticate import Authenticator
from calldata.auth.permissions import Identity
from calldata.calls.browse import DIRECTIONS, OUTCOME_CHOICES, CallPage, page as call_page
from calldata.console import admin, calls_csv, csrf, dashboard, queues, reports, statements
from calldata.reports.kept import KeptDays
from calldata.console.call_view import view
from calldata.console.companies import company_choices
from calldata.console.filters import SIZES, parse, show_cursor
from calldata.console.render import page
from calldata.console.signin import Gate

STATIC = Path(__file__).parent / "static"
MAX_CALL_ID = 128


def routes(engine: AsyncEngine, reader: AsyncEngine, authenticator: Authenticator,
           display_tz: str, kept: KeptDays) -> list[BaseRoute]:
    """The console's routes, for the API app to serve at / (the API keeps /rest/); `engine` is the
    primary's (the dashboards write their stored days), `reader` a replica's or the same; `kept`
    the reports' day tables, shared with the API."""
    gate = Gate(authenticator)
    zone = ZoneInfo(display_tz)

    def common(identity: Identity) -> dict[str, Any]:
        return {**gate.context(identity), "zone": display_tz}

    async def calls(request: Request, identity: Identity, companies: frozenset[str] | None) -> Response:
        """A page of calls, filtered as the query string says."""
        browse = parse(request.query_params, zone, companies)
        async with reader.connect() as conn:
            choices = await conn.run_sync(company_choices, companies)
            found = CallPage() if browse.problems else await conn.run_sync(
                call_page, browse.filter, companies, browse.cursor, browse.backward, browse.size, zone)
        links = {
            "before": browse.link(before=show_cursor(found.before)) if found.before else None,
            "after": browse.link(after=show_cursor(found.after)) if found.after else None,
            "search_on": browse.link(**{"before" if browse.backward else "after": show_cursor(found.searched_to)})
            if found.searched_to else None,
            "first": browse.link() if browse.cursor else None,
        }
        status = 403 if browse.forbidden else 400 if browse.problems else 200
        return page("calls.html", status, title="Calls", browse=browse, found=found, links=links,
                    companies=choices, directions=DIRECTIONS, outcomes=OUTCOME_CHOICES, sizes=SIZES,
                    **common(identity))

    async def call(request: Request, identity: Identity, companies: frozenset[str] | None) -> Response:
        """One call: its timeline, legs, amounts and recordings; 404 when the reader sees none of it."""
        call_id = request.path_params["call"]
        shown = None
        if len(call_id) <= MAX_CALL_ID and call_id.isprintable():  # no call id holds a control character (nor can PostgreSQL text)
            async with reader.connect() as conn:
                shown = await conn.run_sync(view, call_id, zone, companies)
        if shown is None:
            return page("error.html", 404, title="No such call",
                        message="There is no call with this id that you may see.", **common(identity))
        return page("call.html", title=f"Call {call_id}", view=shown,
                    **common(identity))

    async def home(_request: Request) -> Response:
        return RedirectResponse("/calls", 303)

    pages = [("/", home, "GET"), ("/login", gate.show_login, "GET"), ("/login", gate.login, "POST"),
             ("/logout", gate.logout, "POST"), ("/calls", gate.page(calls), "GET"),
             ("/calls.csv", gate.page(calls_csv.route(reader, display_tz, common)), "GET"),
             ("/calls/{call:path}", gate.page(call), "GET")]
    # HTML pages, not API operations: left out of /openapi.json
    return [*(Route(path, endpoint, methods=[method], include_in_schema=False) for path, endpoint, method in pages),
            *statements.routes(reader, gate, display_tz), *reports.routes(reader, gate, display_tz, kept, engine),
            *admin.routes(gate, common, zone), *dashboard.routes(gate, common, engine, reader, zone),
            *queues.routes(reader, gate, common, display_tz),
            Mount("/static", StaticFiles(directory=STATIC), name="static")]
