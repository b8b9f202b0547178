"""The console in real Chromium: log in, browse, filter, page, a call with transfers, a recording,
company scoping by URL, CSRF refusals, logout (tests/console/conftest.py serves it)."""

from __future__ import annotations

import re
from urllib.parse import unquote

from playwright.sync_api import Page, expect
from sqlalchemy import select

from calldata.auth.schema import auth_audit
from console_helpers import ADMIN, ADMIN_PASSWORD, SCOPED, SCOPED_COMPANY, SCOPED_PASSWORD, Site, follow, log_in
from console_expected import recorded_calls, seen_by
from stored_calls import legs_by_call, newest_first


def listed(page: Page) -> list[str]:
    """The call ids the page lists, in its order (each row's link to its call view)."""
    hrefs = page.locator("table.calls tbody a").evaluate_all("links => links.map(a => a.getAttribute('href'))")
    return [unquote(href.removeprefix("/calls/")) for href in hrefs]


def every_page(page: Page) -> list[str]:
    """The ids of this page and of every page after it, following the "Older" links."""
    ids = listed(page)
    while page.get_by_role("link", name=re.compile("Older")).count():
        follow(page, page.get_by_role("link", name=re.compile("Older")))
        page.wait_for_load_state()
        ids += listed(page)
    return ids


def test_admin_pages_through_every_call_and_back(site: Site, page: Page) -> None:
    log_in(page, site, ADMIN, ADMIN_PASSWORD)
    expect(page.get_by_role("heading", name="Calls")).to_be_visible()
    site.shot(page, "calls")
    page.get_by_label("Per page").select_option("10")
    follow(page, page.get_by_role("button", name="Filter"))
    first = listed(page)
    assert len(first) == 10
    follow(page, page.get_by_role("link", name=re.compile("Older")))
    second = listed(page)
    follow(page, page.get_by_role("link", name=re.compile("Newer")))
    assert listed(page) == first  # back through the cursor, not a re-count
    follow(page, page.get_by_role("link", name=re.compile("Older")))
    assert listed(page) == second
    follow(page, page.get_by_role("link", name="First page"))
    assert every_page(page) == newest_first(legs_by_call(site.engine))


def test_admin_filters_by_company_direction_and_number(site: Site, page: Page) -> None:
    calls = legs_by_call(site.engine)
    log_in(page, site, ADMIN, ADMIN_PASSWORD)
    page.get_by_label("Company").select_option("acme")
    page.get_by_label("Direction").select_option("inbound")
    follow(page, page.get_by_role("button", name="Filter"))
    assert "company=acme" in page.url and "direction=inbound" in page.url  # a view is a link
    site.shot(page, "calls-filtered")
    wanted = [call for call in newest_first(calls) if seen_by(calls[call], "acme") and calls[call][0].company == ""]
    assert wanted and every_page(page) == wanted
    page.goto(f"{site.base}/calls?number=1632")
    wanted = [call for call in newest_first(calls)
              if any("1632" in f"{leg.src} {leg.dst} {leg.dial_full or ''}" for leg in calls[call])]
    assert wanted and every_page(page) == wanted
    page.goto(f"{site.base}/calls?outcome=missed")
    outcomes = page.locator("table.calls tbody .outcome").all_inner_texts()
    answered = {call for call, legs in calls.items() if any(leg.disposition == "ANSWERED" for leg in legs)}
    assert outcomes and "answered" not in outcomes
    assert set(every_page(page)) == set(calls) - answered


def test_call_view_shows_the_transfer_legs_and_plays_the_recording(site: Site, page: Page) -> None:
    calls = legs_by_call(site.engine)
    transferred = next(call for call in newest_first(calls) if any(leg.xfer for leg in calls[call]))
    log_in(page, site, ADMIN, ADMIN_PASSWORD)
    follow(page, page.locator(f'table.calls a[href="/calls/{transferred}"]'))
    expect(page.get_by_role("heading", name=f"Call {transferred}")).to_be_visible()
    assert page.locator("ol.timeline > li").count() == len(calls[transferred])
    by = next(leg.xfer for leg in calls[transferred] if leg.xfer)
    expect(page.locator("ul.events")).to_contain_text(f"Transfer by {by}")
    expect(page.locator("ol.timeline")).to_contain_text(f"transferred by {by}")
    page.get_by_text("Raw CDR").first.click()  # a <details>: its raw fields open
    expect(page.locator("details[open] table").first).to_contain_text(calls[transferred][0].channel)
    site.shot(page, "call-transfer", whole=True)

    # uk-retail bills 60/60 at 0.0200/min for UK Geographic: a leg under a minute is 0.0200 GBP (rated_world.py)
    priced = next(call for call in newest_first(calls) if len(calls[call]) == 1
                  and calls[call][0].destination == "UK Geographic" and 0 < calls[call][0].billsec < 60)
    page.goto(f"{site.base}/calls/{priced}")
    expect(page.locator(".leg")).to_contain_text("Price 0.0200 GBP")
    expect(page.locator("dl.summary")).to_contain_text("0.0200 GBP")

    page.goto(f"{site.base}/calls?recorded=1")
    heard = listed(page)
    assert heard and set(heard) == recorded_calls(site.engine)
    follow(page, page.locator("table.calls tbody a").first)
    audio = page.locator("audio").first
    duration = audio.evaluate("""a => new Promise(done => {
        a.onloadedmetadata = () => done(a.duration); a.onerror = () => done(-1); a.preload = 'metadata'; a.load(); })""")
    assert duration > 1  # Chromium fetched the WAV through /rest/call/download/recording
    ranged = page.request.get(site.base + audio.get_attribute("src"), headers={"Range": "bytes=0-99"})
    assert ranged.status == 206 and len(ranged.body()) == 100
    site.shot(page, "call-recorded")


def test_scoped_user_sees_only_their_company_even_by_url(site: Site, page: Page) -> None:
    calls = legs_by_call(site.engine)
    log_in(page, site, SCOPED, SCOPED_PASSWORD)
    theirs = [call for call in newest_first(calls) if seen_by(calls[call], SCOPED_COMPANY)]
    assert theirs and every_page(page) == theirs
    options = page.get_by_label("Company").locator("option").all_inner_texts()
    assert [o for o in options if "(" in o] == [f"Globex Corporation ({SCOPED_COMPANY})"]
    other = next(call for call in newest_first(calls) if not seen_by(calls[call], SCOPED_COMPANY))
    response = page.goto(f"{site.base}/calls/{other}")
    assert response is not None and response.status == 404
    expect(page.get_by_role("heading", name="No such call")).to_be_visible()
    response = page.goto(f"{site.base}/calls?company=acme")
    assert response is not None and response.status == 403
    assert listed(page) == []
    mine = theirs[0]
    page.goto(f"{site.base}/calls/{mine}")
    shown = {int(text.removeprefix("Leg ")) for text in page.locator(".leg h3").all_inner_texts()}
    assert shown == {leg.acctid for leg in calls[mine] if SCOPED_COMPANY in (leg.company, leg.target, leg.bill_to)}


def test_forms_without_the_session_token_are_refused_and_logout_ends_the_session(site: Site, page: Page) -> None:
    login_page = page.context.request.get(f"{site.base}/login")  # a nonce cookie, but no token sent back
    refused = page.context.request.post(f"{site.base}/login", form={"username": ADMIN, "password": ADMIN_PASSWORD})
    assert login_page.ok and refused.status == 403 and "Red60urne" not in refused.headers.get("set-cookie", "")
    log_in(page, site, ADMIN, ADMIN_PASSWORD)
    token = page.locator('header input[name="csrf"]').get_attribute("value")
    for form in ({}, {"csrf": "0" * 64}, {"csrf": token[:-1] + ("0" if token[-1] != "0" else "1")}):
        assert page.context.request.post(f"{site.base}/logout", form=form).status == 403
    assert page.goto(f"{site.base}/calls").status == 200  # still logged in
    page.get_by_role("button", name="Log out").click()
    page.wait_for_url(re.compile(r"/login$"))
    page.goto(f"{site.base}/calls")
    assert "/login" in page.url
    with site.engine.connect() as conn:
        events = list(conn.execute(select(auth_audit.c.event).where(auth_audit.c.login == ADMIN)).scalars())
    assert "logout" in events and events.count("login") == 1
    for elsewhere in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):  # no open redirect
        page.context.clear_cookies()  # logged out, a fresh login form
        token = re.search(r'name="csrf" value="([0-9a-f]+)"', page.context.request.get(f"{site.base}/login").text())
        assert token
        answer = page.context.request.post(f"{site.base}/login", max_redirects=0, form={
            "csrf": token[1], "username": ADMIN, "password": ADMIN_PASSWORD, "next": elsewhere})
        assert answer.status == 303 and answer.headers["location"] == "/calls", elsewhere


def test_wrong_password_and_bad_requests_answer_a_page_not_an_error(site: Site, page: Page) -> None:
    page.goto(f"{site.base}/login")
    page.get_by_label("User name").fill(ADMIN)
    page.get_by_label("Password").fill("not the password")
    with page.expect_response(f"{site.base}/login") as answer:
        page.get_by_role("button", name="Log in").click()
    assert answer.value.status == 401
    expect(page.get_by_role("alert")).to_contain_text("wrong username or password")
    site.shot(page, "login")
    statuses = []
    for _ in range(6):  # the API's throttling: 5 failures per login name in the window, then 429
        page.get_by_label("User name").fill("mallory")
        page.get_by_label("Password").fill("guess")
        with page.expect_response(f"{site.base}/login") as answer:
            page.get_by_role("button", name="Log in").click()
        statuses.append(answer.value.status)
    assert statuses == [401] * 5 + [429] and int(answer.value.headers["retry-after"]) > 0
    expect(page.get_by_role("alert")).to_contain_text("too many failed logins")
    log_in(page, site, ADMIN, ADMIN_PASSWORD)
    for query in ("from=yesterday", "to=2026-01-01&from=2026-02-01", "size=7", "after=zz", "number=abc",
                  "company=no%20such", "outcome=maybe", "extension=%00", "to=9999-12-31",
                  "after=0.9999999999999999999", "before=999999999999999999.1"):
        response = page.goto(f"{site.base}/calls?{query}")
        assert response is not None and response.status == 400, query
        expect(page.get_by_role("alert")).to_be_visible()
    response = page.goto(f"{site.base}/calls/{'9' * 300}")
    assert response is not None and response.status == 404


def test_pages_work_from_the_keyboard_and_label_every_control(site: Site, page: Page) -> None:
    log_in(page, site, ADMIN, ADMIN_PASSWORD)
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Enter")
    assert page.url.endswith("#main")
    page.get_by_label("Direction").focus()
    page.keyboard.press("End")  # the last direction, chosen from the keyboard
    page.get_by_label("Per page").focus()
    page.keyboard.press("Tab")  # to the Filter button
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r"direction=internal"))
    calls = legs_by_call(site.engine)
    view = newest_first(calls)[0]
    for path in ("/calls", f"/calls/{view}", "/statements", "/reports", "/login"):
        page.goto(site.base + path)
        unlabelled = page.evaluate("""() => [...document.querySelectorAll('input, select, textarea')]
            .filter(e => e.type !== 'hidden' && e.labels.length === 0).map(e => e.name)""")
        assert unlabelled == [], path
        headless = page.evaluate("() => [...document.querySelectorAll('table')].filter(t => !t.caption).length")
        assert headless == 0, path
