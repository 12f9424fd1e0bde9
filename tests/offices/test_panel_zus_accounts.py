"""The panel: the office enters a company's ZUS account (NRS) and sees which companies lack one."""

from clients.models import Company, CompanyChange
from tests.clients.test_zus_accounts import SPEC_NRS, nrs_for
from tests.conftest import NIP_X, NIP_Y
from tests.offices.panel_support import bookkeeper, in_office  # noqa: F401


def url(company) -> str:
    return f"/panel/companies/{company.pk}/zus-account/"


def test_a_bookkeeper_enters_the_nrs_and_the_page_shows_it(office_client, cast, bookkeeper):  # noqa: F811
    client = office_client(cast.office_a, bookkeeper)
    account = nrs_for(NIP_X)
    written = account[:2] + " " + " ".join(account[i:i + 4] for i in range(2, 26, 4))  # as banks print it
    response = client.post(url(cast.company_x), {"zus_account": written}, follow=True)
    assert response.status_code == 200
    with in_office(cast.office_a):
        assert Company.objects.get(nip=NIP_X).zus_account == nrs_for(NIP_X)
        assert CompanyChange.objects.filter(company=cast.company_x, user=bookkeeper,
                                            action=CompanyChange.Action.ZUS_ACCOUNT).exists()
    assert written in response.content.decode()


def test_a_wrong_nrs_gets_its_reason_and_changes_nothing(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "pl"
    response = client.post(url(cast.company_x), {"zus_account": SPEC_NRS}, follow=True)
    html = response.content.decode()
    assert "NIP" in html and "płatnika" in html
    with in_office(cast.office_a):
        assert Company.objects.get(nip=NIP_X).zus_account == ""
        assert not CompanyChange.objects.filter(action=CompanyChange.Action.ZUS_ACCOUNT).exists()


def test_a_client_cannot_set_it(office_client, cast):
    with in_office(cast.office_a):
        Company.objects.filter(nip=NIP_X).update(zus_account=nrs_for(NIP_X))
    assert office_client(cast.office_a, cast.bob).post(url(cast.company_x), {"zus_account": ""}).status_code == 404
    with in_office(cast.office_a):
        assert Company.objects.get(nip=NIP_X).zus_account == nrs_for(NIP_X)


def test_the_list_filters_companies_with_zus_but_no_nrs(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    listed = [c.nip for c in client.get("/panel/companies/?without_zus_account=on").context["companies"]]
    assert listed == [NIP_X]  # Y has no ZUS at all: it needs no account
    with in_office(cast.office_a):
        Company.objects.filter(nip=NIP_X).update(zus_account=nrs_for(NIP_X))
    assert [c.nip for c in client.get("/panel/companies/?without_zus_account=on").context["companies"]] == []
    assert NIP_Y in [c.nip for c in client.get("/panel/companies/").context["companies"]]
