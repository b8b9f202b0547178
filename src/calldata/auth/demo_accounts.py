"""The demo's accounts: an admin, a billing user who sees one company, and an API key for the admin.

`calldata demo` calls `ensure` with the credentials it printed the time before (it keeps them in
a file of its own, see calldata.demo.demo) and prints `instructions`. Credentials that still
work are kept, so every run prints the same working ones; any that do not (first run, file
lost, another store) are made anew. Every other demo key of the admin is revoked, so after any
number of runs exactly one demo key is valid.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from calldata.auth import keys, users
from calldata.auth.passwords import verify
from calldata.auth.permissions import BILLING_CALL_SUMMARY, SYSTEM_ADMIN
from calldata.auth.schema import auth_key
from calldata.auth.tokens import digest
from calldata.config import Settings

ADMIN = "admin"
BILLING = "billing"
ACTOR = "calldata demo"
KEY_NAME = "demo"


@dataclass(frozen=True, slots=True)
class DemoAccounts:
    admin_password: str = field(repr=False)
    billing_password: str = field(repr=False)
    billing_company: str
    admin_key: str = field(repr=False)
    admin: str = ADMIN
    billing: str = BILLING


def _ensure_user(conn: Connection, login: str, name: str, home: str, settings: Settings, kept: str) -> str:
    """The user's password: `kept` when it still opens the (enabled) account, else a new one."""
    user = users.find(conn, login)
    if user is None:
        password = secrets.token_urlsafe(12)
        users.add_user(conn, login, password, name=name, home=home,
                       profile=settings.password_hash_profile, actor=ACTOR)
        return password
    if user["disabled"]:
        users.set_disabled(conn, login, False, actor=ACTOR)
    if kept and verify(user["password_hash"], kept, settings.password_hash_profile):
        return kept
    password = secrets.token_urlsafe(12)
    users.set_password(conn, login, password, profile=settings.password_hash_profile, actor=ACTOR)
    return password


def _ensure_key(conn: Connection, admin_id: int, settings: Settings, kept: str) -> str:
    """The admin's one demo key: `kept` while it is live, else a new one; every other is revoked."""
    hashed = digest(kept, settings.token_pepper) if kept else None
    live = dict(conn.execute(  # demo keys never expire
        select(auth_key.c.id, auth_key.c.key_hash)
        .where(auth_key.c.user_id == admin_id, auth_key.c.name == KEY_NAME, auth_key.c.revoked_at.is_(None))
    ).all())
    keep = next((key_id for key_id, key_hash in live.items() if key_hash == hashed), None)
    if keep is None:
        keep, kept = keys.create(conn, admin_id, pepper=settings.token_pepper, name=KEY_NAME, actor=ACTOR)
    for key_id in live.keys() - {keep}:
        keys.revoke(conn, key_id, actor=ACTOR)
    return kept


def ensure(conn: Connection, settings: Settings, company: str, kept: DemoAccounts | None = None) -> DemoAccounts:
    """Make (or keep) the demo accounts inside the caller's transaction; `kept` is what the
    previous run printed."""
    before = kept or DemoAccounts("", "", company, "")
    admin_password = _ensure_user(conn, ADMIN, "Demo administrator", "default", settings, before.admin_password)
    users.grant(conn, ADMIN, SYSTEM_ADMIN, actor=ACTOR)
    billing_password = _ensure_user(conn, BILLING, f"Billing for {company}", company, settings,
                                    before.billing_password)
    billing_id = users.get(conn, BILLING)["id"]
    if users.grants(conn, billing_id).get(BILLING_CALL_SUMMARY) != {company}:  # only this company
        users.revoke(conn, BILLING, BILLING_CALL_SUMMARY, actor=ACTOR)
        users.grant(conn, BILLING, BILLING_CALL_SUMMARY, [company], actor=ACTOR)
    key = _ensure_key(conn, users.get(conn, ADMIN)["id"], settings, before.admin_key)
    return DemoAccounts(admin_password, billing_password, company, key)


def instructions(accounts: DemoAccounts, base_url: str) -> list[str]:
    """What to print: the credentials, and curl commands that work as printed."""
    read = f"{base_url}/rest/call/read"
    return [
        f"admin login:    {accounts.admin} / {accounts.admin_password}   (System-Admin)",
        f"billing login:  {accounts.billing} / {accounts.billing_password}   "
        f"(Billing Call-Summary for {accounts.billing_company} only)",
        f"admin API key:  {accounts.admin_key}",
        "",
        "all calls, with the API key:",
        f"  curl -s -H 'Authorization: Bearer {accounts.admin_key}' -d '{{\"scope\": {{\"maxRows\": 5}}}}' {read}",
        f"{accounts.billing_company}'s calls only, as the billing user (inline credentials):",
        f"  curl -s -d '{{\"auth\": {{\"type\": \"auth\", \"username\": \"{accounts.billing}\", "
        f"\"password\": \"{accounts.billing_password}\"}}, \"scope\": {{\"maxRows\": 5}}}}' {read}",
    ]
