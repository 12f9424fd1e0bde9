"""Select-all on the companies list in a real browser under the Content-Security-Policy: the header checkbox
(static/js/panel-companies.js, a static file: the script runs only if the policy allows it) ticks the page's
rows, also after an htmx swap; tests/e2e/test_csp.py checks the list page raises no violation."""

import pytest
from playwright.sync_api import expect

from clients.models import Revision, RevisionState
from tests.offices.panel_support import in_office

pytestmark = pytest.mark.e2e


def test_the_header_checkbox_ticks_every_row_and_survives_an_htmx_filter(page_as, live_url, cast):
    page = page_as(cast.alice)
    page.goto(live_url(cast.office_a, "/panel/companies/"))
    select_page = page.locator("input[data-select-page]")
    expect(select_page).to_be_visible()
    select_page.check()
    rows = page.locator("input[data-select-row]")
    expect(rows).to_have_count(2)
    for index in range(2):
        expect(rows.nth(index)).to_be_checked()
    rows.nth(0).uncheck()
    assert page.evaluate("document.querySelector('input[data-select-page]').indeterminate")

    page.locator("#id_q").fill("Firma X")
    # leaving the search field fires its "change" (one more refresh of the table): let it land first
    page.locator("#id_q").blur()
    page.wait_for_load_state("networkidle")
    expect(page.locator("input[data-select-row]")).to_have_count(1)
    page.locator("input[data-select-page]").check()
    expect(page.locator("input[data-select-row]")).to_be_checked()
    page.get_by_role("button", name="Zatwierdź zaznaczone firmy").click()
    expect(page.locator("#company-table .messages")).to_contain_text("Zatwierdzono")
    with in_office(cast.office_a):
        assert not Revision.objects.filter(figure__company=cast.company_x, state=RevisionState.PENDING).exists()
