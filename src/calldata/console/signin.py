"""Login and logout for the console, through the API's own Authenticator (same users, sessions,
throttling and audit as /rest/auth/), and the gate every other page passes."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qs, quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from calldata.auth.authenticate import AuthFailure, Authenticator, Credentials
from calldata.auth.permissions import Forbidden, Identity, Rule, call_read
from calldata.auth.sessions import COOKIE, secure_cookie
from calldata.console import csrf
from calldata.console.render import page
from calldata.store.retry import StoreUnavailable

MAX_FORM = 16 * 1024
SESSION = "session"  # the CSRF purpose of forms posted while logged in
LOGIN = "login"
Page = Callable[[Request, Identity, frozenset[str] | None], Awaitable[Response]]


def _address(request: Request) -> str:
    return request.client.host if request.client else ""


def _next(target: str) -> str:
    """A local path to go to after login; anything else (another site, `//host`) is the call list."""
    return target if target.startswith("/") and not target.startswith("//") and "\\" not in target else "/calls"


async def form(request: Request) -> dict[str, str]:
    """An urlencoded form body's fields (the first value of each); at most MAX_FORM bytes read."""
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_FORM:
            return {}
    fields = parse_qs(body.decode("utf-8", "replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def unavailable() -> Response:
    return page("error.html", 503, title="Store unavailable",
                message="The database cannot be reached just now; try again in a moment.")


class Gate:
    """Who the session cookie names; pages that need one redirect to the login without it."""

    def __init__(self, authenticator: Authenticator) -> None:
        self.authenticator = authenticator
        self.pepper = authenticator.settings.token_pepper

    async def identity(self, request: Request) -> Identity | None:
        token = request.cookies.get(COOKIE)
        if not token:
            return None
        try:
            return await run_in_threadpool(self.authenticator.identify, Credentials(session=token), _address(request))
        except AuthFailure:
            return None

    def session_token(self, identity: Identity) -> str:
        """The CSRF token of this session's forms (the logout button on every page)."""
        return csrf.token(self.pepper, SESSION, identity.session or "")

    def context(self, identity: Identity) -> dict[str, Any]:
        """What every logged-in page's layout needs: who, and the logout form's CSRF token."""
        return {"identity": identity, "csrf": self.session_token(identity), "csrf_field": csrf.FIELD}

    def page(self, handler: Page, rule: Rule = call_read) -> Callable[[Request], Awaitable[Response]]:
        """`handler` behind the login: with the identity and the companies `rule` (the API route's
        rule) lets it see (None: all)."""

        async def gated(request: Request) -> Response:
            try:
                identity = await self.identity(request)
            except StoreUnavailable:
                return unavailable()
            if identity is None:
                wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
                return RedirectResponse(f"/login?next={quote(wanted, safe='')}", 303)
            try:
                companies = rule(identity)
            except Forbidden as exc:
                return page("error.html", 403, title="Not allowed", message=str(exc), **self.context(identity))
            try:
                return await handler(request, identity, companies)
            except StoreUnavailable:
                return unavailable()

        return gated

    def login_form(self, request: Request, status: int = 200, message: str = "", username: str = "",
                   retry_after: int | None = None) -> Response:
        nonce = request.cookies.get(csrf.NONCE_COOKIE) or csrf.new_nonce()
        response = page("login.html", status, title="Log in", message=message, username=username,
                        next=_next(request.query_params.get("next", "/calls")),
                        csrf=csrf.token(self.pepper, LOGIN, nonce))
        response.set_cookie(csrf.NONCE_COOKIE, nonce, httponly=True, samesite="lax", path="/login",
                            secure=secure_cookie(self.authenticator.settings, request.url.scheme))
        if retry_after is not None:
            response.headers["Retry-After"] = str(retry_after)
        return response

    async def show_login(self, request: Request) -> Response:
        try:
            signed_in = await self.identity(request)
        except StoreUnavailable:
            return unavailable()
        if signed_in is not None:
            return RedirectResponse(_next(request.query_params.get("next", "/calls")), 303)
        return self.login_form(request)

    async def login(self, request: Request) -> Response:
        """Check the form's CSRF token, then the password (throttled and audited as /rest/auth/)."""
        fields = await form(request)
        username = fields.get("username", "")[:200]
        if not csrf.valid(self.pepper, LOGIN, request.cookies.get(csrf.NONCE_COOKIE), fields.get(csrf.FIELD)):
            return self.login_form(request, 403, "The form had expired; please log in again.", username)
        try:
            identity = await run_in_threadpool(
                self.authenticator.login, username, fields.get("password", ""), _address(request),
                reuse=request.cookies.get(COOKIE))
        except AuthFailure as exc:
            return self.login_form(request, exc.status, exc.message.removeprefix("auth: "), username,
                                   exc.retry_after)
        except StoreUnavailable:
            return unavailable()
        response = RedirectResponse(_next(fields.get("next", "/calls")), 303)
        response.set_cookie(COOKIE, identity.session or "", httponly=True, samesite="lax", path="/",
                            secure=secure_cookie(self.authenticator.settings, request.url.scheme))
        response.delete_cookie(csrf.NONCE_COOKIE, path="/login")
        return response

    async def checked_form(self, request: Request) -> dict[str, str] | None:
        """The posted form's fields when it carries this session's CSRF token; else None."""
        fields = await form(request)
        valid = csrf.valid(self.pepper, SESSION, request.cookies.get(COOKIE), fields.get(csrf.FIELD))
        return fields if valid else None

    def refused(self, identity: Identity | None = None) -> Response:
        """The answer to a form that failed the CSRF check."""
        shown = {"identity": identity, "csrf": self.session_token(identity)} if identity else {}
        return page("error.html", 403, title="Refused",
                    message="This form did not come from your session's page (CSRF check); nothing was done.",
                    **shown)

    async def logout(self, request: Request) -> Response:
        """End the session (audited), when the form carries this session's CSRF token."""
        token = request.cookies.get(COOKIE)
        if await self.checked_form(request) is None:
            return self.refused()
        try:
            await run_in_threadpool(self.authenticator.logout, token or "", _address(request))
        except StoreUnavailable:
            return unavailable()
        response = RedirectResponse("/login", 303)
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax",
                               secure=secure_cookie(self.authenticator.settings, request.url.scheme))
        return response
