"""Months are published whole or say what is missing (clients.expected_items): the rule, then the pages."""

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import translation
from django_tenants.utils import schema_context

from clients.approval import approve_company_period, approve_revision
from clients.dashboard import dashboard_for, month_view
from clients.expected_items import (
    ANY_ZUS,
    STATEMENTS,
    Slot,
    expected_slots,
    load_published,
    missing_for_month,
    missing_items,
    quarter_so_far,
)
from clients.messaging.models import Message
from clients.messaging.services import queue_summary
from clients.models import Company, Person, Revision, RevisionState, parse_period
from clients.pdf import month_pdf_html
from sync.ingest import apply_batch
from tests.clients import batches as b
from tests.conftest import NIP_X, PESEL_BOB

VAT, VAT_K, PIT5L, PIT4, CIT = (Slot("tax", t) for t in ("VAT-7", "VAT-7K", "PIT-5L", "PIT-4", "CIT"))
OWN_ZUS = Slot("zus", "")
PARTNER_PESEL = b.make_pesel(4242)
PARTNER_ZUS = Slot("zus", PARTNER_PESEL)


def month(value: str) -> date:
    return parse_period(value)


def company(vat="monthly", income_tax="linear", zus_payer="other", income_tax_period="") -> Company:
    """An unsaved company: the rule reads only its tax set-up."""
    return Company(nip=b.make_nip(1), vat=vat, income_tax=income_tax, zus_payer=zus_payer,
                   income_tax_period=income_tax_period)


def published(**months) -> dict:
    """``published(m2026_01={VAT, OWN_ZUS})`` → ``{date(2026, 1, 1): frozenset(...)}``."""
    return {month(name[1:].replace("_", "-")): frozenset(slots) for name, slots in months.items()}


def missing(firm, period, months, **kwargs) -> list[str]:
    return [item.key for item in missing_items(firm, month(period), months, **kwargs)]


# --- The rule -----------------------------------------------------------------------------------------------


def test_a_new_company_expects_what_its_tax_setup_names():
    firm = company()
    assert expected_slots(firm, month("2026-01"), {}) == [VAT, PIT5L, ANY_ZUS]
    # One manual VAT published: the PIT-5L advance and the ZUS contributions are still to come.
    assert missing(firm, "2026-01", published(m2026_01={VAT})) == ["tax:PIT-5L", "zus:*"]
    # Any payer's contributions are the set-up's ZUS.
    assert missing(firm, "2026-01", published(m2026_01={VAT, PIT5L, PARTNER_ZUS})) == []


def test_blank_or_exempt_setup_expects_nothing_and_cit_companies_expect_cit():
    assert expected_slots(company(vat="", income_tax="", zus_payer=""), month("2026-01"), {}) == []
    assert expected_slots(company(vat="exempt", income_tax="cit", zus_payer="legal_person"), month("2026-01"),
                          {}) == [CIT, ANY_ZUS]


def test_a_month_with_nothing_published_or_of_the_history_before_go_live_lists_nothing():
    firm = company()
    assert missing(firm, "2026-02", published(m2026_01={VAT})) == []  # the whole month waits (the dashboard says)
    assert missing(firm, "2026-01", published(m2026_01={VAT}), history=True) == []
    # A statement alone publishes the month: every item is then missing.
    assert missing(firm, "2026-01", published(m2026_01={STATEMENTS})) == ["tax:VAT-7", "tax:PIT-5L", "zus:*"]


@pytest.mark.parametrize(("period", "expects_vat_7k"), [
    ("2026-01", False), ("2026-02", False), ("2026-03", True), ("2026-06", True), ("2026-11", False),
    ("2026-12", True),
])
def test_quarterly_vat_is_expected_only_in_the_last_month_of_a_quarter(period, expects_vat_7k):
    firm = company(vat="quarterly")
    assert (VAT_K in expected_slots(firm, month(period), {})) is expects_vat_7k
    months = {month(period): frozenset({PIT5L, OWN_ZUS})}
    assert ("tax:VAT-7K" in missing(firm, period, months)) is expects_vat_7k


def test_quarterly_income_tax_advances_wait_for_the_quarter_and_say_so():
    firm = company(income_tax_period="quarterly")
    assert missing(firm, "2026-02", published(m2026_02={VAT, OWN_ZUS})) == []
    (item,) = missing_items(firm, month("2026-03"), published(m2026_03={VAT, OWN_ZUS}))
    assert (item.key, item.quarterly, item.period_label) == ("tax:PIT-5L", True, "1 kw. 2026")
    assert item.text == ("Waiting for data: Income tax advance, linear (PIT-5L) for 1 kw. 2026 — the office has "
                         "not published it yet.")
    # Published in another month of the quarter so far: the quarter has it.
    assert missing(firm, "2026-03", published(m2026_02={PIT5L}, m2026_03={VAT, OWN_ZUS})) == []
    assert quarter_so_far(month("2026-05")) == [month("2026-04"), month("2026-05")]


def test_items_of_two_of_the_last_three_published_months_are_expected():
    firm = company()
    full = {VAT, PIT5L, OWN_ZUS}
    with_pit4_twice = published(m2025_10=full | {PIT4}, m2025_11=full, m2025_12=full | {PIT4}, m2026_01={VAT})
    assert missing(firm, "2026-01", with_pit4_twice) == ["tax:PIT-4", "tax:PIT-5L", "zus:"]
    # Once in the last three published months is not a habit (the fourth month back does not count).
    with_pit4_once = published(m2025_09=full | {PIT4}, m2025_10=full | {PIT4}, m2025_11=full, m2025_12=full,
                               m2026_01=full)
    assert missing(firm, "2026-01", with_pit4_once) == []
    # Months with nothing published are skipped, not counted as "not there".
    gap = published(m2025_06=full | {PIT4}, m2025_09=full | {PIT4}, m2026_01=full)
    assert missing(firm, "2026-01", gap) == ["tax:PIT-4"]
    # More than WINDOW months back is not read.
    old = published(m2024_01=full | {PIT4}, m2024_02=full | {PIT4}, m2026_01=full)
    assert missing(firm, "2026-01", old) == []


def test_the_history_names_the_zus_payers_and_masks_a_pesel():
    firm = company()
    months = published(m2025_11={VAT, PIT5L, OWN_ZUS, PARTNER_ZUS}, m2025_12={VAT, PIT5L, OWN_ZUS, PARTNER_ZUS},
                       m2026_01={VAT, PIT5L, OWN_ZUS})
    (item,) = missing_items(firm, month("2026-01"), months)
    assert item.key == f"zus:{PARTNER_PESEL}"
    assert item.payer_label == "******" + PARTNER_PESEL[-5:]
    assert PARTNER_PESEL not in item.text and item.payer_label in item.text
    # The payers the history names stand for the set-up's "ZUS of any payer": one line per payer, no more.
    months[month("2026-01")] = frozenset({VAT, PIT5L})
    assert missing(firm, "2026-01", months) == ["zus:", f"zus:{PARTNER_PESEL}"]


def test_the_setup_gives_way_to_a_history_that_never_has_the_item():
    firm = company()  # the set-up says PIT-5L, the office never publishes one (a loss every month)
    never = published(m2025_10={VAT, OWN_ZUS}, m2025_11={VAT, OWN_ZUS}, m2025_12={VAT, OWN_ZUS}, m2026_01={VAT})
    assert missing(firm, "2026-01", never) == ["zus:"]
    # Two months of history are not enough to overrule the set-up.
    short = published(m2025_12={VAT, OWN_ZUS}, m2026_01={VAT, OWN_ZUS})
    assert missing(firm, "2026-01", short) == ["tax:PIT-5L"]


def test_the_setup_wins_over_a_history_of_another_vat_or_income_tax_form():
    # Switched from monthly VAT-7 and CIT to quarterly VAT and PIT-5L: neither old form is expected any more.
    firm = company(vat="quarterly")
    old_forms = {Slot("tax", "VAT-7"), CIT, PIT5L, OWN_ZUS}
    months = published(m2025_11=old_forms, m2025_12=old_forms, m2026_01={PIT5L, OWN_ZUS})
    assert missing(firm, "2026-01", months) == []


# --- Reading what is published, and the pages ----------------------------------------------------------------

FEB = "2026-02"


def _x(cast) -> Company:
    return Company.objects.get(nip=NIP_X)


def _publish_february_vat(cast) -> Company:
    """X's February VAT (pending since the cast's sync) is approved alone: a partly published month."""
    x = _x(cast)
    approve_revision(Revision.objects.get(figure__company=x, figure__period=month(FEB), figure__kind="tax:VAT-7",
                                          state=RevisionState.PENDING), by_user=cast.alice)
    return x


def _complete_february(cast) -> None:
    apply_batch(b.batch(b.company(0, NIP_X, "Firma X Sp. z o.o.", taxes=[b.tax(0, FEB, "PIT-5L", 260)],
                                  zus_entries=[b.zus(0, FEB, total=2000)])), None)
    approve_company_period(_x(cast), month(FEB), by_user=cast.alice)


def test_published_months_are_read_in_one_query(cast):
    with schema_context(cast.office_a.schema_name):
        x = _publish_february_vat(cast)
        with CaptureQueriesContext(connection) as queries:
            found = load_published([x], month(FEB))[x.pk]
    assert len([q for q in queries.captured_queries if not q["sql"].startswith("SET search_path")]) == 1
    assert found[month(FEB)] == {VAT}
    assert found[month("2026-01")] == {VAT, PIT5L, OWN_ZUS, STATEMENTS}


def test_the_dashboard_month_page_pdf_and_summary_say_what_is_missing_until_it_is_approved(cast, office_client):
    client = office_client(cast.office_a, cast.bob)
    with schema_context(cast.office_a.schema_name):
        x = _publish_february_vat(cast)
        board = dashboard_for(cast.bob, today=date(2026, 3, 5))[0]
    assert board.latest_period == month(FEB)
    assert [item.key for item in board.missing] == ["tax:PIT-5L", "zus:*"]
    assert board.waiting_for == []  # February is published, in part

    dashboard = client.get("/client/").content.decode()  # Polish, the office's language
    assert 'data-waiting="tax:PIT-5L"' in dashboard and 'data-waiting="zus:*"' in dashboard
    assert ("Czekamy na dane: Zaliczka na podatek liniowy (PIT-5L) za 02.2026 — biuro jeszcze ich nie "
            "opublikowało.") in dashboard
    assert "Czekamy na dane: Składki ZUS za 02.2026" in dashboard
    month_page = client.get(f"/client/company/{x.pk}/{FEB}/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Waiting for data: ZUS contributions for 02.2026 — the office has not published it yet." in month_page
    assert month_page.count('class="notice waiting"') == 2
    with schema_context(cast.office_a.schema_name), translation.override("pl"):
        pdf = month_pdf_html(x, month(FEB), office=cast.office_a)
        person = Person.objects.get(pesel=PESEL_BOB)
        person.email, person.notify_email = "bob@example.com", True
        person.save()
        assert queue_summary(x, month(FEB))
        summary = Message.objects.get(company=x, period=month(FEB), purpose="summary", channel="email")
    assert 'data-waiting="zus:*"' in pdf and "Czekamy na dane: Składki ZUS za 02.2026" in pdf
    assert "Czekamy na dane: Składki ZUS za 02.2026" in summary.body and "Czekamy na dane" in summary.html

    # A pending value is not published: still waiting. Approved: the lines are gone.
    with schema_context(cast.office_a.schema_name):
        apply_batch(b.batch(b.company(0, NIP_X, taxes=[b.tax(0, FEB, "PIT-5L", 260)])), None)
        assert [item.key for item in missing_for_month(x, month(FEB))] == ["tax:PIT-5L", "zus:*"]
        _complete_february(cast)
        assert missing_for_month(x, month(FEB)) == []
        assert month_view(x, month(FEB), date(2026, 3, 5)).missing == []
    assert "data-waiting" not in client.get("/client/").content.decode()
    assert "data-waiting" not in client.get(f"/client/company/{x.pk}/{FEB}/").content.decode()


def test_a_complete_month_says_nothing(cast, office_client):
    html = office_client(cast.office_a, cast.bob).get("/client/").content.decode()
    assert "data-waiting" not in html  # X's January has its VAT, PIT-5L and ZUS
