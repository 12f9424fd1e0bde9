"""The bookkeeper's review in a real browser: the companies list, a company page with old → new, approval
through htmx, and the pending mark going away. Data is committed (the live server sees only that) in a
company of its own, removed afterwards, so the session cast stays as it is."""

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from clients.approval import approve_company
from clients.models import Company, Person, Revision, RevisionState
from sync.agents import create_agent
from sync.ingest import apply_batch
from sync.models import Agent
from tests.clients import batches as b
from tests.clients.reading import approved_figures_for

pytestmark = pytest.mark.e2e

NIP_E2E = b.make_nip(7777)


@pytest.fixture
def company_e(cast):
    """Firma E2E: January VAT 1000.00 approved, a sync changed it to 1050.00 (pending), and ZUS and a statement."""
    with schema_context(cast.office_a.schema_name):
        agent, _token = create_agent("E2E agent")
        apply_batch(b.batch(b.company(0, NIP_E2E, "Firma E2E Sp. z o.o.",
                                      people=[b.person(0, "Ewa", "Testowa", pesel=b.make_pesel(77))],
                                      taxes=[b.tax(0, "2026-01", "VAT-7", 1000), b.tax(1, "2026-01", "CIT", 120)],
                                      zus_entries=[b.zus(0, "2026-01", total=1800, social=1400, health=400)],
                                      statements=[b.statement(0, "2026-01", 50000, 30000)])), agent)
        company = Company.objects.get(nip=NIP_E2E)
        approve_company(company, by_user=cast.alice)
        apply_batch(b.batch(b.company(0, NIP_E2E, "Firma E2E Sp. z o.o.",
                                      taxes=[b.tax(0, "2026-01", "VAT-7", 1050)])), agent)
    try:
        yield company
    finally:
        with schema_context(cast.office_a.schema_name):
            Person.objects.filter(pesel=b.make_pesel(77)).delete()
            Company.objects.filter(pk=company.pk).delete()
            Agent.objects.filter(pk=agent.pk).delete()


def test_alice_approves_a_changed_value_on_the_company_page(page_as, live_url, cast, company_e, screenshot):
    page = page_as(cast.alice, "laptop")
    page.goto(live_url(cast.office_a, "/panel/companies/?q=E2E"))
    row = page.locator("table.companies tbody tr", has_text="Firma E2E")
    expect(row.locator(".pending-mark")).to_be_visible()
    row.get_by_role("link", name="Firma E2E Sp. z o.o.").click()

    expect(page.locator("h1")).to_contain_text("Firma E2E")
    changed = page.locator("table.figures tr.changed")
    expect(changed).to_have_count(1)
    expect(changed.locator("td.old")).to_contain_text("1000")
    expect(changed.locator("td.new")).to_contain_text("1050")
    expect(page.locator("#review [data-pending='1']").first).to_be_visible()
    # no sideways scrolling on a laptop
    assert page.evaluate("document.documentElement.scrollWidth") <= 1366
    screenshot(page, "panel-company")

    with page.expect_response(lambda response: response.request.method == "POST"):
        page.locator("button.approve-month").click()
    expect(page.locator("#review [data-pending='1']")).to_have_count(0)
    expect(page.locator("table.figures tr.changed")).to_have_count(0)
    expect(page.locator(".messages-inline")).to_be_visible()

    with schema_context(cast.office_a.schema_name):
        assert not Revision.objects.filter(figure__company=company_e, state=RevisionState.PENDING).exists()
        seen = {r.figure.kind: r.amount for r in approved_figures_for(company_e)}
    assert str(seen["tax:VAT-7"]) == "1050.00"  # what the client sees now

    page.goto(live_url(cast.office_a, "/panel/companies/?q=E2E"))
    expect(page.locator("table.companies tbody tr", has_text="Firma E2E").locator(".pending-mark")).to_have_count(0)


def test_tabs_switch_with_htmx(page_as, live_url, cast, company_e):
    page = page_as(cast.alice, "laptop")
    page.goto(live_url(cast.office_a, f"/panel/companies/{company_e.pk}/?period=2026-01&tab=taxes"))
    page.locator(".tabs a", has_text="ZUS").click()
    expect(page.locator(".tabs a.current")).to_contain_text("ZUS")
    expect(page.locator("table.figures tbody tr")).to_have_count(3)
    assert "tab=zus" in page.url
