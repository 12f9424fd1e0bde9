"""The payment status of an item: due → paid per the client → settled, and dopłata / nadpłata after a correction,
as the client sees it on the page and in the PDF."""

import io
import re
from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation
from django_tenants.utils import schema_context
from pypdf import PdfReader

from clients.dashboard import dashboard_for, item_for_figure, month_view
from clients.models import CompanyChange, Figure, parse_period
from clients.payment_status import PaymentState, status_of
from clients.pdf import render_month_pdf
from clients.self_service import mark_paid
from clients.services import set_manual_value
from clients.settlements import SettlementEntry, record_settlements_of, unmatched_settlements

JAN = parse_period("2026-01")
D = Decimal


@pytest.mark.parametrize(("amount", "marked", "settled", "state", "left", "more", "over"), [
    ("100.00", None, None, PaymentState.DUE, "100.00", "0", "0"),
    ("100.00", "100.00", None, PaymentState.PAID_BY_CLIENT, "0", "0", "0"),
    ("100.00", None, "100.00", PaymentState.SETTLED, "0", "0", "0"),
    ("100.00", None, "100.00", PaymentState.SETTLED, "0", "0", "0"),
    # corrected after payment: raised → dopłata of the difference only; lowered → nadpłata, nothing to pay
    ("1300.00", None, "1250.00", PaymentState.DUE, "50.00", "50.00", "0"),
    ("1205.69", None, "1250.00", PaymentState.SETTLED, "0", "0", "44.31"),
    ("1205.69", "1250.00", None, PaymentState.PAID_BY_CLIENT, "0", "0", "44.31"),
    ("1300.00", "1250.00", None, PaymentState.DUE, "50.00", "50.00", "0"),
    # the office's word outranks the client's mark (a smaller mark changes nothing)…
    ("100.00", "40.00", "100.00", PaymentState.SETTLED, "0", "0", "0"),
    # …unless the client marked the corrected, higher amount paid after paying the dopłata
    ("1300.00", "1300.00", "1250.00", PaymentState.PAID_BY_CLIENT, "0", "0", "0"),
    ("-50.00", None, None, PaymentState.NOTHING, "0", "0", "0"),
    ("0.00", None, "10.00", PaymentState.NOTHING, "0", "0", "0"),
])
def test_status_rules(amount, marked, settled, state, left, more, over):
    status = status_of(D(amount), marked=D(marked) if marked else None, settled=D(settled) if settled else None)
    assert status.state == state
    assert (status.left_to_pay, status.additional_payment, status.overpayment) == (D(left), D(more), D(over))


def _settle(company, what, amount, period=JAN):
    return record_settlements_of([(company, [SettlementEntry(period, what, D(amount), date(2026, 2, 20))])],
                                 source="program", program="optima")


def test_a_settled_item_is_not_to_pay_and_a_repeat_changes_nothing(cast):
    with schema_context(cast.office_a.schema_name):
        counts = _settle(cast.company_y, "VAT-7", "700.00")
        assert counts.as_json() == {"recorded": 1, "unchanged": 0, "unmatched": 0}
        assert _settle(cast.company_y, "VAT-7", "700.00").as_json() == {"recorded": 0, "unchanged": 1, "unmatched": 0}
        assert CompanyChange.objects.filter(company=cast.company_y, action=CompanyChange.Action.SETTLED).count() == 1
        board = dashboard_for(cast.carol, today=date(2026, 3, 10))[0]
    vat = next(i for i in board.items if i.tax_type == "VAT-7")
    assert vat.settled and not vat.to_pay and not vat.overdue
    assert board.total_to_pay == D("90.00") and board.overdue_total == D("90.00")  # only the CIT is left


def test_a_settlement_before_its_item_is_kept_listed_and_applies_when_the_item_arrives(cast):
    feb = parse_period("2026-02")
    with schema_context(cast.office_a.schema_name):
        assert _settle(cast.company_y, "CIT", "55.00", feb).unmatched == 1
        assert [(s.company_id, s.what) for s in unmatched_settlements()] == [(cast.company_y.pk, "CIT")]
        set_manual_value(cast.company_y, feb, "tax:CIT", D("55.00"), by=cast.alice)
        assert unmatched_settlements() == []
        item = next(i for i in month_view(cast.company_y, feb, date(2026, 3, 1)).items if i.tax_type == "CIT")
    assert item.settled and not item.to_pay


def _item_html(office_client, cast, period="2026-01"):
    client = office_client(cast.office_a, cast.carol)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "pl"
    html = client.get(f"/client/company/{cast.company_y.pk}/{period}/").content.decode()
    return re.search(r'<article class="pay-item[^"]*"[^>]*>(?:(?!</article>).)*VAT.*?</article>', html, re.S).group(0)


def _pdf_text(cast):
    with schema_context(cast.office_a.schema_name), translation.override("pl"):
        pdf = render_month_pdf(cast.company_y, JAN, office=cast.office_a)
    return re.sub(r"\s+", " ", "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages))


def test_paid_then_lowered_shows_the_overpayment_and_never_offers_it_again(office_client, cast):
    with schema_context(cast.office_a.schema_name):
        set_manual_value(cast.company_y, JAN, "tax:VAT-7", D("1250.00"), by=cast.alice)
        _settle(cast.company_y, "VAT-7", "1250.00")
        set_manual_value(cast.company_y, JAN, "tax:VAT-7", D("1205.69"), by=cast.alice)  # the correction
        vat = item_for_figure(Figure.objects.get(company=cast.company_y, kind="tax:VAT-7"), date(2026, 2, 1))
    assert (vat.status.overpayment, vat.left_to_pay, vat.qr_payload) == (D("44.31"), D("0"), None)
    article = _item_html(office_client, cast)
    assert 'data-overpayment="44.31"' in article and "nadpłata" in article and "44,31" in article
    assert "Dopłać" not in article and "/qr" not in article and "Oznacz jako zapłacone" not in article
    text = _pdf_text(cast)
    assert "nadpłata" in text and "44,31" in text


def test_paid_then_raised_asks_only_for_the_difference(office_client, cast):
    with schema_context(cast.office_a.schema_name):
        set_manual_value(cast.company_y, JAN, "tax:VAT-7", D("1250.00"), by=cast.alice)
        vat = item_for_figure(Figure.objects.get(company=cast.company_y, kind="tax:VAT-7"), date(2026, 2, 1))
        mark_paid(vat, by=cast.carol)  # the client paid 1,250.00
        set_manual_value(cast.company_y, JAN, "tax:VAT-7", D("1300.00"), by=cast.alice)
        vat = item_for_figure(Figure.objects.get(company=cast.company_y, kind="tax:VAT-7"), date(2026, 2, 1))
        board = dashboard_for(cast.carol, today=date(2026, 2, 1))[0]
    assert (vat.status.additional_payment, vat.left_to_pay) == (D("50.00"), D("50.00"))
    assert "|005000|" in vat.qr_payload  # the QR code asks for the 50.00 difference, not 1,300.00 again
    assert board.total_to_pay == D("50.00") + D("90.00")
    article = _item_html(office_client, cast)
    assert 'data-additional="50.00"' in article and "dopłata" in article
    assert re.search(r"<code>50[.,]00</code>", article)  # the amount to copy is the difference
    assert "dopłata" in _pdf_text(cast) and "50,00" in _pdf_text(cast)
