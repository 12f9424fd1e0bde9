"""Agent API v1.1 ``zus_account`` on a company, a person and an unattached payer."""

import orjson

from clients.models import Company, CompanyChange, Person
from offices.accounts.models import OfficeSettings
from tests.clients.batches import make_nip, make_pesel
from tests.clients.test_zus_accounts import nrs_for
from tests.sync.conftest import assert_pointer
from tests.sync.test_api_batches import batch_body, company

NIP, OWNER_NIP, OWNER_PESEL = make_nip(621), make_nip(622), make_pesel(623)


def nrs_of(client, nip=NIP):
    with client.in_office():
        return Company.objects.get(nip=nip).zus_account


def test_a_company_nrs_is_stored_spaces_tolerated_and_audited(cast, agent_client):
    client = agent_client(cast.office_a)
    spaced = " ".join(nrs_for(NIP)[i:i + 4] for i in range(0, 26, 4))
    response = client.api_post("batches", batch_body(company(NIP, zus_account=spaced)))
    assert response.status_code == 200, response.content
    assert nrs_of(client) == nrs_for(NIP)
    with client.in_office():
        change = CompanyChange.objects.get(company__nip=NIP, action=CompanyChange.Action.ZUS_ACCOUNT)
        assert change.details == {"zus_account": ["", nrs_for(NIP)], "program": "optima"}


def test_an_absent_nrs_leaves_the_stored_one_alone(cast, agent_client):
    client = agent_client(cast.office_a)
    client.api_post("batches", batch_body(company(NIP, zus_account=nrs_for(NIP))))
    assert client.api_post("batches", batch_body(company(NIP, name="Nowa nazwa"))).status_code == 200
    assert client.api_post("batches", batch_body(company(NIP, zus_account=None))).status_code == 200
    assert nrs_of(client) == nrs_for(NIP)


def test_a_wrong_nrs_rejects_the_company_with_its_pointer_and_changes_nothing(cast, agent_client):
    client = agent_client(cast.office_a)
    client.api_post("batches", batch_body(company(NIP, zus_account=nrs_for(NIP))))
    other = nrs_for(make_nip(999))
    response = client.api_post("batches", batch_body(company(NIP, name="Zmieniona", zus_account=other)))
    body = orjson.loads(response.content)
    error = assert_pointer(body, "/companies/0/zus_account", "invalid_zus_account")
    assert NIP in error["detail"]
    assert body["companies"]["rejected"] == 1
    assert nrs_of(client) == nrs_for(NIP)
    with client.in_office():
        assert Company.objects.get(nip=NIP).name != "Zmieniona"


def test_a_number_or_a_micro_account_is_refused(cast, agent_client):
    client = agent_client(cast.office_a)
    for value in (5060000002026, "56101000712222783191636600"):
        body = orjson.loads(client.api_post("batches", batch_body(company(NIP, zus_account=value))).content)
        assert_pointer(body, "/companies/0/zus_account", "invalid_type" if isinstance(value, int)
                       else "invalid_zus_account")
    with client.in_office():
        assert not Company.objects.filter(nip=NIP).exists()  # the refused company was not created


def test_a_person_nrs_is_checked_against_their_own_nip(cast, agent_client):
    client = agent_client(cast.office_a)
    person = {"first_name": "Ewa", "last_name": "Kowal", "pesel": OWNER_PESEL, "nip": OWNER_NIP, "role": "partner"}
    bad = client.api_post("batches", batch_body(company(NIP, people=[{**person, "zus_account": nrs_for(NIP)}])))
    assert_pointer(orjson.loads(bad.content), "/companies/0/people/0/zus_account", "invalid_zus_account")
    good = client.api_post("batches", batch_body(company(NIP, people=[{**person, "zus_account": nrs_for(OWNER_NIP)}])))
    assert good.status_code == 200, good.content
    with client.in_office():
        assert Person.objects.get(pesel=OWNER_PESEL).zus_account == nrs_for(OWNER_NIP)


def test_an_unattached_payer_nrs_lands_on_the_person_it_is_matched_to(cast, agent_client):
    client = agent_client(cast.office_a)
    with client.in_office():
        settings = OfficeSettings.load()
        settings.match_payers = True
        settings.save()
    person = {"first_name": "Ewa", "last_name": "Kowal", "pesel": OWNER_PESEL, "nip": OWNER_NIP}
    client.api_post("batches", batch_body(company(NIP, people=[person])))
    payer = {"pesel": OWNER_PESEL, "nip": OWNER_NIP, "zus_account": nrs_for(OWNER_NIP),
             "zus": [{"period": "2026-10", "total": "1000.00"}]}
    response = client.api_post("batches", batch_body(payers=[payer]))
    assert response.status_code == 200, response.content
    assert orjson.loads(response.content)["payers"] == {"matched": 1, "unmatched": 0}
    with client.in_office():
        assert Person.objects.get(pesel=OWNER_PESEL).zus_account == nrs_for(OWNER_NIP)
    wrong = client.api_post("batches", batch_body(payers=[{**payer, "zus_account": nrs_for(NIP)}]))
    assert_pointer(orjson.loads(wrong.content), "/payers/0/zus_account", "invalid_zus_account")
