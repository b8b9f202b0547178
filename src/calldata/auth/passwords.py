"""Password hashing with argon2id, and a verification that takes as long when there is no user."""

from __future__ import annotations

from functools import cache

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError


@cache
def hasher(profile: str) -> PasswordHasher:
    """The hasher for a named argon2-cffi profile (CALLDATA_PASSWORD_HASH_PROFILE)."""
    try:
        return PasswordHasher.from_parameters(getattr(profiles, profile))
    except AttributeError:
        raise ValueError(f"password hash profile: unknown argon2 profile {profile!r}") from None


@cache
def dummy_hash(profile: str) -> str:
    """What an unknown login is verified against; made once (call early, so no request pays for it)."""
    return hasher(profile).hash("calldata: no such user")


def hash_password(password: str, profile: str) -> str:
    if not password:
        raise ValueError("password: must not be empty")
    return hasher(profile).hash(password)


def verify(stored: str | None, password: str, profile: str) -> bool:
    """Check a password against its hash; with no hash (no such user) spend the same time and fail."""
    try:
        return hasher(profile).verify(stored or dummy_hash(profile), password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(stored: str, profile: str) -> bool:
    """True when the hash was made with other parameters than the configured profile's."""
    return hasher(profile).check_needs_rehash(stored)
