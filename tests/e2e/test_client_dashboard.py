"""Bob, on his phone: logs in, reads what to pay, opens a QR code, downloads the PDF, marks an item paid."""

import re

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from clients.models import PaymentMark
from tests.conftest import NIP_X, PASSWORD

pytestmark = pytest.mark.e2e


@pytest.fixture
def no_marks_left(cast):
    yield
    with schema_context(cast.office_a.schema_name):
        PaymentMark.objects.filter(figure__company=cast.company_x).delete()


def test_bob_pays_from_his_phone(new_page, live_url, cast, screenshot, no_marks_left):
    page = new_page("phone")
    page.goto(live_url(cast.office_a, "/"))
    page.locator('input[name="login"]').fill("bob@example.com")
    page.locator('input[name="password"]').fill(PASSWORD)
    with page.expect_response(lambda response: response.request.method == "POST"):
        page.locator('input[name="password"]').press("Enter")
    page.wait_for_load_state()
    expect(page).to_have_url(live_url(cast.office_a, "/client/"))

    # The dashboard: company X, its three January items (overdue by now), nothing of carol's.
    expect(page.locator(".company-board h2")).to_have_text(["Firma X Sp. z o.o."])
    items = page.locator("article.pay-item")
    expect(items).to_have_count(3)
    vat = items.filter(has_text="/SFP/VAT-7/")
    expect(vat.locator(".amount")).to_have_attribute("data-amount", "1000.00")
    expect(vat.locator("code.title")).to_have_text(f"/TI/N{NIP_X}/OKR/26M01/SFP/VAT-7/TXT/VAT 01.2026")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways scrolling

    # Copy the title: the button says so.
    vat.locator("button.copy").nth(1).click()
    expect(vat.locator("button.copy.done")).to_have_count(1)

    # The QR code opens and is a real image.
    vat.locator("details.qr summary").click()
    qr = vat.locator("details.qr img")
    expect(qr).to_be_visible()
    page.wait_for_function("img => img.complete && img.naturalWidth > 100", arg=qr.element_handle())
    screenshot(page, "client-dashboard-phone")

    # The PDF downloads.
    with page.expect_download() as download_info:
        page.locator(".board-links a", has_text="PDF").click()
    download = download_info.value
    assert download.suggested_filename == f"biurko-{NIP_X}-2026-01.pdf"
    assert open(download.path(), "rb").read(5) == b"%PDF-"

    # Mark VAT paid: it stays in the month, shown as paid (no paying details any more), with an undo.
    item_id = vat.get_attribute("id")
    vat.locator("form.mark button").click()
    page.wait_for_load_state()
    vat = page.locator(f"article#{item_id}")
    expect(vat).to_have_class(re.compile(r"\bis-paid\b"))
    expect(vat.locator("form.mark input[name=action]")).to_have_value("undo")
    with schema_context(cast.office_a.schema_name):
        assert PaymentMark.objects.filter(figure__company=cast.company_x, figure__kind="tax:VAT-7").exists()
