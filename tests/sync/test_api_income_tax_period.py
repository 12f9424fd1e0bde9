"""Agent API v1.1 ``tax_setup.income_tax_period``: quarterly advances due after the quarter; v1 agents unchanged."""

from datetime import date

import orjson

from clients.models import Company, Revision
from tests.clients.batches import make_nip
from tests.sync.conftest import assert_pointer
from tests.sync.test_api_batches import batch_body, company, tax

NIP = make_nip(611)


def test_a_quarterly_company_gets_its_quarter_due_dates(cast, agent_client):
    client = agent_client(cast.office_a)
    response = client.api_post("batches", batch_body(company(
        NIP, tax_setup={"vat": "monthly", "income_tax": "linear", "income_tax_period": "quarterly"},
        taxes=[tax("900.00", "2026-03", "PIT-5L"), tax("400.00", "2026-03", "VAT-7")])))
    assert response.status_code == 200, response.content
    with client.in_office():
        assert Company.objects.get(nip=NIP).income_tax_period == "quarterly"
        due = dict(Revision.objects.filter(figure__company__nip=NIP).values_list("figure__kind", "due_date"))
    assert due == {"tax:PIT-5L": date(2026, 4, 20), "tax:VAT-7": date(2026, 4, 27)}  # 25 April 2026 is a Saturday


def test_without_the_field_a_v1_agent_keeps_monthly_deadlines(cast, agent_client):
    client = agent_client(cast.office_a)
    response = client.api_post("batches", batch_body(company(
        NIP, tax_setup={"income_tax": "linear"}, taxes=[tax("900.00", "2026-01", "PIT-5L")])))
    assert response.status_code == 200, response.content
    with client.in_office():
        assert Company.objects.get(nip=NIP).income_tax_period == ""
        assert Revision.objects.get(figure__company__nip=NIP).due_date == date(2026, 2, 20)


def test_an_unknown_period_is_refused_with_its_pointer_and_changes_nothing(cast, agent_client):
    client = agent_client(cast.office_a)
    response = client.api_post("batches", batch_body(company(
        NIP, tax_setup={"income_tax_period": "yearly"}, taxes=[tax("900.00", "2026-01", "PIT-5L")])))
    body = orjson.loads(response.content)
    assert_pointer(body, "/companies/0/tax_setup/income_tax_period", "invalid_choice")
    with client.in_office():
        assert not Company.objects.filter(nip=NIP).exists()
