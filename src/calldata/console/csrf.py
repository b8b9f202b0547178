"""CSRF tokens for the console's forms: an HMAC of the session token (or, before login, of a
random nonce kept in a cookie of its own), checked on every POST.

Why a signed token rather than a stored one or a library: the token is derived, so nothing is
stored per session and every `calldata serve` behind a balancer checks it alike; it is tied to
the session, so it dies with it (logout, idle expiry); a page of another site can neither read
the HttpOnly session cookie nor our pages, so it cannot compute or copy the token; and the
HMAC (stdlib `hmac`, compared in constant time) never lets the token reveal the session it is
derived from. SameSite=Lax on the session cookie is a second, independent guard.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

NONCE_COOKIE = "calldata_login"  # the pre-login nonce: the login form's token is tied to it
FIELD = "csrf"  # the hidden form field


def _key(pepper: str) -> bytes:
    return hashlib.sha256(b"calldata console csrf\0" + pepper.encode()).digest()


def token(pepper: str, purpose: str, secret: str) -> str:
    """The token of forms posted under `secret` (the session token, or the login nonce)."""
    return hmac.new(_key(pepper), f"{purpose}\0{secret}".encode(), hashlib.sha256).hexdigest()


def valid(pepper: str, purpose: str, secret: str | None, given: str | None) -> bool:
    """Whether `given` is the token of `secret`; False when either is missing."""
    if not secret or not given:
        return False
    return hmac.compare_digest(token(pepper, purpose, secret), given)


def new_nonce() -> str:
    return secrets.token_urlsafe(24)
