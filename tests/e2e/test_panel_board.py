"""The office's month board in a real browser: filter, select a company, settle it in bulk, see the stage move.
Data is committed (the live server sees only that) in a company of its own, removed afterwards."""

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from clients.models import Company, CompanyChange, Settlement
from sync.agents import create_agent
from sync.ingest import apply_batch
from sync.models import Agent
from tests.clients import batches as b

pytestmark = pytest.mark.e2e

NIP_BOARD = b.make_nip(7788)
LAPTOP_WIDTH = 1366


@pytest.fixture
def company_board(cast):
    """Firma Tablica E2E: January VAT 1000.00 and ZUS 1800.00, approved on arrival, no summary sent."""
    with schema_context(cast.office_a.schema_name):
        agent, _token = create_agent("E2E board agent")
        apply_batch(b.batch(b.company(0, NIP_BOARD, "Firma Tablica E2E", taxes=[b.tax(0, "2026-01", "VAT-7", 1000)],
                                      zus_entries=[b.zus(0, "2026-01", total=1800)]), approve=True), agent)
        company = Company.objects.get(nip=NIP_BOARD)
    try:
        yield company
    finally:
        with schema_context(cast.office_a.schema_name):
            Company.objects.filter(pk=company.pk).delete()
            Agent.objects.filter(pk=agent.pk).delete()


def test_alice_settles_a_company_from_the_board(page_as, live_url, cast, company_board, screenshot):
    page = page_as(cast.alice, "laptop")
    page.goto(live_url(cast.office_a, "/panel/"))
    page.locator(".panel-nav").get_by_role("link", name="Tablica miesiąca").click()
    page.locator("#id_period").fill("2026-01")
    page.locator("#id_q").fill("Tablica E2E")
    page.get_by_role("button", name="Pokaż").click()
    row = page.locator(f"#board-{company_board.pk}")
    expect(row).to_be_visible()
    expect(row.locator('[data-stage="settled"]')).to_have_text("0 / 2")
    page.locator('[data-filter="not_sent"]').click()
    expect(row).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP_WIDTH
    screenshot(page, "panel-board-laptop")
    row.locator('input[name="company"]').check()
    page.locator("#id_action").select_option("settle")
    page.get_by_role("button", name="Zastosuj do zaznaczonych").click()
    expect(page.locator(".messages")).to_contain_text("rozliczon")
    page.locator('[data-filter="settled"]').click()
    expect(page.locator(f"#board-{company_board.pk} [data-stage='settled'] .badge.ok")).to_be_visible()
    with schema_context(cast.office_a.schema_name):
        assert Settlement.objects.filter(company=company_board).count() == 2
        assert CompanyChange.objects.filter(company=company_board, action=CompanyChange.Action.SETTLED,
                                            user=cast.alice).exists()
