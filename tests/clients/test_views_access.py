"""Who sees what in the client views: bob never sees carol's company, office B, staff pages, or pending values."""

import pytest
from django.db import connection
from django_tenants.utils import schema_context

from clients.access import access_company, mask_pesel, memberships_of
from clients.models import Company, CompanyPerson, Figure, Person, PersonRole
from offices.accounts.models import Role
from offices.accounts.services import create_login
from tests.conftest import NIP_X, PESEL_BOB


def _pages(company_id: int, figure_id: int) -> list[tuple[str, str]]:
    return [
        ("get", f"/client/company/{company_id}/"),
        ("get", f"/client/company/{company_id}/2026-01/"),
        ("get", f"/client/company/{company_id}/2026-01/pdf/"),
        ("get", f"/client/company/{company_id}/item/{figure_id}/qr.svg"),
        ("post", f"/client/company/{company_id}/item/{figure_id}/paid/"),
    ]


def _vat_figure(company) -> int:
    return Figure.objects.get(company=company, kind="tax:VAT-7", period="2026-01-01").pk


def test_bob_gets_the_same_404_for_carols_company_and_a_missing_one(office_client, cast):
    client = office_client(cast.office_a, cast.bob)
    with schema_context(cast.office_a.schema_name):
        y_figure = _vat_figure(cast.company_y)
        missing = Company.objects.order_by("-pk").first().pk + 1000
    for method, path in _pages(cast.company_y.pk, y_figure):
        theirs = getattr(client, method)(path)
        gone = getattr(client, method)(path.replace(f"/{cast.company_y.pk}/", f"/{missing}/"))
        assert theirs.status_code == gone.status_code == 404, path
        assert theirs.content == gone.content, path


def test_bob_cannot_reach_carols_figure_through_his_own_company(office_client, cast):
    client = office_client(cast.office_a, cast.bob)
    with schema_context(cast.office_a.schema_name):
        y_figure = _vat_figure(cast.company_y)
    assert client.get(f"/client/company/{cast.company_x.pk}/item/{y_figure}/qr.svg").status_code == 404
    assert client.post(f"/client/company/{cast.company_x.pk}/item/{y_figure}/paid/").status_code == 404


def test_bob_has_no_session_in_office_b(office_client, cast):
    client = office_client(cast.office_a, cast.bob)
    client.defaults["HTTP_HOST"] = office_client(cast.office_b).defaults["HTTP_HOST"]
    response = client.get("/client/")
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_anonymous_visitors_are_sent_to_the_login(office_client, cast):
    response = office_client(cast.office_a).get(f"/client/company/{cast.company_x.pk}/")
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


@pytest.mark.parametrize("who", ["alice", "dave"])
def test_staff_get_404_on_client_pages(office_client, cast, who):
    office = cast.office_a if who == "alice" else cast.office_b
    client = office_client(office, getattr(cast, who))
    assert client.get("/client/").status_code == 404
    assert client.get(f"/client/company/{cast.company_x.pk}/").status_code == 404


def test_home_sends_a_client_to_the_dashboard(office_client, cast):
    response = office_client(cast.office_a, cast.bob).get("/")
    assert response.status_code == 302 and response["Location"] == "/client/"


def test_a_partner_sees_money_only_when_the_office_shares_it(office_client, cast):
    with schema_context(cast.office_a.schema_name):
        pat = create_login("pat@example.com", role=Role.CLIENT, password="pat-long-password-1", verified=True)
        person = Person.objects.create(first_name="Pat", user=pat)
        CompanyPerson.objects.create(company=cast.company_x, person=person, role=PersonRole.PARTNER)
    client = office_client(cast.office_a, pat)
    month = f"/client/company/{cast.company_x.pk}/2026-01/"
    assert client.get(month).status_code == 200
    with schema_context(cast.office_a.schema_name):
        Company.objects.filter(pk=cast.company_x.pk).update(share_with_partners=False)
    assert client.get(month).status_code == 404
    assert client.get(f"/client/company/{cast.company_x.pk}/2026-01/pdf/").status_code == 404
    dashboard = client.get("/client/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Firma X" in dashboard
    assert "does not share this company’s finances with partners" in dashboard
    assert "1,000.00" not in dashboard and "Składki ZUS" not in dashboard
    # The owner still sees everything.
    assert office_client(cast.office_a, cast.bob).get(month).status_code == 200


def test_access_company_is_the_one_gate(cast):
    with schema_context(cast.office_a.schema_name):
        assert access_company(cast.bob, cast.company_x.pk) == cast.company_x
        assert [m.company.nip for m in memberships_of(cast.bob)] == [NIP_X]
        for bad in (cast.company_y.pk, "x", None, -1):
            with pytest.raises(Exception) as error:
                access_company(cast.bob, bad)
            assert error.type.__name__ == "Http404"
        with pytest.raises(Exception) as error:
            access_company(cast.alice, cast.company_x.pk)
        assert error.type.__name__ == "Http404"
    connection.set_schema_to_public()


def test_pesel_is_masked_everywhere(office_client, cast):
    assert mask_pesel("80010112345") == "******12345"
    assert mask_pesel("123") == "***********"
    assert mask_pesel("") == ""
    client = office_client(cast.office_a, cast.bob)
    for path in ("/client/", f"/client/company/{cast.company_x.pk}/", f"/client/company/{cast.company_x.pk}/2026-01/",
                 "/client/preferences/"):
        assert PESEL_BOB not in client.get(path).content.decode(), path
