"""The companies list (the bookkeeper's home): who sees what, search, filters, sort, pages, bulk approval,
htmx and plain requests, and a constant number of SQL queries whatever the number of companies."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.messaging.models import Message, Purpose
from clients.models import Company, Person, Revision, RevisionState, parse_period
from offices.accounts.models import OfficeSettings
from sync.agents import create_agent
from sync.ingest import apply_batch
from tests.clients import batches as b
from tests.conftest import NIP_B, NIP_X, NIP_Y, PESEL_BOB, PESEL_CAROL
from tests.offices.panel_support import HTMX, admin_user, bookkeeper, in_office  # noqa: F401

URL = "/panel/companies/"


def _names(response) -> list[str]:
    return [company.nip for company in response.context["companies"]]


def _limit_bookkeepers(office, bea, *companies):
    with in_office(office):
        row = OfficeSettings.load()
        row.bookkeepers_see_assigned_only = True
        row.save()
        Company.objects.filter(pk__in=[c.pk for c in companies]).update(assigned_to=bea)


# --- Who sees what -----------------------------------------------------------------------------------


def test_owner_sees_every_company_with_the_red_mark_where_something_waits(office_client, cast):
    response = office_client(cast.office_a, cast.alice).get(URL)
    assert response.status_code == 200
    assert _names(response) == [NIP_X, NIP_Y]
    rows = {c.nip: c for c in response.context["companies"]}
    assert rows[NIP_X].has_pending and not rows[NIP_Y].has_pending
    html = response.content.decode()
    assert html.count('data-pending="1"') == 1
    assert NIP_B not in html


def test_bookkeeper_sees_all_unless_the_office_limits_them(office_client, cast, bookkeeper):  # noqa: F811
    client = office_client(cast.office_a, bookkeeper)
    assert _names(client.get(URL)) == [NIP_X, NIP_Y]
    _limit_bookkeepers(cast.office_a, bookkeeper, cast.company_y)
    assert _names(client.get(URL)) == [NIP_Y]
    assert client.get(f"/panel/companies/{cast.company_x.pk}/").status_code == 404
    assert client.get(f"/panel/companies/{cast.company_y.pk}/").status_code == 200
    # owners and administrators still see everything
    assert _names(office_client(cast.office_a, cast.alice).get(URL)) == [NIP_X, NIP_Y]


def test_limited_bookkeeper_cannot_approve_other_companies_in_bulk(office_client, cast, bookkeeper):  # noqa: F811
    _limit_bookkeepers(cast.office_a, bookkeeper, cast.company_y)
    client = office_client(cast.office_a, bookkeeper)
    client.post(f"{URL}approve/", {"company": [cast.company_x.pk]})
    with in_office(cast.office_a):
        assert Revision.objects.filter(figure__company=cast.company_x, state=RevisionState.PENDING).count() == 2


def test_client_gets_404_and_office_b_sees_only_its_own(office_client, cast):
    assert office_client(cast.office_a, cast.bob).get(URL).status_code == 404
    assert office_client(cast.office_a, cast.bob).post(f"{URL}approve/", {"company": [cast.company_x.pk]}) \
        .status_code == 404
    response = office_client(cast.office_b, cast.dave).get(URL)
    assert _names(response) == [NIP_B]
    # company X's id in office B is office B's company (or nothing), never office A's
    page = office_client(cast.office_b, cast.dave).get(f"/panel/companies/{cast.company_x.pk}/")
    assert page.status_code == 404 or NIP_X not in page.content.decode()


# --- Search, filters, sort -------------------------------------------------------------------------------


def test_search_by_name_and_by_nip(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    assert _names(client.get(URL, {"q": "firma y"})) == [NIP_Y]
    assert _names(client.get(URL, {"q": NIP_X[4:]})) == [NIP_X]
    assert _names(client.get(URL, {"q": NIP_X[:5]})) == [NIP_X, NIP_Y]
    assert _names(client.get(URL, {"q": f"{NIP_X[:3]}-{NIP_X[3:6]}-{NIP_X[6:8]}-{NIP_X[8:]}"})) == [NIP_X]
    assert _names(client.get(URL, {"q": "nothing like this"})) == []


def test_filters(office_client, cast, bookkeeper):  # noqa: F811
    client = office_client(cast.office_a, cast.alice)
    assert _names(client.get(URL, {"unapproved": "on"})) == [NIP_X]
    # X has February data, Y has not
    assert _names(client.get(URL, {"missing": "2026-02"})) == [NIP_Y]
    assert _names(client.get(URL, {"missing": "2026-01"})) == []
    assert _names(client.get(URL, {"program": "optima"})) == [NIP_X, NIP_Y]
    assert _names(client.get(URL, {"program": "symfonia"})) == []
    with in_office(cast.office_a):
        Company.objects.filter(pk=cast.company_y.pk).update(enabled=False, assigned_to=bookkeeper)
    assert _names(client.get(URL, {"disabled": "yes"})) == [NIP_Y]
    assert _names(client.get(URL, {"disabled": "no"})) == [NIP_X]
    assert _names(client.get(URL, {"bookkeeper": str(bookkeeper.pk)})) == [NIP_Y]
    assert _names(client.get(URL, {"bookkeeper": "none"})) == [NIP_X]
    # nonsense in a filter is ignored, not an error
    assert client.get(URL, {"missing": "2026-13", "sort": "drop table", "page": "x"}).status_code == 200


def test_sort_orders(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    assert _names(client.get(URL, {"sort": "-name"})) == [NIP_Y, NIP_X]
    assert _names(client.get(URL, {"sort": "pending"}))[0] == NIP_X


def test_htmx_filter_returns_the_table_fragment(office_client, cast):
    response = office_client(cast.office_a, cast.alice).get(URL, {"q": "Firma X"}, HTTP_HX_TARGET="company-table",
                                                            **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.startswith('<div id="company-table">')
    assert "<html" not in html and "Firma X" in html and "Firma Y" not in html


# --- Bulk approval -------------------------------------------------------------------------------------


def test_bulk_approve_publishes_and_queues_the_latest_month_summary(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    with in_office(cast.office_a):  # bob and carol read their summaries by e-mail
        for pesel, email in ((PESEL_BOB, "bob.summary@example.com"), (PESEL_CAROL, "carol.summary@example.com")):
            Person.objects.filter(pesel=pesel).update(email=email, notify_email=True)
    response = client.post(f"{URL}approve/", {"company": [cast.company_x.pk, cast.company_y.pk],
                                              "send_summary": "on", "next": f"{URL}?q=Firma"})
    assert response.status_code == 302 and response["Location"] == f"{URL}?q=Firma"
    with in_office(cast.office_a):
        assert not Revision.objects.filter(figure__company__in=[cast.company_x, cast.company_y],
                                           state=RevisionState.PENDING).exists()
        # what bob sees now: the new January VAT
        vat = Revision.objects.get(figure__company=cast.company_x, figure__kind="tax:VAT-7",
                                   figure__period=parse_period("2026-01"), state=RevisionState.APPROVED)
        assert str(vat.amount) == "1050.00" and vat.approved_by == cast.alice
        summaries = Message.objects.filter(purpose=Purpose.SUMMARY, company__in=[cast.company_x, cast.company_y])
        assert dict(summaries.values_list("company_id", "period")) == {
            cast.company_x.pk: parse_period("2026-02"), cast.company_y.pk: parse_period("2026-01")}
        queued = summaries.count()
    # a second click changes nothing and queues nothing new
    client.post(f"{URL}approve/", {"company": [cast.company_x.pk], "send_summary": "on"})
    with in_office(cast.office_a):
        assert summaries.count() == queued


def test_bulk_approve_with_htmx_returns_the_refreshed_table(office_client, cast):
    response = office_client(cast.office_a, cast.alice).post(
        f"{URL}approve/", {"company": [cast.company_x.pk], "next": URL}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200 and html.startswith('<div id="company-table">')
    assert 'data-pending="1"' not in html
    assert 'class="messages"' in html


def test_bulk_approve_without_a_selection_says_so(office_client, cast):
    response = office_client(cast.office_a, cast.alice).post(f"{URL}approve/", {}, follow=True)
    assert response.status_code == 200
    assert [m.level_tag for m in response.context["messages"]] == ["error"]


def test_next_may_not_leave_the_office(office_client, cast):
    response = office_client(cast.office_a, cast.alice).post(
        f"{URL}approve/", {"company": [cast.company_y.pk], "next": "https://evil.example/"})
    assert response["Location"] == URL


# --- Pages and query counts ---------------------------------------------------------------------------------


def _add_companies(count: int, start: int) -> None:
    agent, _token = create_agent("Bulk")
    companies = [b.company(i, b.make_nip(20000 + start + i), f"Extra {start + i:03d}",
                           taxes=[b.tax(0, "2026-01", "VAT-7", 100 + i)]) for i in range(count)]
    apply_batch(b.batch(*companies), agent)


def _queries(client, params=None) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL, params or {}).status_code == 200
    # django-tenants' "SET search_path" statements are not queries of the page.
    return sum(1 for query in queries.captured_queries if not query["sql"].startswith("SET search_path"))


@pytest.mark.parametrize("params", [{}, {"unapproved": "on"}, {"q": "Extra", "sort": "pending"},
                                    {"missing": "2026-03", "program": "optima", "bookkeeper": "none"}])
def test_constant_queries_whatever_the_number_of_companies(office_client, cast, params):
    client = office_client(cast.office_a, cast.alice)
    with in_office(cast.office_a):
        _add_companies(3, 0)
    few = _queries(client, params)
    with in_office(cast.office_a):
        _add_companies(30, 100)
    many = _queries(client, params)
    assert few == many, (few, many)
    assert many <= 10  # 9, plus one on the days before a deadline (silent-agent banner)


def test_pages_of_fifty(office_client, cast):
    with in_office(cast.office_a):
        _add_companies(60, 0)
    client = office_client(cast.office_a, cast.alice)
    first = client.get(URL)
    assert len(first.context["companies"]) == 50
    second = client.get(URL, {"page": 2})
    assert len(second.context["companies"]) == 12
    assert not set(_names(first)) & set(_names(second))
    assert "page=2" in first.content.decode()
