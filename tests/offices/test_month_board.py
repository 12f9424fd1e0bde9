"""The office's month board (/panel/board/): stages, filters, counts and totals, bulk actions, export, access,
constant queries; and settling one item on the company page."""

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clients.item_statuses import refresh_item_statuses
from clients.messaging.models import Message, Purpose
from clients.models import Company, CompanyChange, Person, Revision, Settlement, parse_period
from clients.month_board import month_board
from clients.self_service import mark_paid
from clients.unpaid import payment_items, unpaid_items
from offices.accounts.models import OfficeSettings
from sync.agents import create_agent
from sync.ingest import apply_batch
from tests.clients import batches as b
from tests.conftest import NIP_X, NIP_Y, PESEL_CAROL
from tests.offices.panel_support import bookkeeper, in_office  # noqa: F401

URL = "/panel/board/"
JAN = "2026-01"


@pytest.fixture
def reachable(cast):
    """Carol's person with an e-mail address, as a sync would give it."""
    with in_office(cast.office_a):
        Person.objects.filter(pesel=PESEL_CAROL).update(email="carol@example.com")


def _board(client, **params):
    response = client.get(URL, {"period": JAN, **params})
    assert response.status_code == 200
    return response


def _nips(response) -> list[str]:
    return [row.nip for row in response.context["rows"]]


def _row(response, nip):
    return next(row for row in response.context["rows"] if row.nip == nip)


def _due_in(company, days: int) -> None:
    """Give every approved item of the company's January a due date ``days`` from today (written below the
    services, so the items' stored status is refreshed as a data fix would)."""
    Revision.objects.filter(figure__company=company, figure__period=parse_period(JAN)).update(
        due_date=timezone.localdate() + timedelta(days=days))
    refresh_item_statuses([company.pk], [parse_period(JAN)])


# --- Stages, filters, counts, totals ------------------------------------------------------------------------


def test_the_board_shows_each_stage_of_each_company(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    response = _board(client)
    assert _nips(response) == [NIP_X, NIP_Y]
    x, y = _row(response, NIP_X), _row(response, NIP_Y)
    assert x.has_data and x.pending == 1  # X's January VAT changed after approval
    assert y.fully_approved and not y.summary_sent and not y.seen
    assert y.items == 2 and y.amount == Decimal("790.00") and y.paid_by_client == 0 and y.settled == 0
    html = response.content.decode()
    assert 'data-stage="approved"' in html and "Firma Y" in html


def test_the_payment_columns_read_the_one_payment_status(office_client, cast):
    """The board's left-to-pay is the payment items' own (clients.unpaid), company by company."""
    client = office_client(cast.office_a, cast.alice)
    response = _board(client)
    with in_office(cast.office_a):
        today = timezone.localdate()
        for company in (cast.company_x, cast.company_y):
            expected = sum((item.left_to_pay for item in unpaid_items(company, today, period=parse_period(JAN))),
                           Decimal("0"))
            assert _row(response, company.nip).left_to_pay == expected
            full = [(i.figure_id, i.status) for i in payment_items(company, today, period=parse_period(JAN))]
            light = [(i.figure_id, i.status) for i in payment_items(company, today, period=parse_period(JAN),
                                                                    light=True)]
            assert full == light


def test_filters_counts_and_totals(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    with in_office(cast.office_a):
        _due_in(cast.company_y, 2)
    response = _board(client)
    counts = response.context["board"].counts
    assert counts[""] == 2 and counts["to_approve"] == 1 and counts["not_sent"] == 1
    assert counts["due_soon"] == 1 and counts["no_data"] == 0
    assert _nips(_board(client, filter="not_sent")) == [NIP_Y]
    assert _nips(_board(client, filter="to_approve")) == [NIP_X]
    due = _board(client, filter="due_soon")
    assert _nips(due) == [NIP_Y]
    assert due.context["board"].totals.left_to_pay == Decimal("790.00")
    overdue = _board(client, filter="overdue")
    assert _nips(overdue) == [NIP_X]  # X's January items were due long ago
    assert _nips(_board(client, filter="no_data", period="2026-05")) == [NIP_X, NIP_Y]
    assert _nips(_board(client, q="firma y")) == [NIP_Y]
    assert _nips(_board(client, filter="nonsense")) == [NIP_X, NIP_Y]  # unknown filter: all


def test_paid_per_client_then_settled_moves_along_the_board(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    with in_office(cast.office_a):
        for item in unpaid_items(cast.company_y, timezone.localdate(), period=parse_period(JAN))[:1]:
            mark_paid(item, by=cast.carol)
    assert _nips(_board(client, filter="paid_not_settled")) == [NIP_Y]
    response = client.post(f"{URL}action/", {"action": "settle", "period": JAN, "company": [cast.company_y.pk],
                                             "scope": "selected"}, follow=True)
    assert "Oznaczono" in response.content.decode() or "settled" in response.content.decode()
    with in_office(cast.office_a):
        assert Settlement.objects.filter(company=cast.company_y, period=parse_period(JAN)).count() == 2
        change = CompanyChange.objects.get(company=cast.company_y, action=CompanyChange.Action.SETTLED)
        assert change.user == cast.alice and change.details["source"] == "bookkeeper"
    settled = _board(client, filter="settled")
    assert _nips(settled) == [NIP_Y] and _row(settled, NIP_Y).left_to_pay == 0
    assert _nips(_board(client, filter="paid_not_settled")) == []


def test_bulk_send_and_nudge_go_through_the_outbox(office_client, cast, reachable):
    client = office_client(cast.office_a, cast.alice)
    client.post(f"{URL}action/", {"action": "send", "period": JAN, "company": [cast.company_y.pk]})
    with in_office(cast.office_a):
        assert Message.objects.filter(company=cast.company_y, purpose=Purpose.SUMMARY).exists()
    row = _row(_board(client), NIP_Y)
    assert row.summary_queued and not row.summary_sent
    assert _nips(_board(client, filter="not_sent")) == []
    client.post(f"{URL}action/", {"action": "nudge", "period": JAN, "company": [cast.company_y.pk]})
    with in_office(cast.office_a):
        assert Message.objects.filter(company=cast.company_y, purpose=Purpose.REMINDER).exists()


def test_sent_then_seen_by_the_client(office_client, cast, reachable):
    client = office_client(cast.office_a, cast.alice)
    with in_office(cast.office_a):
        client.post(f"{URL}action/", {"action": "send", "period": JAN, "company": [cast.company_y.pk]})
        sent_at = timezone.now() - timedelta(hours=1)
        Message.objects.filter(company=cast.company_y, purpose=Purpose.SUMMARY).update(status="sent", sent_at=sent_at)
        type(cast.carol).objects.filter(pk=cast.carol.pk).update(last_login=sent_at - timedelta(days=1))
    assert _nips(_board(client, filter="not_seen")) == [NIP_Y]
    with in_office(cast.office_a):
        type(cast.carol).objects.filter(pk=cast.carol.pk).update(last_login=timezone.now())
    row = _row(_board(client), NIP_Y)
    assert row.summary_sent and row.seen
    assert _nips(_board(client, filter="not_seen")) == []


def test_all_matching_needs_the_count_shown(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    data = {"action": "settle", "period": JAN, "filter": "not_sent", "scope": "matching"}
    client.post(f"{URL}action/", {**data, "expected": 5})
    with in_office(cast.office_a):
        assert not Settlement.objects.exists()
    client.post(f"{URL}action/", {**data, "expected": 1})
    with in_office(cast.office_a):
        assert set(Settlement.objects.values_list("company__nip", flat=True)) == {NIP_Y}


def test_a_bulk_action_never_reaches_another_bookkeepers_company(office_client, cast, bookkeeper):  # noqa: F811
    with in_office(cast.office_a):
        OfficeSettings.objects.update(bookkeepers_see_assigned_only=True)
        Company.objects.filter(pk=cast.company_x.pk).update(assigned_to=bookkeeper)
    client = office_client(cast.office_a, bookkeeper)
    assert _nips(_board(client)) == [NIP_X]
    client.post(f"{URL}action/", {"action": "settle", "period": JAN, "company": [cast.company_y.pk]})
    with in_office(cast.office_a):
        assert not Settlement.objects.filter(company=cast.company_y).exists()


# --- Access ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [URL, f"{URL}export/"])
def test_clients_get_404_and_office_b_sees_its_own(office_client, cast, path):
    assert office_client(cast.office_a, cast.bob).get(path).status_code == 404
    assert office_client(cast.office_a, cast.bob).post(f"{URL}action/", {
        "action": "settle", "period": JAN, "company": [cast.company_x.pk]}).status_code == 404
    assert office_client(cast.office_a).get(path).status_code == 302  # to the login page
    dave = office_client(cast.office_b, cast.dave)
    assert [row.nip for row in dave.get(URL, {"period": JAN}).context["rows"]] == [cast.company_b.nip]


def test_the_navigation_links_the_board(office_client, cast):
    html = office_client(cast.office_a, cast.alice).get("/panel/").content.decode()
    assert 'href="/panel/board/"' in html


# --- Export -----------------------------------------------------------------------------------------------


def test_csv_export_polish_decimal_comma_and_formula_safe(office_client, cast):
    with in_office(cast.office_a):
        agent, _token = create_agent("Hostile")
        apply_batch(b.batch(b.company(0, b.make_nip(7777), "=HYPERLINK(\"http://x\")",
                                      taxes=[b.tax(0, JAN, "VAT-7", "1234.5")]), approve=True), agent)
    client = office_client(cast.office_a, cast.alice)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "pl"
    response = client.get(f"{URL}export/", {"period": JAN, "format": "csv"})
    assert response["Content-Type"].startswith("text/csv")
    text = b"".join(response.streaming_content).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";"))
    assert rows[0][:2] == ["NIP", "Firma"]
    hostile = next(row for row in rows if row[0] == b.make_nip(7777))
    assert hostile[1].startswith("'=")
    assert "1234,50" in hostile


def test_xlsx_export_of_a_filter(office_client, cast):
    from openpyxl import load_workbook  # noqa: PLC0415 - only this test reads a workbook

    client = office_client(cast.office_a, cast.alice)
    response = client.get(f"{URL}export/", {"period": JAN, "filter": "not_sent", "format": "xlsx"})
    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.values)
    assert len(values) == 2 and values[1][0] == NIP_Y and values[1][11] == 790


# --- Query count ------------------------------------------------------------------------------------------


def _add_companies(count: int, start: int) -> None:
    agent, _token = create_agent("Bulk")
    companies = [b.company(i, b.make_nip(20000 + start + i), f"Extra {start + i:03d}",
                           taxes=[b.tax(0, JAN, "VAT-7", 100 + i)], zus_entries=[b.zus(0, JAN, total=500)])
                 for i in range(count)]
    apply_batch(b.batch(*companies, approve=True), agent)


def _queries(client, params) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, params).status_code == 200
    return sum(1 for query in queries.captured_queries if not query["sql"].startswith("SET search_path"))


@pytest.mark.parametrize("params", [{"period": JAN}, {"period": JAN, "filter": "due_soon"},
                                    {"period": JAN, "q": "Extra", "filter": "settled"}])
def test_constant_queries_whatever_the_number_of_companies(office_client, cast, params):
    client = office_client(cast.office_a, cast.alice)
    with in_office(cast.office_a):
        _add_companies(3, 0)
    few = _queries(client, params)
    with in_office(cast.office_a):
        _add_companies(30, 100)
    many = _queries(client, params)
    assert few == many, (few, many)
    assert many <= 8  # the request's own (office, session, user, settings…) and one for the whole board


def test_the_board_is_one_statement_with_its_page(cast):
    with in_office(cast.office_a):
        _add_companies(60, 0)
        with CaptureQueriesContext(connection) as queries:
            board = month_board(Company.objects.all(), parse_period(JAN), timezone.localdate(), page=2)
            rows = board.rows[50:62]
        statements = [q for q in queries.captured_queries if not q["sql"].startswith("SET search_path")]
        assert len(statements) == 1
        assert len(rows) == 12 and board.totals.companies == 62
        assert [row.nip for row in rows] == [row.nip for row in list(board.rows)[50:]]


def test_pages_of_fifty(office_client, cast):
    with in_office(cast.office_a):
        _add_companies(60, 0)
    client = office_client(cast.office_a, cast.alice)
    first = _board(client)
    assert len(first.context["rows"]) == 50 and first.context["page"].paginator.count == 62
    assert len(_board(client, page=2).context["rows"]) == 12
    # As Django's Paginator.get_page: past the end or below 1 is the last page, anything else the first
    for page, expected in (("9", 2), ("0", 2), ("x", 1), ("", 1)):
        response = _board(client, page=page)
        assert response.context["page"].number == expected, page
        assert len(response.context["rows"]) == (12 if expected == 2 else 50)
    assert _nips(_board(client, page=2, filter="to_approve")) == [NIP_X]  # one page only: the first


def test_the_service_alone(cast):
    with in_office(cast.office_a):
        board = month_board(Company.objects.all(), parse_period(JAN), timezone.localdate(), filter_key="overdue")
        assert [row.nip for row in board.rows] == [NIP_X, NIP_Y]  # January's items were due long ago
        assert board.totals.overdue_amount == sum(row.left_to_pay for row in board.rows) > 0
        assert board.counts["overdue"] == 2


# --- Settling one item on the company page ----------------------------------------------------------------


def test_a_bookkeeper_settles_one_item(office_client, cast, bookkeeper):  # noqa: F811
    client = office_client(cast.office_a, bookkeeper)
    assert 'settle-item/"' in client.get(f"/panel/companies/{cast.company_y.pk}/").content.decode()
    page = client.get(f"/panel/companies/{cast.company_y.pk}/settle-item/")
    items = page.context["items"]
    assert sorted(item.tax_type for item in items) == ["CIT", "VAT-7"]
    cit = next(item for item in items if item.tax_type == "CIT")
    response = client.post(f"/panel/companies/{cast.company_y.pk}/settle-item/", {"figure": cit.figure_id},
                           follow=True)
    assert response.status_code == 200
    with in_office(cast.office_a):
        assert list(Settlement.objects.filter(company=cast.company_y).values_list("what", "amount")) == [
            ("CIT", Decimal("90.00"))]
        change = CompanyChange.objects.get(company=cast.company_y, action=CompanyChange.Action.SETTLED)
        assert change.user == bookkeeper and change.details["items"] == ["2026-01 CIT = 90.00"]
    assert [item.tax_type for item in response.context["items"]] == ["VAT-7"]
    # Twice, or another company's figure: nothing more.
    client.post(f"/panel/companies/{cast.company_y.pk}/settle-item/", {"figure": cit.figure_id})
    x_item = client.get(f"/panel/companies/{cast.company_x.pk}/settle-item/").context["items"][0]
    client.post(f"/panel/companies/{cast.company_y.pk}/settle-item/", {"figure": x_item.figure_id})
    with in_office(cast.office_a):
        assert Settlement.objects.count() == 1
        assert CompanyChange.objects.filter(action=CompanyChange.Action.SETTLED).count() == 1


def test_a_client_cannot_settle_an_item(office_client, cast):
    with in_office(cast.office_a):
        figure_id = unpaid_items(cast.company_x, timezone.localdate())[0].figure_id
    bob = office_client(cast.office_a, cast.bob)
    assert bob.post(f"/panel/companies/{cast.company_x.pk}/settle-item/", {"figure": figure_id}).status_code == 404
    assert bob.get(f"/panel/companies/{cast.company_x.pk}/settle-item/").status_code == 404
    with in_office(cast.office_a):
        assert not Settlement.objects.exists()
