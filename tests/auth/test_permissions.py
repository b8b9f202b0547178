"""What an identity may read follows from its grants (pure rules, no store)."""

from __future__ import annotations

import pytest

from calldata.auth.permissions import (
    BILLING_CALL_REPORTING as REPORTING,
    BILLING_CALL_SUMMARY as SUMMARY,
    SYSTEM_ADMIN as ADMIN,
    Forbidden,
    GrantError,
    Identity,
    call_read,
    check_grant,
    grants_by_permission,
    needs,
)


def identity(*rows: tuple[str, str]) -> Identity:
    return Identity(1, "u", "U", "acme", grants_by_permission(rows), via="key")


@pytest.mark.parametrize(
    ("rows", "expected"),
    [
        ([(ADMIN, "yes")], None),
        ([(SUMMARY, "yes")], None),
        ([(SUMMARY, "yes"), (SUMMARY, "acme")], None),
        ([(SUMMARY, "acme")], {"acme"}),
        ([(REPORTING, "acme"), (SUMMARY, "globex")], {"acme", "globex"}),
        ([(REPORTING, "acme"), (REPORTING, "default")], {"acme", "default"}),
    ],
)
def test_call_read_gives_all_rows_or_the_granted_companies(rows, expected):
    got = call_read(identity(*rows))
    assert got == (None if expected is None else frozenset(expected))


@pytest.mark.parametrize("rows", [[], [(REPORTING, "yes")]])
def test_call_read_refuses_without_a_reading_grant(rows):
    with pytest.raises(Forbidden, match="System-Admin or Billing Call-Summary"):
        call_read(identity(*rows))


def test_a_system_wide_grant_absorbs_company_grants_on_the_wire():
    who = identity((SUMMARY, "globex"), (SUMMARY, "yes"), (REPORTING, "globex"), (REPORTING, "acme"))
    assert who.perms() == {REPORTING: "acme,globex", SUMMARY: "yes"}


def test_needs_asks_for_a_system_wide_grant():
    rule = needs(ADMIN)
    assert rule(identity((ADMIN, "yes"))) is None
    with pytest.raises(Forbidden, match="System-Admin"):
        rule(identity((SUMMARY, "yes")))


@pytest.mark.parametrize(
    ("permission", "scope", "message"),
    [
        ("Admin", "yes", "unknown permission 'Admin'"),
        ("billing call-summary", "yes", "unknown permission"),
        (ADMIN, "acme", "only be granted system-wide"),
        (SUMMARY, "ac me", "company 'ac me'"),
        (SUMMARY, "", "company ''"),
        (SUMMARY, "x" * 33, "1-32"),
    ],
)
def test_bad_grants_are_refused_naming_the_problem(permission, scope, message):
    with pytest.raises(GrantError, match=message):
        check_grant(permission, scope)


def test_good_grants_pass():
    for permission, scope in [(ADMIN, "yes"), (SUMMARY, "acme"), (REPORTING, "Globex_2")]:
        check_grant(permission, scope)
