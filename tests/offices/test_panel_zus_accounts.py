"""The panel: the office enters a company's ZUS account (NRS) and sees which companies lack one."""

from datetime import date
from decimal import Decimal

from clients.dashboard import dashboard_for
from clients.models import Company, CompanyChange, Settlement, parse_period
from clients.settlements import SettlementEntry, record_settlements_of
from tests.clients.test_zus_accounts import SPEC_NRS, nrs_for
from tests.conftest import NIP_X, NIP_Y, PESEL_CAROL
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


# --- Settling by the bookkeeper, payments waiting for their item --------------------------------------------


def test_a_bookkeeper_settles_a_month_and_the_client_sees_it_paid(office_client, cast, bookkeeper):  # noqa: F811
    client = office_client(cast.office_a, bookkeeper)
    response = client.post(f"/panel/companies/{cast.company_y.pk}/settle/", {"period": "2026-01", "scope": "month"})
    assert response.status_code == 302
    with in_office(cast.office_a):
        assert sorted(Settlement.objects.filter(company=cast.company_y).values_list("what", "amount", "source")) == [
            ("CIT", 90, "bookkeeper"), ("VAT-7", 700, "bookkeeper")]
        assert CompanyChange.objects.filter(company=cast.company_y, user=bookkeeper,
                                            action=CompanyChange.Action.SETTLED).count() == 1
        board = dashboard_for(cast.carol, today=date(2026, 3, 1))[0]
    assert board.total_to_pay == 0 and all(item.settled for item in board.items)
    # Again: nothing left to settle, nothing recorded twice.
    client.post(f"/panel/companies/{cast.company_y.pk}/settle/", {"period": "2026-01", "scope": "up_to"})
    with in_office(cast.office_a):
        assert Settlement.objects.filter(company=cast.company_y).count() == 2
        assert CompanyChange.objects.filter(company=cast.company_y, action=CompanyChange.Action.SETTLED).count() == 1


def test_settling_refuses_a_bad_month_and_clients(office_client, cast):
    url = f"/panel/companies/{cast.company_y.pk}/settle/"
    office_client(cast.office_a, cast.alice).post(url, {"period": "2026-13", "scope": "month"})
    response = office_client(cast.office_a, cast.carol).post(url, {"period": "2026-01", "scope": "month"})
    assert response.status_code == 404
    with in_office(cast.office_a):
        assert not Settlement.objects.exists()


def test_the_company_page_lists_payments_waiting_for_their_item(office_client, cast):
    with in_office(cast.office_a):
        record_settlements_of([(cast.company_y, [SettlementEntry(parse_period("2026-05"), "ZUS", Decimal("1800.00"),
                                                               date(2026, 6, 15), payer_key=PESEL_CAROL)])],
                              source="program", program="optima")
    html = office_client(cast.office_a, cast.alice).get(f"/panel/companies/{cast.company_y.pk}/").content.decode()
    assert "2026-05 · ZUS" in html and "1\u00a0800,00\u00a0zł" in html
    assert PESEL_CAROL not in html  # the payer's PESEL is masked
