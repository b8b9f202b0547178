"""The HTTP side of identity: POST /rest/auth/ (login), /rest/auth/logout, and the middleware that
authenticates and authorises every other /rest/ call before its handler runs.

The middleware reads and parses the JSON body once (identity may be inline in it), leaves the
parsed object in `request.state.body`, and replays the raw bytes to the handler. It also leaves
`request.state.identity` and `request.state.companies`: None when the identity may see every row,
else the set of companies whose rows it may see (the `companies` of a `PageQuery`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from sqlalchemy import Engine
from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from calldata.api.errors import ApiError, bad_request, fail
from calldata.api.scope import parse_body
from calldata.api.unavailable import unavailable
from calldata.auth.authenticate import (
    BAD_SESSION,
    NOT_AUTHENTICATED,
    AuthFailure,
    Authenticator,
    Credentials,
    credentials,
)
from calldata.auth.key_cache import CHANNEL
from calldata.auth.permissions import SYSTEM_ADMIN, Forbidden, Identity, Rule, call_read, call_report, needs
from calldata.auth.sessions import COOKIE, secure_cookie
from calldata.config import Settings
from calldata.store.asyncpg_pool import AsyncpgPool
from calldata.store.engine import sync_engine
from calldata.store.notify import Listener
from calldata.store.retry import StoreUnavailable

LOGIN_PATHS = frozenset({"/rest/auth", "/rest/auth/"})
LOGOUT_PATH = "/rest/auth/logout"
OWN_PATHS = LOGIN_PATHS | {LOGOUT_PATH}  # these check credentials themselves
MAX_BODY = 1 << 20

# What each /rest/ route needs, by its path template. A route missing here is System-Admin only,
# so a new route is closed until someone decides who may use it.
ROUTE_RULES: dict[str, Rule] = {
    "/rest/call/read": call_read,
    "/rest/call/read/{type}": call_read,
    "/rest/call/incalls": call_report,
    "/rest/call/outcalls": call_report,
    "/rest/queue/stats": call_report,
    "/rest/call/calls": call_read,
    "/rest/call/export": call_read,
    "/rest/call/list": call_read,  # recordings: whoever may read a leg may hear it
    "/rest/call/download/recording": call_read,
}
DEFAULT_RULE = needs(SYSTEM_ADMIN)


async def _read_body(receive: Receive) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > MAX_BODY:
            raise bad_request(f"body: larger than {MAX_BODY} bytes")
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _address(scope: Scope) -> str:
    client = scope.get("client")
    return client[0] if client else ""


def _request_credentials(request: Request, body: dict[str, Any]) -> Credentials:
    return credentials(
        body.get("auth"), request.headers.get("authorization"), request.cookies.get(COOKIE)
    )


def _refusal(exc: ApiError | AuthFailure) -> Response:
    """The fail envelope; a 429 says in `Retry-After` how many seconds to wait."""
    response = fail(exc.status, exc.message)
    if isinstance(exc, AuthFailure) and exc.retry_after is not None:
        response.headers["Retry-After"] = str(exc.retry_after)
    return response


def _rule_for(scope: Scope) -> Rule | None:
    """The rule of the route that will answer, or None when no route matches (a 404 follows)."""
    for route in scope["app"].router.routes:
        match, _ = route.matches(scope)
        if match is Match.FULL:
            return ROUTE_RULES.get(getattr(route, "path", ""), DEFAULT_RULE)
    return None


class AuthMiddleware:
    """Every /rest/ call except login and logout: 400, 401, 403, 429 or 503 here, or on to the route."""

    def __init__(
        self, app: ASGIApp, authenticator: Authenticator, keys_on: AsyncpgPool | None = None
    ) -> None:
        self.app = app
        self.authenticator = authenticator
        self.keys_on = keys_on

    async def identify(self, creds: Credentials, address: str) -> Identity:
        """An API key is checked in one statement on the asyncpg pool when there is one (no
        thread hop: it runs on every request a billing client makes); the rest in the thread pool."""
        if creds.key is not None and self.keys_on is not None:
            return await self.authenticator.key_identity_pooled(self.keys_on, creds.key, address)
        return await run_in_threadpool(self.authenticator.identify, creds, address)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or not path.startswith("/rest/") or path in OWN_PATHS:
            await self.app(scope, receive, send)
            return
        try:
            raw = await _read_body(receive)
            body = parse_body(raw)
            request = Request(scope)
            creds = _request_credentials(request, body)
            identity = await self.identify(creds, _address(scope))
            rule = _rule_for(scope)
            companies = rule(identity) if rule else None
        except (ApiError, AuthFailure) as exc:
            await _refusal(exc)(scope, receive, send)
            return
        except Forbidden as exc:
            await fail(403, str(exc))(scope, receive, send)
            return
        except StoreUnavailable as exc:
            await unavailable(exc)(scope, receive, send)
            return
        state = scope.setdefault("state", {})
        state.update(body=body, identity=identity, companies=companies)
        await self.app(scope, _replay(raw, receive), send)


def _replay(raw: bytes, receive: Receive) -> Receive:
    """A receive channel that hands the already-read body over once, then the client's events."""
    pending = True

    async def replay() -> Message:
        nonlocal pending
        if pending:
            pending = False
            return {"type": "http.request", "body": raw, "more_body": False}
        return await receive()

    return replay


def user_object(identity: Identity) -> dict[str, Any]:
    """The `user` member of a /rest/auth/ answer (call-read.md, Authentication)."""
    return {
        "id": identity.user_id,
        "login": identity.login,
        "name": identity.name,
        "company": identity.home,
        "home": identity.home,
        "session": identity.session,
        "perms": identity.perms(),
    }


def _json(value: Any) -> Response:
    return Response(msgspec.json.encode(value), media_type="application/json")


def login_endpoint(authenticator: Authenticator) -> Any:
    async def login(request: Request) -> Response:
        """With username and password: log in, keeping the session the cookie names when it is
        this user's; with a key or only the cookie: say who that is.
        ---
        summary: Log in (sets the Red60urne session cookie), or say who a key or cookie is
        description: >
          Body {"auth": {"type": "auth", "username", "password"}} starts a session (or keeps the
          one the cookie names, when it is this user's) and sets the HttpOnly cookie Red60urne.
          With only an API key (auth.key or Authorization Bearer) or the cookie it answers the
          same user object without a new session. See docs/auth.md.
        requestBody:
          required: false
          content:
            application/json:
              schema:
                type: object
                properties:
                  auth:
                    type: object
                    properties:
                      type: {type: string, enum: [auth]}
                      username: {type: string}
                      password: {type: string}
                      key: {type: string}
        responses:
          "200":
            description: The user, with the session token and permissions.
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    result: {type: string, enum: [success]}
                    user:
                      type: object
                      properties:
                        id: {type: integer}
                        login: {type: string}
                        name: {type: string}
                        company: {type: string}
                        home: {type: string}
                        session: {type: string, nullable: true}
                        perms:
                          type: object
                          additionalProperties:
                            type: string
                            description: '"yes" (system-wide) or company ids joined by commas'
          "400": {$ref: "#/components/responses/Fail"}
          "401": {$ref: "#/components/responses/Fail"}
          "429": {$ref: "#/components/responses/Fail"}
          "503": {$ref: "#/components/responses/Fail"}
        """
        try:
            body = parse_body(await _read_body(request.receive))
            creds = _request_credentials(request, body)
            address = _address(request.scope)
            if creds.username is not None and creds.password is not None:
                identity = await run_in_threadpool(
                    authenticator.login, creds.username, creds.password, address,
                    reuse=request.cookies.get(COOKIE),
                )
            else:
                identity = await run_in_threadpool(authenticator.identify, creds, address)
        except (ApiError, AuthFailure) as exc:
            return _refusal(exc)
        except StoreUnavailable as exc:
            return unavailable(exc)
        response = _json({"result": "success", "user": user_object(identity)})
        if identity.via == "session" and identity.session:
            response.set_cookie(
                COOKIE, identity.session, httponly=True, samesite="lax",
                secure=secure_cookie(authenticator.settings, request.url.scheme), path="/",
            )
        return response

    return login


def logout_endpoint(authenticator: Authenticator) -> Any:
    async def logout(request: Request) -> Response:
        """End the session the cookie names.
        ---
        summary: Log out (ends the session the Red60urne cookie names, clears the cookie)
        responses:
          "200":
            description: The session has ended.
            content:
              application/json:
                schema:
                  type: object
                  properties:
                    result: {type: string, enum: [success]}
          "401": {$ref: "#/components/responses/Fail"}
          "503": {$ref: "#/components/responses/Fail"}
        """
        token = request.cookies.get(COOKIE)
        try:
            ended = bool(token) and await run_in_threadpool(
                authenticator.logout, token or "", _address(request.scope)
            )
        except StoreUnavailable as exc:
            return unavailable(exc)
        response = (
            _json({"result": "success"}) if ended else fail(401, BAD_SESSION if token else NOT_AUTHENTICATED)
        )
        response.delete_cookie(COOKIE, path="/", httponly=True, samesite="lax",
                               secure=secure_cookie(authenticator.settings, request.url.scheme))
        return response

    return logout


def routes(authenticator: Authenticator) -> list[Route]:
    login = login_endpoint(authenticator)
    return [
        Route("/rest/auth", login, methods=["POST"]),
        Route("/rest/auth/", login, methods=["POST"]),
        Route(LOGOUT_PATH, logout_endpoint(authenticator), methods=["POST"]),
    ]


def install(
    app: Starlette, settings: Settings, engine: Engine | None = None, keys_on: AsyncpgPool | None = None
) -> Authenticator:
    """Add the auth routes and the authenticating middleware to an app (before it first serves).

    Identity checks are short synchronous transactions (and argon2), run in the thread pool on
    a sync engine of their own unless one is given; an engine made here closes with the app.
    API keys are checked on `keys_on` (the app's asyncpg pool, on PostgreSQL) when given, and
    kept between requests while a listener hears the store announce every change to them
    (calldata.auth.key_cache), unless `settings.key_cache` is off.
    """
    authenticator = Authenticator(engine or sync_engine(settings.database_url), settings)
    app.router.routes.extend(routes(authenticator))
    app.add_middleware(AuthMiddleware, authenticator=authenticator, keys_on=keys_on)
    cache = authenticator.key_cache
    listener = (Listener(keys_on.dsn, CHANNEL, on_change=cache.changed, on_state=cache.set_listening)
                if keys_on is not None and settings.key_cache else None)
    app.router.lifespan_context = _around(app.router.lifespan_context, listener,
                                          authenticator.engine if engine is None else None)
    return authenticator


def _around(lifespan: Any, listener: Listener | None, engine: Engine | None) -> Any:
    """The app's lifespan, with the key listener running through it and the engine made here disposed after."""
    @asynccontextmanager
    async def wrapped(app: Starlette) -> AsyncIterator[Any]:
        if listener is not None:
            listener.start()
        try:
            async with lifespan(app) as state:
                yield state
        finally:
            if listener is not None:
                await listener.stop()
            if engine is not None:
                engine.dispose()

    return wrapped
