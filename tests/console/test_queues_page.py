"""The queue statistics page in real Chromium, against the second run's queue_log counted by hand
(tests/queues/hand_counts.py): what the admin sees, what a company without queue callers sees,
another company refused, bad days named."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from console_helpers import ADMIN, ADMIN_PASSWORD, SCOPED, SCOPED_PASSWORD, Site, follow, log_in
from queue_world import load_queue_logs
from queues.hand_counts import ALL

DAY = "from=2026-11-29&to=2026-11-29"  # the recorded run's day


def rows(page: Page, section: str, caption: str) -> dict[str, list[str]]:
    """A table of a queue's section: its row header -> the row's other cells."""
    table = page.locator("section", has=page.get_by_role("heading", name=section)).locator(
        "table", has=page.locator("caption", has_text=caption))
    found = {}
    for row in table.locator("tbody tr").all():
        found[row.locator("th").inner_text()] = row.locator("td").all_inner_texts()
    return found


def test_the_queue_figures_are_those_counted_by_hand(site: Site, page: Page) -> None:
    load_queue_logs(site.engine)
    log_in(page, site, ADMIN, ADMIN_PASSWORD)
    follow(page, page.get_by_role("link", name="Queues"))
    page.get_by_label("From").fill("2026-11-29")
    page.get_by_label("To (inclusive)").fill("2026-11-29")
    follow(page, page.get_by_role("button", name="Show"))
    counts = rows(page, "Queue acme-support", "Calls")
    for label, key in (("offered", "offered"), ("answered", "answered"), ("abandoned", "abandoned"),
                       ("timed out", "timeout"), ("transferred out", "transferred")):
        assert counts[label] == [str(ALL[key])], label
    assert counts["answered within 20 s"] == ["1 (33.3%)"]
    waits = rows(page, "Queue acme-support", "Waits")
    assert waits["abandoned"] == ["14.0", "14", "14"] and waits["all"] == ["15.7", "30", "30"]
    members = rows(page, "Queue acme-support", "Members")
    assert members == {name: [str(m["answered"]), str(m["ringNoAnswer"]), str(m["busy"]), f"0:{m['talk']:02d}"]
                       for name, m in ALL["agents"].items()}
    site.shot(page, "queues")
    page.goto(f"{site.base}/queues?{DAY}&service=2")
    assert rows(page, "Queue acme-support", "Calls")["answered within 2 s"] == ["0 (0.0%)"]  # Carol answered after 3 s


def test_a_company_sees_only_its_own_queue_callers(site: Site, page: Page) -> None:
    load_queue_logs(site.engine)
    log_in(page, site, SCOPED, SCOPED_PASSWORD)
    page.goto(f"{site.base}/queues?{DAY}")
    expect(page.get_by_text("No caller entered a queue on those days.")).to_be_visible()
    response = page.goto(f"{site.base}/queues?{DAY}&company=acme")
    assert response is not None and response.status == 403
    expect(page.get_by_role("alert")).to_contain_text("not one you may see")
    assert page.locator("section.queue").count() == 0
    for query, field in (("from=yesterday", "from:"), ("from=2026-11-30&to=2026-11-01", "to:"),
                         ("service=-1", "service:"), ("from=2026-01-01&to=2026-12-31", "to:")):
        response = page.goto(f"{site.base}/queues?{query}")
        assert response is not None and response.status == 400, query
        expect(page.get_by_role("alert")).to_contain_text(field)
