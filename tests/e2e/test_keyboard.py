"""Keyboard use of the panel: after an htmx approval the focus moves to the next item still waiting (not to
the top of the page), and every focusable element shows a focus ring."""

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from clients.models import Company
from sync.ingest import apply_batch
from tests.clients import batches as b

pytestmark = pytest.mark.e2e
NIPS = [b.make_nip(7801 + number) for number in range(3)]


@pytest.fixture
def pending_companies(cast):
    """Three committed companies, "Klawiatura 1…3", each with January taxes waiting and a February one."""
    with schema_context(cast.office_a.schema_name):
        apply_batch(b.batch(*[
            b.company(number, nip, f"Klawiatura {number + 1} Sp. z o.o.",
                      taxes=[b.tax(0, "2026-01", "VAT-7", 100 + number), b.tax(1, "2026-01", "PIT-4", 200 + number),
                             b.tax(2, "2026-01", "CIT", 300 + number), b.tax(3, "2026-02", "VAT-7", 400 + number)])
            for number, nip in enumerate(NIPS)]), None)
        companies = list(Company.objects.filter(nip__in=NIPS).order_by("nip"))
    try:
        yield companies
    finally:
        with schema_context(cast.office_a.schema_name):
            Company.objects.filter(nip__in=NIPS).delete()


def _wait_for_focus(page, key: str) -> None:
    """Until the focused element is the pending item ``key`` (a function, not a string: the page's CSP has no
    'unsafe-eval')."""
    try:
        page.wait_for_function("key => document.activeElement && document.activeElement.dataset.pendingItem === key",
                               arg=key, timeout=5_000)
    except Exception as error:  # noqa: BLE001 - say where the focus went instead
        focused = page.evaluate("() => document.activeElement ? document.activeElement.outerHTML.slice(0, 200) : null")
        raise AssertionError(f"the focus is not on {key!r} but on {focused}") from error


def test_enter_on_a_row_moves_the_focus_to_the_next_pending_row(page_as, live_url, cast, pending_companies):
    company = pending_companies[0]
    page = page_as(cast.alice)
    page.goto(live_url(cast.office_a, f"/panel/companies/{company.pk}/?period=2026-01&tab=taxes"))
    buttons = page.locator("table.figures button[data-pending-item]")
    expect(buttons).to_have_count(3)
    keys = [buttons.nth(i).get_attribute("data-pending-item") for i in range(3)]

    buttons.nth(0).focus()
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.keyboard.press("Enter")
    expect(page.locator("table.figures button[data-pending-item]")).to_have_count(2)
    _wait_for_focus(page, keys[1])
    # the ring shows on the moved focus
    assert page.evaluate("document.activeElement.matches(':focus-visible')")

    # the last row of the month: the focus goes on to the month still waiting (February)
    page.keyboard.press("Enter")
    _wait_for_focus(page, keys[2])
    page.keyboard.press("Enter")
    _wait_for_focus(page, "month-2026-02")


def test_bulk_approval_moves_the_focus_to_the_next_pending_company(page_as, live_url, cast, pending_companies):
    page = page_as(cast.alice)
    page.goto(live_url(cast.office_a, "/panel/companies/?q=Klawiatura&sort=name"))
    rows = page.locator("table.companies input[data-select-row]")
    expect(rows).to_have_count(3)
    second = rows.nth(1).get_attribute("data-pending-item")
    rows.nth(0).focus()
    page.keyboard.press("Space")
    expect(rows.nth(0)).to_be_checked()
    page.locator("button[name=scope][value=selected]").focus()
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.keyboard.press("Enter")
    expect(page.locator("table.companies input[data-pending-item]")).to_have_count(2)
    _wait_for_focus(page, second)


def test_every_focusable_element_shows_a_focus_ring(page_as, live_url, cast):
    page = page_as(cast.alice)
    page.goto(live_url(cast.office_a, "/panel/companies/"))
    page.keyboard.press("Tab")
    expect(page.locator(".skip-link")).to_be_focused()
    for _ in range(12):
        outline = page.evaluate("(() => { const s = getComputedStyle(document.activeElement);"
                                " return [s.outlineStyle, parseFloat(s.outlineWidth)]; })()")
        assert outline[0] != "none" and outline[1] >= 2, (outline, page.evaluate("document.activeElement.outerHTML"))
        page.keyboard.press("Tab")
