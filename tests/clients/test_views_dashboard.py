"""The client dashboard: what bob (company X) has to pay, by when, to which account, with which title."""

import re
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_tenants.utils import schema_context

from clients.activation import link_login
from clients.dashboard import dashboard_for
from clients.models import Company, Person, parse_period
from clients.services import set_manual_value
from offices.accounts.models import Role
from offices.accounts.services import create_login
from sync.ingest import apply_batch
from tests.clients import batches as b
from tests.conftest import NIP_X


def nrb_for(nip: str) -> str:
    """The NIP micro-account computed here from the rule in docs/glossary.md (not with our code)."""
    bban = "10100071222" + "2" + nip + "00"
    check = 98 - int(bban + "252100") % 97  # "PL00" moved to the end, P=25 L=21
    return f"{check:02d}{bban}"


def test_the_micro_account_rule_matches_the_independent_test_vector():
    assert nrb_for("7831916366") == "56101000712222783191636600"


def _en(client):
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


def test_bob_sees_company_x_items_with_amounts_due_dates_accounts_and_titles(office_client, cast):
    response = _en(office_client(cast.office_a, cast.bob)).get("/client/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Firma X Sp. z o.o." in html
    account = nrb_for(NIP_X)
    assert f'data-copy="{account}"' in html
    # VAT: the approved 1,000.00, never the pending change (1,050.00) nor the unapproved February (1,100.00).
    assert "PLN\xa01,000.00" in html
    assert "1,050.00" not in html and "1050" not in html
    assert "1,100.00" not in html and "1100" not in html
    assert f"/TI/N{NIP_X}/OKR/26M01/SFP/VAT-7/TXT/VAT 01.2026" in html
    assert f"/TI/N{NIP_X}/OKR/26M01/SFP/PIT-36L/TXT/PIT-5L 01.2026" in html
    assert "PLN\xa0250.00" in html
    # ZUS: one transfer of the total; X has no NRS account on file, so the client is told to ask.
    assert "PLN\xa02,000.00" in html
    assert "Składki ZUS 01.2026" in html
    assert "Missing: your individual ZUS contribution account (NRS)." in html
    # Due dates from the revisions (apply_batch computed them): PIT and ZUS on the 20th, VAT on the 25th.
    assert '<time datetime="2026-02-20">20.02.2026</time>' in html
    assert '<time datetime="2026-02-25">25.02.2026</time>' in html
    # Carol's company never appears.
    assert "Firma Y" not in html


def test_the_dashboard_service_groups_items_by_due_date_with_days_left(cast):
    with schema_context(cast.office_a.schema_name):
        boards = dashboard_for(cast.bob, today=date(2026, 2, 10))
    assert [board.company.nip for board in boards] == [NIP_X]
    board = boards[0]
    assert [(g.due_date, g.days_left) for g in board.groups] == [(date(2026, 2, 20), 10), (date(2026, 2, 25), 15)]
    first, second = board.groups
    assert sorted((i.name, i.amount) for i in first.items) == [
        ("Income tax advance, linear (PIT-5L)", Decimal("250.00")), ("ZUS contributions", Decimal("2000.00"))]
    vat = second.items[0]
    assert (vat.tax_type, vat.amount, vat.account, vat.overdue) == ("VAT-7", Decimal("1000.00"), nrb_for(NIP_X),
                                                                      False)
    assert board.total_to_pay == Decimal("3250.00")
    assert board.waiting_for == []  # January, the month before 10 February, is approved


def test_waiting_for_data_and_overdue_items_carried_forward(cast):
    with schema_context(cast.office_a.schema_name):
        board = dashboard_for(cast.bob, today=date(2026, 3, 5))[0]
    # February has only a pending VAT: the office has not approved the month, so it is "waiting for data".
    assert board.waiting_for == [parse_period("2026-02")]
    # January's items are overdue and still shown.
    assert all(item.overdue for item in board.items)
    assert board.overdue_total == Decimal("3250.00")


def test_a_month_with_approved_data_is_not_waiting(cast):
    with schema_context(cast.office_a.schema_name):
        board = dashboard_for(cast.bob, today=date(2026, 2, 1))[0]
    assert board.waiting_for == []


def test_a_refund_is_shown_as_such_and_never_as_something_to_pay(office_client, cast):
    with schema_context(cast.office_a.schema_name):
        apply_batch(b.batch(b.company(0, NIP_X, taxes=[b.tax(0, "2026-01", "CIT", -321)]), approve=True), None)
        board = dashboard_for(cast.bob, today=date(2026, 2, 1))[0]
    refund = next(i for i in board.items if i.tax_type == "CIT")
    assert refund.refund and not refund.to_pay and refund.qr_payload is None
    assert board.total_to_pay == Decimal("3250.00")
    with translation.override("en"):
        html = _en(office_client(cast.office_a, cast.bob)).get("/client/").content.decode()
    article = re.search(r'<article class="pay-item is-refund".*?</article>', html, re.S).group(0)
    assert "Refund / surplus — nothing to pay" in article
    assert "PLN\xa0321.00" in article
    assert "I have paid this" not in article


def _nrs_account() -> str:
    """A made-up but check-digit-valid NRB, as ZUS assigns them."""
    bban = "600000020260017035031234"
    check = 98 - int(bban + "252100") % 97
    return f"{check:02d}{bban}"


def test_zus_without_a_total_is_the_sum_of_its_parts_and_uses_the_nrs_account(cast):
    nrs = _nrs_account()
    with schema_context(cast.office_a.schema_name):
        Company.objects.filter(nip=NIP_X).update(zus_account=nrs)
        x = Company.objects.get(nip=NIP_X)
        set_manual_value(x, parse_period("2026-03"), "zus:social", Decimal("1788.29"), by=cast.alice)
        set_manual_value(x, parse_period("2026-03"), "zus:health", Decimal("432.54"), by=cast.alice)
        board = dashboard_for(cast.bob, today=date(2026, 4, 1))[0]
    zus = next(i for i in board.items if i.group == "zus" and i.period == parse_period("2026-03"))
    assert zus.amount == Decimal("2220.83")
    assert zus.account == nrs
    assert zus.title == "Składki ZUS 03.2026"
    assert zus.due_date == date(2026, 4, 20)
    assert zus.qr_payload == f"|PL|{nrs}|222083|ZUS|Składki ZUS 03.2026|||"


def _client_with_history(cast, months: int):
    """A fresh client login whose company has ``months`` approved months of taxes, ZUS and statements."""
    seed = 7000 + months
    nip, pesel = b.make_nip(seed), b.make_pesel(seed)
    data = b.full_company(0, nip, b.months(2024, 1, 12)[:months] if months <= 12 else
                          b.months(2024, 1, 12) + b.months(2025, 1, months - 12),
                          people=[b.person(0, "Ola", "Nowak", pesel=pesel)])
    apply_batch(b.batch(data, approve=True), None)
    user = create_login(f"ola{months}@example.com", role=Role.CLIENT, password="x-long-password-1", verified=True)
    link_login(Person.objects.get(pesel=pesel), user)
    return user


@pytest.mark.parametrize("page", ["/client/", "company", "month"])
def test_query_count_does_not_grow_with_history(office_client, cast, page):
    counts = []
    for months in (1, 24):
        with schema_context(cast.office_a.schema_name):
            user = _client_with_history(cast, months)
            company = Company.objects.get(memberships__person__user=user)
        url = {"/client/": "/client/", "company": f"/client/company/{company.pk}/",
               "month": f"/client/company/{company.pk}/2024-01/"}[page]
        client = office_client(cast.office_a, user)
        client.get(url)  # warm caches (sessions, content types)
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url)
        assert response.status_code == 200
        # django-tenants sets the search path before queries: count the real ones.
        counts.append(sum(1 for q in queries.captured_queries if not q["sql"].startswith("SET search_path")))
    assert counts[0] == counts[1], counts
    assert counts[1] <= 13, counts  # domain, session, user, the page's own few (+ settlements, go-live per read)


def test_older_unpaid_months_are_carried_forward_in_a_compact_list(office_client, cast):
    with schema_context(cast.office_a.schema_name):
        user = _client_with_history(cast, 3)  # 2024-01..03, nothing marked paid
        board = dashboard_for(user, today=date(2026, 11, 24))[0]
    assert board.latest_period == parse_period("2024-03")
    assert {i.period for i in board.items if i in board.earlier} == {parse_period("2024-01"), parse_period("2024-02")}
    assert len(board.earlier) == 8 and all(i.overdue for i in board.earlier)
    html = office_client(cast.office_a, user).get("/client/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert html.count('<li id="item-') == 8
    assert board.total_to_pay == sum((i.amount for i in board.items), Decimal(0))
