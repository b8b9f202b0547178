"""Permission names as the PABX spells them, grant scopes, and what an `Identity` may read."""

from __future__ import annotations

import re
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field

SYSTEM_WIDE = "yes"

SYSTEM_ADMIN = "System-Admin"
BILLING_CALL_SUMMARY = "Billing Call-Summary"
BILLING_CALL_REPORTING = "Billing / Call Reporting"

# Every permission calldata knows; a grant of any other name is refused. Later features add
# their names here.
PERMISSIONS = (SYSTEM_ADMIN, BILLING_CALL_SUMMARY, BILLING_CALL_REPORTING)

# Permissions that only make sense system-wide.
SYSTEM_WIDE_ONLY = frozenset({SYSTEM_ADMIN})

COMPANY_ID = re.compile(r"[A-Za-z0-9_]{1,32}")


class GrantError(ValueError):
    """A grant that cannot be stored: unknown permission, or a scope that is not a company id."""


def check_grant(permission: str, scope: str) -> None:
    """Refuse unknown permission names and malformed scopes, naming what is wrong."""
    if permission not in PERMISSIONS:
        known = ", ".join(repr(p) for p in PERMISSIONS)
        raise GrantError(f"unknown permission {permission!r} (known: {known})")
    if scope == SYSTEM_WIDE:
        return
    if permission in SYSTEM_WIDE_ONLY:
        raise GrantError(f"{permission} can only be granted system-wide")
    if not COMPANY_ID.fullmatch(scope):
        raise GrantError(f"company {scope!r}: a company id is 1-32 letters, digits or _")


def check_companies(companies: Iterable[str], known: Collection[str] | None) -> None:
    """Refuse a grant for a company the directory does not name (`known`: its companies, None
    when no directory is loaded yet), so that a typo cannot grant rows of no one, or later of
    whichever company takes that id."""
    for company in companies:
        if known is None:
            raise GrantError(
                f"company {company!r}: no directory is loaded yet, so no company can be granted"
                " (load it with `calldata directory load FILE` first, or grant system-wide)"
            )
        if company not in known:
            raise GrantError(f"company {company!r}: not in the directory (see `calldata directory show`)")


def grants_by_permission(rows: Iterable[tuple[str, str]]) -> dict[str, frozenset[str]]:
    """(permission, scope) rows -> permission -> scopes; "yes" absorbs any company scopes."""
    scopes: dict[str, set[str]] = {}
    for permission, scope in rows:
        scopes.setdefault(permission, set()).add(scope)
    return {
        p: frozenset({SYSTEM_WIDE}) if SYSTEM_WIDE in s else frozenset(s) for p, s in scopes.items()
    }


@dataclass(frozen=True, slots=True)
class Identity:
    """Who a request acts as, and how it proved it."""

    user_id: int
    login: str
    name: str
    home: str
    grants: Mapping[str, frozenset[str]]
    via: str  # "password", "session" or "key"
    session: str | None = field(default=None, repr=False)  # the session token, when there is one
    key_id: int | None = None

    def holds(self, permission: str) -> bool:
        """Holds the permission system-wide."""
        return SYSTEM_WIDE in self.grants.get(permission, ())

    def companies(self, *permissions: str) -> frozenset[str]:
        """The companies any of the permissions is granted for (system-wide grants excluded)."""
        return frozenset().union(
            *(self.grants.get(p, frozenset()) - {SYSTEM_WIDE} for p in permissions)
        )

    def perms(self) -> dict[str, str]:
        """The wire form: "yes", or the company ids joined by commas."""
        return {p: ",".join(sorted(s)) for p, s in sorted(self.grants.items())}


class Forbidden(Exception):
    """The identity is known but lacks the permission; the message says what is needed."""


# What a route needs: a rule takes the identity and returns the companies it may see
# (None: everything), or raises Forbidden.
Rule = Callable[[Identity], frozenset[str] | None]


def needs(*permissions: str) -> Rule:
    """A rule satisfied by any of the permissions held system-wide."""

    def rule(identity: Identity) -> None:
        if any(identity.holds(p) for p in permissions):
            return None
        raise Forbidden(f"permission: needs {' or '.join(permissions)} (system-wide)")

    return rule


def call_read(identity: Identity) -> frozenset[str] | None:
    """/rest/call/read: all rows for System-Admin or Billing Call-Summary system-wide; otherwise
    the rows of the companies Billing Call-Summary or Billing / Call Reporting is granted for."""
    if identity.holds(SYSTEM_ADMIN) or identity.holds(BILLING_CALL_SUMMARY):
        return None
    companies = identity.companies(BILLING_CALL_SUMMARY, BILLING_CALL_REPORTING)
    if companies:
        return companies
    raise Forbidden(
        f"permission: /rest/call/read needs {SYSTEM_ADMIN} or {BILLING_CALL_SUMMARY} system-wide,"
        f" or {BILLING_CALL_SUMMARY} or {BILLING_CALL_REPORTING} for a company"
    )


def call_report(identity: Identity) -> frozenset[str] | None:
    """/rest/call/incalls and outcalls (reports.md): every company for System-Admin, Billing
    Call-Summary or Billing / Call Reporting held system-wide; else the companies either is
    granted for (the handler refuses a company outside them)."""
    if any(identity.holds(p) for p in (SYSTEM_ADMIN, BILLING_CALL_SUMMARY, BILLING_CALL_REPORTING)):
        return None
    companies = identity.companies(BILLING_CALL_SUMMARY, BILLING_CALL_REPORTING)
    if companies:
        return companies
    raise Forbidden(report_refusal())


def report_refusal(company: str | None = None) -> str:
    """What a caller lacking the reports' permission is told (for one company, or at all)."""
    which = f" of company {company!r}" if company else ""
    return (
        f"permission: call reports{which} need {SYSTEM_ADMIN}, or {BILLING_CALL_SUMMARY} or"
        f" {BILLING_CALL_REPORTING} for {'that' if company else 'the'} company"
    )
