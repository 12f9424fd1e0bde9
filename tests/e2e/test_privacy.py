"""RODO on a phone (390 px): from a company's page to a person's data, then erasure with a reason and
confirmation. Committed data of its own (a company and a person), removed afterwards."""

import pytest
from django_tenants.utils import schema_context
from playwright.sync_api import expect

from clients.models import Company, DataAccess, Erasure, Person
from offices.accounts.models import AuditAction, AuditEntry
from sync.agents import create_agent
from sync.ingest import apply_batch
from sync.models import Agent
from tests.clients import batches as b

pytestmark = pytest.mark.e2e

NIP_RODO, PESEL_RODO = b.make_nip(7788), b.make_pesel(88)


@pytest.fixture
def company_r(cast):
    with schema_context(cast.office_a.schema_name):
        agent, _token = create_agent("E2E RODO agent")
        apply_batch(b.batch(b.company(0, NIP_RODO, "Firma RODO", people=[
            b.person(0, "Roman", "Danowski", pesel=PESEL_RODO, email="roman.danowski@example.com")],
            taxes=[b.tax(0, "2026-01", "VAT-7", 300)])), agent)
        company = Company.objects.get(nip=NIP_RODO)
        person = Person.objects.get(pesel=PESEL_RODO)
    try:
        yield company, person
    finally:
        with schema_context(cast.office_a.schema_name):
            Erasure.objects.filter(person=person.pk).delete()
            DataAccess.objects.filter(company=company.pk).delete()
            AuditEntry.objects.filter(action__in=[AuditAction.PERSONAL_DATA_ERASED,
                                                  AuditAction.PERSONAL_DATA_EXPORTED], target=str(person.pk)).delete()
            Person.objects.filter(pk=person.pk).delete()
            Company.objects.filter(pk=company.pk).delete()
            Agent.objects.filter(pk=agent.pk).delete()


def test_alice_exports_and_erases_a_persons_data_on_a_phone(page_as, live_url, cast, company_r, screenshot):
    company, person = company_r
    page = page_as(cast.alice, "phone")
    errors, missing = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("response", lambda response: missing.append(response.url) if response.status == 404 else None)
    page.goto(live_url(cast.office_a, f"/panel/companies/{company.pk}/"))
    page.get_by_role("link", name="Eksport danych osobowych").click()
    expect(page.locator("h1")).to_contain_text("Roman Danowski")
    expect(page.get_by_role("link", name="Pobierz PDF")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    screenshot(page, "panel-privacy-person-phone")

    page.get_by_role("link", name="Usuń dane osobowe").click()
    page.get_by_label("Powód").fill("Wniosek z 1.12.2026")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.get_by_label("Rozumiem").check()
    page.get_by_role("button", name="Usuń dane osobowe").click()
    expect(page.locator("body")).to_contain_text("Dane osobowe zostały usunięte")
    expect(page.locator("section.people")).not_to_contain_text("Danowski")
    # Nothing refused by the browser (e.g. an inline script under the CSP); only the favicon may be missing.
    assert [url for url in missing if not url.endswith("/favicon.ico")] == []
    assert [text for text in errors if "404" not in text] == []
    with schema_context(cast.office_a.schema_name):
        assert Erasure.objects.get(person=person.pk).reason == "Wniosek z 1.12.2026"
        assert Person.objects.get(pk=person.pk).pesel is None
