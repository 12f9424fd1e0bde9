"""A client on a 390 px phone imports their bank statement (MT940 or CAMT.053): the items it pays turn *settled*
on the dashboard, nothing is overdue any more, and no page scrolls sideways.

Data is committed (the live server sees only that) in a company and client login of its own, removed afterwards.
"""

from dataclasses import dataclass

import pytest
from django.contrib.auth import get_user_model
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from clients.activation import link_login
from clients.models import BankStatement, Company, Person
from clients.payments import tax_microaccount, tax_transfer_title, zus_transfer_title
from offices.accounts.models import Role
from offices.accounts.services import create_login
from sync.ingest import apply_batch
from sync.models import Batch, Event
from tests.clients import batches as b
from tests.clients.bank_files import SUPPLIER, debit, nrs_of, statement, statement_file

pytestmark = pytest.mark.e2e

PHONE_WIDTH = 390
NIP = b.make_nip(7799)
PESEL = b.make_pesel(7799)
EMAIL = "ewa.wyciag@example.com"


@dataclass
class Client:
    company: Company
    user: object


@pytest.fixture
def statement_client(cast):
    """Firma Wyciąg E2E: January VAT 1234.56, PIT-5L 321.00 and ZUS 1800.00 (to its NRS), approved, unpaid (overdue
    by now); Ewa, its owner, has a client login."""
    with schema_context(cast.office_a.schema_name):
        last_batch = Batch.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
        apply_batch(b.batch(b.company(
            0, NIP, "Firma Wyciąg E2E", zus_account=nrs_of(NIP), people=[b.person(0, "Ewa", "Wyciąg", pesel=PESEL)],
            taxes=[b.tax(0, "2026-01", "VAT-7", "1234.56"), b.tax(1, "2026-01", "PIT-5L", 321)],
            zus_entries=[b.zus(0, "2026-01", total=1800)]), approve=True), None)
        company = Company.objects.get(nip=NIP)
        user = create_login(EMAIL, role=Role.CLIENT, password="x-long-password-1", first_name="Ewa", verified=True)
        link_login(Person.objects.get(pesel=PESEL), user)
    try:
        yield Client(company, user)
    finally:
        with schema_context(cast.office_a.schema_name):
            BankStatement.objects.filter(company=company).delete()
            new_batches = Batch.objects.filter(pk__gt=last_batch)
            Event.objects.filter(batch__in=new_batches).delete()
            new_batches.delete()
            Person.objects.filter(pesel=PESEL).delete()
            Company.objects.filter(pk=company.pk).delete()
            get_user_model().objects.filter(pk=user.pk).delete()


def _statement(kind: str) -> bytes:
    micro = tax_microaccount(nip=NIP)
    return statement_file(statement([
        debit(1, "1234.56", micro, tax_transfer_title("VAT-7", "2026-01", nip=NIP)),
        debit(2, "321.00", micro, tax_transfer_title("PIT-5L", "2026-01", nip=NIP)),
        debit(3, "1800.00", nrs_of(NIP), zus_transfer_title("2026-01")),
        debit(4, "99.00", SUPPLIER, "Faktura 7/2026"),  # not a tax payment: neither kept nor shown
    ], kind=kind, reference=f"E2E-{kind}"))


def _scroll_width(page) -> int:
    return page.evaluate("document.documentElement.scrollWidth")


@pytest.mark.parametrize(("kind", "file_name"), [("mt940", "wyciag.sta"), ("camt053", "wyciag.xml")])
def test_a_client_imports_a_statement_on_a_phone_and_sees_the_items_settled(
        page_as, live_url, cast, statement_client, screenshot, kind, file_name):
    page = page_as(statement_client.user, "phone", office=cast.office_a)
    page.goto(live_url(cast.office_a, "/client/"))
    board = page.locator(".company-board")
    expect(board.locator("h2")).to_have_text(["Firma Wyciąg E2E"])
    # Before: three January items, all overdue, and the month is complete (nothing "waiting for data" about it).
    expect(board.locator("article.pay-item.is-overdue")).to_have_count(3)
    expect(board.locator(".overdue-total")).to_be_visible()
    expect(board.locator("[data-waiting]")).to_have_count(0)
    assert _scroll_width(page) <= PHONE_WIDTH

    # The upload: the client's own company, the statement file as the bank exports it.
    page.goto(live_url(cast.office_a, "/client/statements/"))
    assert _scroll_width(page) <= PHONE_WIDTH
    page.locator("select[name=company]").select_option(str(statement_client.company.pk))
    page.locator("input[name=file]").set_input_files(files=[{
        "name": file_name, "mimeType": "application/octet-stream", "buffer": _statement(kind)}])
    page.locator("main form button[type=submit]").click()
    expect(page.locator('[data-status="matched"]')).to_have_count(3)
    assert "Faktura 7/2026" not in page.content()
    assert _scroll_width(page) <= PHONE_WIDTH, f"the statement result is {_scroll_width(page)} px wide"
    screenshot(page, f"client-statement-{kind}-phone")

    # After: every item settled (the office's word, from the bank), nothing overdue, nothing left to pay.
    page.goto(live_url(cast.office_a, "/client/"))
    expect(board.locator("article.pay-item")).to_have_count(3)
    expect(board.locator("article.pay-item.is-overdue")).to_have_count(0)
    expect(board.locator("article.pay-item .badge.ok")).to_have_count(3)
    expect(board.locator("article.pay-item .badge.ok").first).to_contain_text("Rozliczone")
    expect(board.locator(".overdue-total")).to_have_count(0)
    expect(board.locator(".summary.all-paid")).to_be_visible()
    expect(board.locator("form.mark")).to_have_count(0)  # settled by the office: no "I have paid this" to click
    assert _scroll_width(page) <= PHONE_WIDTH, f"the dashboard is {_scroll_width(page)} px wide"
    screenshot(page, f"client-dashboard-settled-{kind}-phone")
