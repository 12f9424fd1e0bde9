"""Going live: approved items before the go-live month are history (settled without payment confirmation),
unless a settlement or the client's mark says otherwise; per office, changeable per company."""

from datetime import date
from decimal import Decimal

from django_tenants.utils import schema_context

from clients.dashboard import dashboard_for
from clients.models import Company, CompanyChange, parse_period
from clients.office_settling import set_company_go_live
from clients.settlements import SettlementEntry, record_settlements_of
from offices.accounts.models import OfficeSettings

TODAY = date(2026, 3, 10)  # January's VAT and CIT of company Y would be overdue by now


def _go_live(month):
    row = OfficeSettings.load()
    row.go_live_month = parse_period(month) if month else None
    row.save()


def _board(cast):
    return dashboard_for(cast.carol, today=TODAY)[0]


def test_without_a_go_live_month_history_is_overdue(cast):
    with schema_context(cast.office_a.schema_name):
        assert _board(cast).overdue_total == Decimal("790.00")


def test_history_before_the_go_live_month_is_settled_without_confirmation(office_client, cast):
    with schema_context(cast.office_a.schema_name):
        _go_live("2026-02")
        board = _board(cast)
    assert board.total_to_pay == 0 and board.overdue_total == 0
    assert all(item.unconfirmed and item.settled and not item.to_pay for item in board.items)
    client = office_client(cast.office_a, cast.carol)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "pl"
    html = client.get("/client/").content.decode()
    assert "bez potwierdzenia płatności" in html and "po terminie" not in html


def test_a_settlement_says_otherwise_and_a_company_may_go_live_earlier(cast):
    with schema_context(cast.office_a.schema_name):
        _go_live("2026-02")
        # The books say only 600.00 of the 700.00 VAT was paid: the dopłata is due, history or not.
        paid = SettlementEntry(parse_period("2026-01"), "VAT-7", Decimal("600.00"))
        record_settlements_of([(cast.company_y, [paid])], source="program")
        vat = next(i for i in _board(cast).items if i.tax_type == "VAT-7")
        assert (vat.left_to_pay, vat.overdue) == (Decimal("100.00"), True)
        # A fresh instance: the cast's objects are shared by the whole session and must not change.
        y = Company.objects.get(pk=cast.company_y.pk)
        assert set_company_go_live(y, parse_period("2026-01"), by=cast.alice) is True
        cit = next(i for i in _board(cast).items if i.tax_type == "CIT")
        assert cit.to_pay and cit.overdue  # January is no longer history for this company
        assert CompanyChange.objects.get(company=cast.company_y, action=CompanyChange.Action.GO_LIVE).details == {
            "go_live_month": ["", "2026-01"]}


def test_the_panel_sets_the_office_and_the_company_go_live_month(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    response = client.post(f"/panel/companies/{cast.company_y.pk}/go-live/", {"go_live_month": "2026-02"})
    assert response.status_code == 302
    with schema_context(cast.office_a.schema_name):
        assert Company.objects.get(pk=cast.company_y.pk).go_live_month == date(2026, 2, 1)
        assert _board(cast).overdue_total == 0
    client.post(f"/panel/companies/{cast.company_y.pk}/go-live/", {"go_live_month": "2026-2"})  # refused
    with schema_context(cast.office_a.schema_name):
        assert Company.objects.get(pk=cast.company_y.pk).go_live_month == date(2026, 2, 1)
    assert office_client(cast.office_a, cast.carol).post(
        f"/panel/companies/{cast.company_y.pk}/go-live/", {"go_live_month": ""}).status_code == 404
