"""The panel on a 390 px phone: no page scrolls sideways, and wide tables collapse into one block per row
(each cell labelled with its column's name, from the template's data-label)."""

import pytest
from playwright.sync_api import expect

from tests.sync.importers.conftest import v7m2_like_the_shared_example

pytestmark = pytest.mark.e2e
PHONE_WIDTH = 390
PANEL_PAGES = {
    "companies": "/panel/companies/",
    "company": "/panel/companies/{x}/?period=2026-01&tab=taxes",
    "events": "/panel/events/",
    "delivery-log": "/panel/companies/{x}/messages/",
    "messaging": "/panel/messages/settings/",
    "settings": "/panel/settings/",
    "upload": "/panel/upload/",
    "staff": "/panel/staff/",
    "agents": "/panel/agents/",
}


def _scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize("name", PANEL_PAGES)
def test_panel_pages_fit_a_phone(page_as, live_url, cast, screenshot, name):
    page = page_as(cast.alice, "phone")
    page.goto(live_url(cast.office_a, PANEL_PAGES[name].format(x=cast.company_x.pk)))
    page.wait_for_load_state("networkidle")
    expect(page.locator("h1")).to_be_visible()
    assert _scroll_width(page) <= PHONE_WIDTH, f"{name} is {_scroll_width(page)} px wide"
    screenshot(page, f"panel-{name}-phone")


def test_tables_collapse_into_labelled_blocks_on_a_phone(page_as, live_url, cast):
    page = page_as(cast.alice, "phone")
    page.goto(live_url(cast.office_a, "/panel/companies/"))
    header = page.locator("table.companies thead")
    # the header row is kept for screen readers but takes no room
    assert header.evaluate("element => element.getBoundingClientRect().height") <= 1
    cell = page.locator("table.companies tbody tr").first.locator("td[data-label]").first
    assert cell.evaluate("element => getComputedStyle(element).display") == "block"
    label = cell.evaluate("element => getComputedStyle(element, '::before').content")
    assert label.strip('"') == cell.get_attribute("data-label") != ""


def test_the_import_preview_fits_a_phone_and_shows_amounts_before_apply(page_as, live_url, cast, screenshot):
    page = page_as(cast.alice, "phone")
    page.goto(live_url(cast.office_a, "/panel/upload/"))
    page.locator("input[name=files]").set_input_files(
        files=[{"name": "jpk-2022-02.xml", "mimeType": "text/xml",
                "buffer": v7m2_like_the_shared_example()}])
    page.locator("main form:has(input[name=files]) button[type=submit]").click()
    expect(page.locator(".upload-stale")).to_be_visible()  # a 2022 file
    expect(page.locator("ul.amounts li").first).to_be_visible()
    assert _scroll_width(page) <= PHONE_WIDTH
    screenshot(page, "panel-upload-preview-phone")
    page.locator("button[value=discard]").click()
    expect(page.locator("h1")).to_be_visible()


def test_the_import_preview_table_is_not_clipped_on_a_laptop(page_as, live_url, cast):
    page = page_as(cast.alice)
    page.goto(live_url(cast.office_a, "/panel/upload/"))
    page.locator("input[name=files]").set_input_files(
        files=[{"name": "jpk.xml", "mimeType": "text/xml", "buffer": v7m2_like_the_shared_example()}])
    page.locator("main form:has(input[name=files]) button[type=submit]").click()
    wrap = page.locator(".upload-file .table-wrap").first
    expect(wrap).to_be_visible()
    # the whole table is visible: no scrolling inside its box
    assert wrap.evaluate("element => element.scrollWidth <= element.clientWidth")
    page.locator("button[value=discard]").click()
