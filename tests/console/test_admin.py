"""The System-Admin pages in real Chromium: a user added and granted a company, a key created
(shown once, working on the API at once, company-scoped), revoked, the audit log, and refusals:
a scoped user, a form without the session's token, a mistyped password."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import httpx
from playwright.sync_api import Page, expect
from sqlalchemy import select

from calldata.attribution.report import coverage
from calldata.auth import users
from calldata.auth.permissions import BILLING_CALL_SUMMARY
from calldata.auth.schema import auth_audit, auth_key
from calldata.cdr import Cdr
from calldata.store.cdrs import insert_cdrs
from console_helpers import ADMIN, ADMIN_PASSWORD, SCOPED, SCOPED_PASSWORD, Site, follow, log_in

NEW, NEW_PASSWORD = "carol", "carol-password-1"


def read_companies(site: Site, key: str) -> tuple[int, set[frozenset[str]]]:
    """What /rest/call/read answers the key: its status, and for each leg it gives the companies
    the leg concerns (company, target, bill_to)."""
    answer = httpx.post(f"{site.base}/rest/call/read", headers={"authorization": f"Bearer {key}"},
                        json={"scope": {"maxRows": 1000}}, timeout=30)
    rows = answer.json().get("values", []) if answer.status_code == 200 else []
    fields = ("company", "target", "bill_to")
    return answer.status_code, {frozenset(row["properties"].get(f, "") for f in fields) - {""} for row in rows}


def audited(site: Site, login: str) -> list[str]:
    with site.engine.connect() as conn:
        return list(conn.execute(select(auth_audit.c.event).where(auth_audit.c.login == login)
                                 .order_by(auth_audit.c.id)).scalars())


def add_carol(page: Page, site: Site, again: str = NEW_PASSWORD) -> None:
    page.goto(f"{site.base}/admin/users")
    page.get_by_label("Login", exact=True).fill(NEW)
    page.get_by_label("Name", exact=True).fill("Carol Acme")
    page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Password again", exact=True).fill(again)
    follow(page, page.get_by_role("button", name="Add user"))


def test_admin_adds_a_user_grants_a_company_and_issues_a_key_shown_once(site: Site, page: Page) -> None:
    log_in(page, site, ADMIN, ADMIN_PASSWORD)
    follow(page, page.get_by_role("link", name="Admin"))
    expect(page.get_by_role("heading", name="Users")).to_be_visible()
    add_carol(page, site)
    expect(page.get_by_role("status")).to_contain_text(f"User {NEW} added")
    page.get_by_label("User", exact=True).first.select_option(NEW)
    page.get_by_label("Permission", exact=True).select_option(BILLING_CALL_SUMMARY)
    page.get_by_label("Companies (ids, comma separated; empty: system-wide)").fill("acme")
    follow(page, page.get_by_role("button", name="Grant"))
    expect(page.get_by_role("row", name=re.compile(NEW))).to_contain_text(f"{BILLING_CALL_SUMMARY}: acme")
    with site.engine.connect() as conn:
        carol = users.get(conn, NEW)
        assert users.grants(conn, carol["id"]) == {BILLING_CALL_SUMMARY: frozenset({"acme"})}
    site.shot(page, "admin-users", whole=True)

    follow(page, page.get_by_role("link", name="API keys"))
    page.get_by_label("For user", exact=True).select_option(NEW)
    page.get_by_label("Name (what uses it)").fill("billing export")
    page.get_by_label("Expires in days (empty: never)").fill("30")
    follow(page, page.get_by_role("button", name="Create key"))
    key = page.get_by_label("The new key", exact=True).input_value()
    site.shot(page, "admin-key-created")
    status, concerned = read_companies(site, key)
    assert status == 200 and concerned and all("acme" in each for each in concerned)  # at once, only Acme's
    page.goto(f"{site.base}/admin/keys")
    assert key not in page.content() and key[:8] in page.content()
    with site.engine.connect() as conn:
        stored = conn.execute(select(auth_key.c.id, auth_key.c.name, auth_key.c.expires_at)).one()
    assert stored.name == "billing export" and stored.expires_at is not None
    follow(page, page.get_by_role("button", name=f"Revoke key {stored.id}"))
    expect(page.get_by_role("status")).to_contain_text("Key revoked")
    assert read_companies(site, key)[0] == 401

    follow(page, page.get_by_role("link", name="Audit log"))
    page.get_by_label("Login", exact=True).fill(NEW)
    follow(page, page.get_by_role("button", name="Show"))
    for event in ("user added", "granted", "key created", "key revoked"):
        expect(page.locator("table.admin tbody")).to_contain_text(event)
    site.shot(page, "admin-audit")
    assert {"user_added", "granted", "key_created", "key_revoked"} <= set(audited(site, NEW))


def test_a_disabled_user_cannot_log_in_and_mistakes_change_nothing(site: Site, page: Page) -> None:
    log_in(page, site, ADMIN, ADMIN_PASSWORD)
    add_carol(page, site, again="not the same")
    expect(page.get_by_role("alert")).to_contain_text("the two entries differ")
    with site.engine.connect() as conn:
        assert users.find(conn, NEW) is None
    add_carol(page, site)
    follow(page, page.get_by_role("button", name=f"Disable {NEW}"))
    expect(page.get_by_role("status")).to_contain_text(f"{NEW} disabled")
    follow(page, page.get_by_role("button", name=f"Disable {ADMIN}"))  # not oneself
    expect(page.get_by_role("alert")).to_contain_text("cannot disable your own account")
    page.get_by_label("Permission", exact=True).select_option("System-Admin")
    page.get_by_label("Companies (ids, comma separated; empty: system-wide)").fill("acme")
    follow(page, page.get_by_role("button", name="Grant"))
    expect(page.get_by_role("alert")).to_contain_text("can only be granted system-wide")
    with site.engine.connect() as conn:
        assert users.get(conn, NEW)["disabled"] and not users.get(conn, ADMIN)["disabled"]
    answer = httpx.post(f"{site.base}/rest/auth/", json={"auth": {"type": "auth", "username": NEW,
                                                                  "password": NEW_PASSWORD}}, timeout=30)
    assert answer.status_code == 401


def test_only_system_admin_reaches_the_pages_and_every_form_needs_the_token(site: Site, page: Page) -> None:
    log_in(page, site, ADMIN, ADMIN_PASSWORD)
    for form in ({}, {"csrf": "0" * 64}):
        refused = page.context.request.post(f"{site.base}/admin/users", form={
            **form, "action": "add", "login": NEW, "password": "x", "again": "x"})
        assert refused.status == 403
        assert page.context.request.post(f"{site.base}/admin/keys", form={**form, "login": ADMIN}).status == 403
    with site.engine.connect() as conn:
        assert users.find(conn, NEW) is None and conn.execute(select(auth_key.c.id)).first() is None
    page.context.clear_cookies()
    log_in(page, site, SCOPED, SCOPED_PASSWORD)
    expect(page.get_by_role("link", name="Admin")).to_have_count(0)
    for path in ("/admin/users", "/admin/keys", "/admin/audit", "/admin/attribution"):
        response = page.goto(f"{site.base}{path}")
        assert response is not None and response.status == 403, path
        assert ADMIN not in page.locator("main").inner_text()
    token = page.locator('header input[name="csrf"]').get_attribute("value")
    forged = page.context.request.post(f"{site.base}/admin/users", form={
        "csrf": token, "action": "grant", "login": SCOPED, "permission": "System-Admin", "companies": ""})
    assert forged.status == 403
    with site.engine.connect() as conn:
        assert users.grants(conn, users.get(conn, SCOPED)["id"]) == {BILLING_CALL_SUMMARY: frozenset({"globex"})}


def stray_legs(count: int) -> list[Cdr]:
    """Legs of a phone, a context and a number the example directory has never heard of."""
    start = datetime(2026, 11, 29, 16, 0, tzinfo=UTC)
    return [Cdr(start=start + timedelta(minutes=i), end=start + timedelta(minutes=i, seconds=30),
                clid="", src="7001", dst="441632960999", dcontext="nowhere", channel=f"SIP/mystery-{i:08x}",
                dstchannel="", lastapp="Dial", lastdata="", duration=30, billsec=0, disposition="NOANSWER",
                amaflags=3, accountcode="", uniqueid=f"1796000000.{i}", linkedid=f"1796000000.{i}")
            for i in range(count)]


def test_the_attribution_page_lists_what_the_directory_misses(site: Site, page: Page) -> None:
    with site.engine.begin() as conn:
        insert_cdrs(conn, stray_legs(3))  # stored, never attributed: the page must point at them
        report = coverage(conn, top=25)
    assert ("nowhere", 3) in report.contexts and any(name.startswith("SIP/mystery") for name, _ in report.channels)
    log_in(page, site, ADMIN, ADMIN_PASSWORD)
    page.goto(f"{site.base}/admin/attribution")  # the last 30 days unless asked otherwise
    month_ago = date.today() - timedelta(days=29)  # the served zone is UTC; a test run across midnight may see a day more
    assert page.get_by_label("From", exact=True).input_value() in (month_ago.isoformat(),
                                                                  (month_ago + timedelta(days=1)).isoformat())
    page.goto(f"{site.base}/admin/attribution?top=25&all=1")
    summary = page.locator("dl.summary").inner_text()
    assert f"Legs\n{report.rows}" in summary and report.rows > 0
    for title, pairs in (("Unknown channels", report.channels), ("Unclaimed contexts", report.contexts),
                         ("Numbers without a target", report.numbers)):
        section = page.locator("section", has=page.get_by_role("heading", name=title))
        shown = section.locator("tbody tr").all_inner_texts()
        assert [tuple(row.split("\t")) for row in shown] == [(value, str(count)) for value, count in pairs]
    site.shot(page, "admin-attribution", whole=True)
    page.get_by_label("From", exact=True).fill("2001-01-01")
    page.get_by_label("To (inclusive)", exact=True).fill("2001-01-31")
    follow(page, page.get_by_role("button", name="Show"))
    assert "Legs\n0" in page.locator("dl.summary").inner_text()
    expect(page.get_by_text("None: the directory knows them all.")).to_have_count(3)
    response = page.goto(f"{site.base}/admin/attribution?from=2001-02-01&to=2001-01-01")
    assert response is not None and response.status == 400
    expect(page.get_by_role("alert")).to_contain_text("to: the last day comes before the first")
