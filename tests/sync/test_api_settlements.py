"""Agent API v1.1 ``settlements``: recorded / unchanged / unmatched, applied when the item arrives, refused with
pointers; a year of history settled shows the client only the last month as due."""

from datetime import date

import orjson
from django_tenants.utils import schema_context

from clients.activation import link_login
from clients.dashboard import dashboard_for
from clients.models import Company, Person, Settlement
from offices.accounts.models import Role
from offices.accounts.services import create_login
from tests.clients.batches import make_nip, make_pesel
from tests.sync.conftest import assert_pointer
from tests.sync.test_api_batches import batch_body, company, tax

NIP = make_nip(631)


def settlement(period="2026-09", what="VAT-7", amount="1180.00", **fields):
    return {"period": period, "what": what, "amount": amount, "paid_on": "2026-10-24", **fields}


def post(client, **fields):
    response = client.api_post("batches", batch_body(company(NIP, **fields)))
    return response, orjson.loads(response.content)


def test_settlements_are_recorded_then_unchanged_and_an_early_one_waits_for_its_item(cast, agent_client):
    client = agent_client(cast.office_a)
    response, body = post(client, taxes=[tax("1180.00", "2026-09")],
                          settlements=[settlement(), settlement("2026-09", "CIT", "50.00")])
    assert response.status_code == 200, response.content
    assert body["settlements"] == {"recorded": 2, "unchanged": 0, "unmatched": 1}  # no CIT item yet
    _response, again = post(client, settlements=[settlement(), settlement("2026-09", "CIT", "50.00")])
    assert again["settlements"] == {"recorded": 0, "unchanged": 2, "unmatched": 1}
    with client.in_office():
        assert Settlement.objects.filter(company__nip=NIP).count() == 2
        assert Settlement.objects.get(company__nip=NIP, what="VAT-7").paid_on == date(2026, 10, 24)


def test_a_v1_batch_answers_zero_settlements(cast, agent_client):
    _response, body = post(agent_client(cast.office_a), taxes=[tax()])
    assert body["settlements"] == {"recorded": 0, "unchanged": 0, "unmatched": 0}


def test_bad_settlements_are_refused_with_pointers_and_change_nothing(cast, agent_client):
    client = agent_client(cast.office_a)
    cases = [
        (settlement(what="VAT-9"), "/companies/0/settlements/0/what", "invalid_choice"),
        (settlement(amount=1180), "/companies/0/settlements/0/amount", "invalid_amount"),
        ({"period": "2026-09", "what": "VAT-7"}, "/companies/0/settlements/0/amount", "required"),
        (settlement(paid_on="24.10.2026"), "/companies/0/settlements/0/paid_on", "invalid_date"),
        (settlement(payer={"pesel": make_pesel(5)}), "/companies/0/settlements/0/payer", "payer_not_zus"),
        (settlement(what="ZUS", payer={"pesel": "123"}), "/companies/0/settlements/0/payer/pesel", "invalid_pesel"),
        (settlement(period="2026-13"), "/companies/0/settlements/0/period", "invalid_period"),
    ]
    for entry, pointer, code in cases:
        _response, body = post(client, settlements=[entry])
        assert_pointer(body, pointer, code)
    _response, body = post(client, settlements=[settlement(), settlement()])
    assert_pointer(body, "/companies/0/settlements/1/period", "duplicate_figure")
    with client.in_office():
        assert not Settlement.objects.exists() and not Company.objects.filter(nip=NIP).exists()


def test_a_year_of_history_settled_but_the_last_month_shows_only_the_last_month_as_due(cast, agent_client):
    """A year through the API, approved, settlements for all but the last month."""
    client = agent_client(cast.office_a)
    months = [f"2026-{m:02d}" for m in range(1, 13)]
    pesel = make_pesel(632)
    taxes = [tax("1000.00", p, "VAT-7") for p in months] + [tax("300.00", p, "PIT-5L") for p in months]
    zus = [{"period": p, "total": "1800.00"} for p in months]
    settled = [settlement(p, what, amount) for p in months[:-1]
               for what, amount in (("VAT-7", "1000.00"), ("PIT-5L", "300.00"), ("ZUS", "1800.00"))]
    response = client.api_post("batches", batch_body(
        company(NIP, people=[{"first_name": "Ola", "last_name": "Lis", "pesel": pesel, "role": "owner"}],
                taxes=taxes, zus=zus, settlements=settled), options={"approve": True}))
    body = orjson.loads(response.content)
    assert response.status_code == 200, response.content
    assert body["settlements"] == {"recorded": 33, "unchanged": 0, "unmatched": 0}
    with schema_context(cast.office_a.schema_name):
        user = create_login("ola@example.com", role=Role.CLIENT, password="x" * 12, verified=True)
        link_login(Person.objects.get(pesel=pesel), user)
        board = dashboard_for(user, today=date(2027, 1, 5))[0]
    to_pay = [(item.period, item.group, item.tax_type) for item in board.items if item.to_pay]
    assert sorted(to_pay) == [(date(2026, 12, 1), "tax", "PIT-5L"), (date(2026, 12, 1), "tax", "VAT-7"),
                              (date(2026, 12, 1), "zus", "")]
    assert board.overdue_total == 0 and board.total_to_pay == 3100
