"""The System-Admin pages: users and their grants, API keys (a new key shown once), the audit log,
and the attribution coverage report with what to add to the directory.

Every change goes through auth/ (users, keys), which writes the audit log; this module only turns
a CSRF-checked form into one of those calls, on the primary, and a page back. After a change
the page is fetched again (POST, redirect, GET) so a reload repeats nothing, except a new key:
that page is the only place the key is ever shown.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import Connection
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from calldata.auth import audit, keys, users
from calldata.auth.permissions import PERMISSIONS, SYSTEM_ADMIN, GrantError, Identity
from calldata.console.render import page
from calldata.console.signin import Gate, Page
from calldata.coverage.report import coverage
from calldata.store.retry import transaction

AUDIT_ROWS = (50, 200, 1000)
COVERAGE_TOP = (10, 25, 100)
COVERAGE_DAYS = 30  # the attribution page's default window
MAX_KEY_DAYS = 3650
# What the page says after a change, by the code the redirect carries (never text from the URL).
DONE = {
    "added": "User {login} added.", "password": "Password of {login} changed; their sessions ended.",
    "disabled": "{login} disabled: their sessions ended and their keys stop working.",
    "enabled": "{login} enabled.", "granted": "Granted to {login}.", "revoked": "Taken back from {login}.",
    "key-revoked": "Key revoked: it stops working at once.",
}
USER_DONE = {"add": "added", "password": "password", "disable": "disabled", "enable": "enabled",
             "grant": "granted", "revoke": "revoked"}
Change = Callable[[Connection, dict[str, str], str], str]  # (conn, form, actor) -> the DONE code


def _companies(text: str) -> list[str]:
    """A grant's companies as typed: ids separated by commas or spaces; none means system-wide."""
    return [part for part in text.replace(",", " ").split() if part]


def _password(fields: dict[str, str]) -> str:
    password = fields.get("password", "")
    if not password:
        raise users.AccountError("password: must not be empty")
    if password != fields.get("again", ""):
        raise users.AccountError("password: the two entries differ")
    return password


def user_change(profile: str) -> Change:
    """The users page's forms, by their `action`."""

    def change(conn: Connection, fields: dict[str, str], actor: str) -> str:
        action, login = fields.get("action", ""), fields.get("login", "").strip()
        if action == "add":
            users.add_user(conn, login, _password(fields), name=fields.get("name", "").strip(),
                           home=fields.get("home", "").strip(), profile=profile, actor=actor)
        elif action == "password":
            users.set_password(conn, login, _password(fields), profile=profile, actor=actor)
        elif action in ("disable", "enable"):
            if action == "disable" and login == actor:
                raise users.AccountError("you cannot disable your own account here")
            users.set_disabled(conn, login, action == "disable", actor=actor)
        elif action == "grant":
            users.grant(conn, login, fields.get("permission", ""), _companies(fields.get("companies", "")),
                        actor=actor)
        elif action == "revoke":
            if not users.revoke(conn, login, fields.get("permission", ""), _companies(fields.get("companies", "")),
                                actor=actor):
                raise users.AccountError(f"{login} holds no such grant")
        else:
            raise users.AccountError(f"action {action[:40]!r}: not one of this page's")
        return USER_DONE[action]

    return change


def _key_revoke(conn: Connection, fields: dict[str, str], actor: str) -> str:
    try:
        key_id = int(fields.get("key", ""))
    except ValueError:
        raise keys.KeyProblem("key: not a key number") from None
    keys.revoke(conn, key_id, actor=actor)
    return "key-revoked"


def _new_key(conn: Connection, fields: dict[str, str], actor: str, pepper: str) -> dict[str, Any]:
    """A key for the form's user: its id and the key itself, which nothing keeps."""
    user = users.get(conn, fields.get("login", "").strip())
    days = fields.get("days", "").strip()
    if days and not (days.isascii() and days.isdigit() and 1 <= int(days) <= MAX_KEY_DAYS):
        raise keys.KeyProblem(f"expires in: a whole number of days from 1 to {MAX_KEY_DAYS}, or empty for never")
    expires = datetime.now(UTC) + timedelta(days=int(days)) if days else None
    key_id, key = keys.create(conn, user["id"], pepper=pepper, name=fields.get("name", "").strip()[:100],
                              expires_at=expires, actor=actor)
    return {"id": key_id, "key": key, "login": user["login"], "expires": expires}


PROBLEMS = (users.AccountError, GrantError, keys.KeyProblem)


def coverage_window(query: Mapping[str, str], zone: ZoneInfo) -> tuple[datetime | None, datetime | None, int]:
    """The attribution page's [since, until) in UTC from its days (in the display zone), and `top`.

    Raises ValueError naming the field."""
    bounds: list[datetime | None] = []
    for field, extra in (("from", 0), ("to", 1)):  # `to` is the last day shown, included
        text = query.get(field, "").strip()
        try:
            day = date.fromisoformat(text) + timedelta(days=extra) if text else None
        except (ValueError, OverflowError):
            raise ValueError(f"{field}: a day as YYYY-MM-DD, got {text[:40]!r}") from None
        bounds.append(None if day is None else datetime.combine(day, time(), zone).astimezone(UTC))
    since, until = bounds
    if since is not None and until is not None and since >= until:
        raise ValueError("to: the last day comes before the first")
    top = query.get("top", str(COVERAGE_TOP[0]))
    if top not in {str(n) for n in COVERAGE_TOP}:
        raise ValueError(f"top: one of {', '.join(map(str, COVERAGE_TOP))}")
    return since, until, int(top)


def routes(gate: Gate, common: Callable[[Identity], dict[str, Any]], zone: ZoneInfo) -> list[Route]:
    """/admin/users, /admin/keys, /admin/audit and /admin/attribution, for System-Admin only."""
    engine = gate.authenticator.engine  # changes and what they show come from the primary
    settings = gate.authenticator.settings

    def admin_only(handler: Page) -> Callable[[Request], Awaitable[Response]]:
        async def checked(request: Request, identity: Identity, companies: frozenset[str] | None) -> Response:
            if not identity.holds(SYSTEM_ADMIN):
                return page("error.html", 403, title="Not allowed",
                            message=f"These pages are for {SYSTEM_ADMIN} only.", **common(identity))
            return await handler(request, identity, companies)

        return gate.page(checked)

    async def read(work: Callable[[Connection], Any]) -> Any:
        return await run_in_threadpool(transaction, engine, work)

    def users_page(identity: Identity, status: int = 200, problem: str = "", done: str = "") -> Awaitable[Response]:
        async def render() -> Response:
            shown = await read(users.listing)
            return page("admin_users.html", status, title="Users", users=shown, permissions=PERMISSIONS,
                        problem=problem, done=done, **common(identity))

        return render()

    def keys_page(identity: Identity, status: int = 200, problem: str = "", done: str = "",
                  created: dict[str, Any] | None = None) -> Awaitable[Response]:
        async def render() -> Response:
            shown, logins = await read(lambda conn: (keys.listing(conn), [u["login"] for u in users.listing(conn)]))
            return page("admin_keys.html", status, title="API keys", keys=shown, logins=logins,
                        problem=problem, done=done, created=created, **common(identity))

        return render()

    def said(request: Request) -> str:
        template = DONE.get(request.query_params.get("done", ""))
        return template.format(login=request.query_params.get("login", "")[:64]) if template else ""

    async def show_users(request: Request, identity: Identity, _companies: frozenset[str] | None) -> Response:
        return await users_page(identity, done=said(request))

    async def show_keys(request: Request, identity: Identity, _companies: frozenset[str] | None) -> Response:
        return await keys_page(identity, done=said(request))

    def posted(change: Change, where: str,
               again: Callable[..., Awaitable[Response]]) -> Callable[[Request], Awaitable[Response]]:
        """A form of the page at `where`: CSRF-checked, done in one transaction, then shown again."""

        async def handler(request: Request, identity: Identity, _companies: frozenset[str] | None) -> Response:
            fields = await gate.checked_form(request)
            if fields is None:
                return gate.refused(identity)
            try:
                code = await read(lambda conn: change(conn, fields, identity.login))
            except PROBLEMS as problem:
                return await again(identity, 400, problem=str(problem))
            query = {"done": code, **({"login": fields["login"]} if fields.get("login") else {})}
            return RedirectResponse(f"{where}?{urlencode(query)}", 303)

        return admin_only(handler)

    async def create_key(request: Request, identity: Identity, _companies: frozenset[str] | None) -> Response:
        """A new key, shown on this answer only (no-store: the browser keeps no copy)."""
        fields = await gate.checked_form(request)
        if fields is None:
            return gate.refused(identity)
        try:
            created = await read(lambda conn: _new_key(conn, fields, identity.login, settings.token_pepper))
        except PROBLEMS as problem:
            return await keys_page(identity, 400, problem=str(problem))
        return await keys_page(identity, created=created)

    async def show_audit(request: Request, identity: Identity, _companies: frozenset[str] | None) -> Response:
        login = request.query_params.get("login", "").strip()[:200] or None
        try:
            rows = int(request.query_params.get("rows", AUDIT_ROWS[0]))
        except ValueError:
            rows = 0
        if rows not in AUDIT_ROWS:
            return page("error.html", 400, title="Audit log",
                        message=f"rows: one of {', '.join(map(str, AUDIT_ROWS))}", **common(identity))
        entries = await read(lambda conn: audit.listing(conn, login, rows))
        return page("admin_audit.html", title="Audit log", entries=entries, login=login or "", rows=rows,
                    choices=AUDIT_ROWS, **common(identity))

    async def show_coverage(request: Request, identity: Identity, _companies: frozenset[str] | None) -> Response:
        """The attribution coverage report (`calldata attribution report`), with what to add to the directory."""
        query = dict(request.query_params)
        if not {"from", "to", "all"} & set(query):  # the last 30 days unless asked
            query["from"] = (datetime.now(zone).date() - timedelta(days=COVERAGE_DAYS - 1)).isoformat()
        try:
            since, until, top = coverage_window(query, zone)
        except ValueError as problem:
            return page("admin_attribution.html", 400, title="Attribution", report=None, problem=str(problem),
                        form=query, tops=COVERAGE_TOP, **common(identity))
        report = await read(lambda conn: coverage(conn, since, until, top))  # stored days: on the primary
        return page("admin_attribution.html", title="Attribution", report=report, problem="",
                    form=query, tops=COVERAGE_TOP, **common(identity))

    change_user = user_change(settings.password_hash_profile)
    return [
        Route("/admin/users", admin_only(show_users), methods=["GET"], include_in_schema=False),
        Route("/admin/users", posted(change_user, "/admin/users", users_page), methods=["POST"],
              include_in_schema=False),
        Route("/admin/keys", admin_only(show_keys), methods=["GET"], include_in_schema=False),
        Route("/admin/keys", admin_only(create_key), methods=["POST"], include_in_schema=False),
        Route("/admin/keys/revoke", posted(_key_revoke, "/admin/keys", keys_page), methods=["POST"],
              include_in_schema=False),
        Route("/admin/audit", admin_only(show_audit), methods=["GET"], include_in_schema=False),
        Route("/admin/attribution", admin_only(show_coverage), methods=["GET"], include_in_schema=False),
    ]
