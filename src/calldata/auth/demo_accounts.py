"""The demo's accounts: an admin, a billing user who sees one company, and an API key for the admin.

`calldata demo` calls `create` near the end of its setup and prints `instructions`; running it
again gives the accounts fresh passwords and a new key.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field

from sqlalchemy import Connection

from calldata.auth import keys, users
from calldata.auth.permissions import BILLING_CALL_SUMMARY, SYSTEM_ADMIN
from calldata.config import Settings

ADMIN = "admin"
BILLING = "billing"
ACTOR = "calldata demo"


@dataclass(frozen=True, slots=True)
class DemoAccounts:
    admin_password: str = field(repr=False)
    billing_password: str = field(repr=False)
    billing_company: str
    admin_key: str = field(repr=False)
    admin: str = ADMIN
    billing: str = BILLING


def _ensure_user(conn: Connection, login: str, name: str, home: str, settings: Settings) -> str:
    password = secrets.token_urlsafe(12)
    if users.find(conn, login) is None:
        users.add_user(conn, login, password, name=name, home=home,
                       profile=settings.password_hash_profile, actor=ACTOR)
    else:
        users.set_password(conn, login, password, profile=settings.password_hash_profile, actor=ACTOR)
        users.set_disabled(conn, login, False, actor=ACTOR)
    return password


def create(conn: Connection, settings: Settings, company: str = "acme") -> DemoAccounts:
    """Make (or refresh) the demo accounts inside the caller's transaction."""
    admin_password = _ensure_user(conn, ADMIN, "Demo administrator", "default", settings)
    users.grant(conn, ADMIN, SYSTEM_ADMIN, actor=ACTOR)
    billing_password = _ensure_user(conn, BILLING, f"Billing for {company}", company, settings)
    users.grant(conn, BILLING, BILLING_CALL_SUMMARY, [company], actor=ACTOR)
    admin_id = users.get(conn, ADMIN)["id"]
    _, key = keys.create(conn, admin_id, pepper=settings.token_pepper, name="demo", actor=ACTOR)
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
