"""Random secrets (session tokens, API keys) and the keyed hash under which they are stored.

They carry 256 random bits, so a fast keyed hash is as strong as a slow one against guessing;
the pepper (CALLDATA_TOKEN_PEPPER) keeps a stolen copy of the database from even being checked
offline. Passwords are low-entropy and use argon2 instead (see `passwords`).
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

KEY_PREFIX = "cdk_"
SHOWN_PREFIX = 12  # characters of a key kept in clear, to tell keys apart in a list


def new_session_token() -> str:
    return secrets.token_urlsafe(32)


def new_api_key() -> str:
    return KEY_PREFIX + secrets.token_urlsafe(32)


def digest(token: str, pepper: str) -> str:
    """The stored form of a token: keyed BLAKE2b, hex."""
    return hashlib.blake2b(token.encode(), key=pepper.encode()[:64], digest_size=32).hexdigest()


def same(a: str, b: str) -> bool:
    """Constant-time equality of two digests."""
    return hmac.compare_digest(a.encode(), b.encode())
