"""The stored payment status of every item (``ItemStatus``) follows each service that changes an input of the one
status rule — approval, settlements (books, bank statement, bookkeeper), the client's paid marks and their undo,
a correction after payment, go-live months (company and office), erasure — and equals, for a varied office, the
status computed afresh by ``clients.unpaid.payment_items``. Nothing here calls ``refresh_item_statuses`` except
the backfill test: the rows must come from the writers themselves."""

import importlib
from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest
from django.utils import timezone
from django_tenants.utils import schema_context

from clients.approval import approve_company, approve_company_period
from clients.bank_statements import import_statement
from clients.models import Company, ItemStatus, Person, StatementSource, parse_period
from clients.models_payments import ZUS_ITEM
from clients.office_settling import set_company_go_live, settle_approved, settle_item
from clients.payment_status import PaymentState
from clients.privacy import erase_person
from clients.self_service import mark_paid, unmark_paid
from clients.services import set_manual_value
from clients.settlements import SettlementEntry, record_settlements_of
from clients.unpaid import payment_items
from offices.accounts.models import OfficeSettings
from sync.agents import create_agent
from sync.ingest import apply_batch
from tests.clients import batches as b
from tests.clients.bank_files import reparse, statement, y_lines
from tests.conftest import PESEL_CAROL

JAN, FEB, MAR = parse_period("2026-01"), parse_period("2026-02"), parse_period("2026-03")
D = Decimal


def _settings_form(**values) -> dict:
    """The office settings page's form as a browser posts it (checkboxes off are left out)."""
    data = {"match_payers": "on", "auto_create_companies": "on", "sync_interval_minutes": "60",
            "office_name": "Biuro Alfa", "reminder_days": "3,1", "quiet_hours_start": "21:00",
            "quiet_hours_end": "08:00", "undo_window_minutes": "5", **values}
    return {key: value for key, value in data.items() if value != ""}


def _fresh(companies=None) -> dict:
    """Every item's status as the one rule computes it now (full items, as the client's pages build them)."""
    companies = list(companies if companies is not None else Company.objects.order_by("pk"))
    return {(item.company.pk, item.period, ZUS_ITEM if item.group == "zus" else item.tax_type, item.payer_key):
            (item.figure.pk, item.status.amount, item.due_date, item.status.state, item.status.paid,
             item.status.by_office, item.status.left_to_pay)
            for item in payment_items(companies, timezone.localdate())}


def _stored(companies=None) -> dict:
    rows = ItemStatus.objects.all()
    if companies is not None:
        rows = rows.filter(company__in=companies)
    return {(row.company_id, row.period, row.what, row.payer_key):
            (row.figure_id, row.amount, row.due_date, row.state, row.paid, row.by_office, row.left_to_pay)
            for row in rows}


def _state(company, what, period=JAN, payer_key="") -> tuple[str, Decimal]:
    row = ItemStatus.objects.get(company=company, period=period, what=what, payer_key=payer_key)
    return row.state, row.left_to_pay


def _y_item(cast, tax_type):
    return next(item for item in payment_items(cast.company_y, timezone.localdate(), period=JAN)
                if item.tax_type == tax_type)


# --- One test per writer ------------------------------------------------------------------------------------


def test_the_cast_was_stored_as_it_was_approved(cast):
    with schema_context(cast.office_a.schema_name):
        assert _stored() == _fresh()
        assert _state(cast.company_y, "VAT-7") == (PaymentState.DUE, D("700.00"))
        assert not ItemStatus.objects.filter(company=cast.company_x, period=FEB).exists()  # pending only


def test_approving_a_change_updates_the_amount(cast):
    with schema_context(cast.office_a.schema_name):
        assert _state(cast.company_x, "VAT-7") == (PaymentState.DUE, D("1000.00"))
        approve_company_period(cast.company_x, JAN, by_user=cast.alice)
        assert _state(cast.company_x, "VAT-7") == (PaymentState.DUE, D("1050.00"))
        approve_company(cast.company_x, by_user=cast.alice)  # February's first value: a new item
        assert _state(cast.company_x, "VAT-7", FEB) == (PaymentState.DUE, D("1100.00"))
        assert _stored() == _fresh()


def test_a_settlement_from_the_books_settles_and_a_smaller_one_leaves_a_doplata(cast):
    with schema_context(cast.office_a.schema_name):
        record_settlements_of([(cast.company_y, [SettlementEntry(JAN, "VAT-7", D("700.00"))])], source="program")
        assert _state(cast.company_y, "VAT-7") == (PaymentState.SETTLED, D("0"))
        record_settlements_of([(cast.company_y, [SettlementEntry(JAN, "VAT-7", D("650.00"))])], source="program")
        assert _state(cast.company_y, "VAT-7") == (PaymentState.DUE, D("50.00"))
        assert _stored() == _fresh()


def test_a_bookkeepers_settle_by_month_and_by_item(cast):
    with schema_context(cast.office_a.schema_name):
        settle_approved([cast.company_x], by=cast.alice, period=JAN)
        assert {row.state for row in ItemStatus.objects.filter(company=cast.company_x)} == {PaymentState.SETTLED}
        settle_item(cast.company_y, _y_item(cast, "CIT").figure_id, by=cast.alice)
        assert _state(cast.company_y, "CIT") == (PaymentState.SETTLED, D("0"))
        assert _state(cast.company_y, "VAT-7") == (PaymentState.DUE, D("700.00"))
        assert _stored() == _fresh()


def test_a_clients_mark_and_its_undo(cast):
    with schema_context(cast.office_a.schema_name):
        item = _y_item(cast, "VAT-7")
        mark_paid(item, by=cast.carol)
        assert _state(cast.company_y, "VAT-7") == (PaymentState.PAID_BY_CLIENT, D("0"))
        unmark_paid(item)
        assert _state(cast.company_y, "VAT-7") == (PaymentState.DUE, D("700.00"))
        assert _stored() == _fresh()


def test_a_correction_after_payment_is_a_nadplata(cast):
    with schema_context(cast.office_a.schema_name):
        mark_paid(_y_item(cast, "VAT-7"), by=cast.carol)
        set_manual_value(cast.company_y, JAN, "tax:VAT-7", D("650.00"), by=cast.alice)  # published at once
        row = ItemStatus.objects.get(company=cast.company_y, period=JAN, what="VAT-7")
        assert (row.state, row.amount, row.paid, row.left_to_pay) == (
            PaymentState.PAID_BY_CLIENT, D("650.00"), D("700.00"), D("0"))
        set_manual_value(cast.company_y, JAN, "tax:VAT-7", D("760.00"), by=cast.alice)  # raised: dopłata
        assert _state(cast.company_y, "VAT-7") == (PaymentState.DUE, D("60.00"))
        assert _stored() == _fresh()


def test_a_bank_statement_import(cast):
    with schema_context(cast.office_a.schema_name):
        import_statement(reparse(statement(y_lines())), source=StatementSource.PANEL, by=cast.alice)
        assert _state(cast.company_y, "VAT-7") == (PaymentState.SETTLED, D("0"))
        assert _state(cast.company_y, "CIT") == (PaymentState.SETTLED, D("0"))
        assert _stored() == _fresh()


def test_a_companys_go_live_month_and_back(cast):
    with schema_context(cast.office_a.schema_name):
        set_company_go_live(cast.company_y, FEB, by=cast.alice)
        assert _state(cast.company_y, "VAT-7") == (PaymentState.HISTORY, D("0"))
        assert _stored() == _fresh()
        set_company_go_live(cast.company_y, None, by=cast.alice)
        assert _state(cast.company_y, "VAT-7") == (PaymentState.DUE, D("700.00"))
        assert _stored() == _fresh()


def test_the_offices_go_live_month_set_in_the_panel(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    response = client.post("/panel/settings/", _settings_form(go_live_month="2026-02"))
    assert response.status_code == 302
    with schema_context(cast.office_a.schema_name):
        assert OfficeSettings.load().go_live_month == FEB
        assert _state(cast.company_y, "CIT") == (PaymentState.HISTORY, D("0"))
        assert _stored() == _fresh()
    client.post("/panel/settings/", _settings_form())  # no go-live month: history is a debt again
    with schema_context(cast.office_a.schema_name):
        assert _state(cast.company_y, "CIT") == (PaymentState.DUE, D("90.00"))
        assert _stored() == _fresh()


def test_an_erased_payers_zus_keeps_its_status_under_the_pseudonym(cast):
    with schema_context(cast.office_a.schema_name):
        agent, _token = create_agent("Payers")
        apply_batch(b.batch(b.company(1, cast.company_y.nip, zus_entries=[
            b.zus(0, "2026-01", total="321.00", payer_pesel=PESEL_CAROL)]), approve=True), agent)
        assert _state(cast.company_y, ZUS_ITEM, payer_key=PESEL_CAROL) == (PaymentState.DUE, D("321.00"))
        erase_person(Person.objects.get(pesel=PESEL_CAROL), by=cast.alice, reason="test")
        assert not ItemStatus.objects.filter(payer_key=PESEL_CAROL).exists()
        assert _stored() == _fresh()


# --- A varied office: stored = computed ---------------------------------------------------------------------


def _varied_office(by):
    """Twelve companies over three months, every case of the rule, all through the services."""
    agent, _token = create_agent("Varied")
    companies = []
    for i in range(12):
        taxes = [b.tax(3 * m, period, "VAT-7", 500 + 10 * i + m) for m, period in
                 enumerate(("2026-01", "2026-02", "2026-03"))]
        taxes += [b.tax(3 * m + 1, period, "PIT-4", 100 + i) for m, period in enumerate(("2026-01", "2026-02"))]
        if i % 4 == 0:
            taxes.append(b.tax(40, "2026-02", "CIT", -75))  # a refund: nothing to pay
        zus = [b.zus(0, "2026-01", total=1200 + i)]
        parts = b.zus(1, "2026-02", total=1300, social="900.00", health="400.00")
        zus.append(parts if i % 3 else replace(parts, total=None))  # every 3rd: the parts without a total
        if i % 5 == 0:
            zus.append(b.zus(2, "2026-02", total="250.00", payer_pesel=b.make_pesel(100 + i)))
        companies.append(b.company(i, b.make_nip(40_000 + i), f"Varied {i:02d}", taxes=taxes, zus_entries=zus))
    apply_batch(b.batch(*companies, approve=True), agent)
    made = list(Company.objects.filter(name__startswith="Varied").order_by("name"))
    # A later sync changes every 6th company's February VAT (pending, not approved: the stored row keeps the old)
    apply_batch(b.batch(*[b.company(i, made[i].nip, taxes=[b.tax(0, "2026-02", "VAT-7", 9999)])
                          for i in range(0, 12, 6)]), agent)
    record_settlements_of([(company, [SettlementEntry(FEB, "VAT-7", D("99.00")), SettlementEntry(JAN, ZUS_ITEM,
                                                                                                D("1200.00"))])
                           for company in made[::3]], source="program", program="optima")
    for company in made[1::4]:
        for item in payment_items(company, timezone.localdate(), period=FEB):
            if item.payable:
                mark_paid(item, by=None)
    set_company_go_live(made[2], FEB, by=by)
    set_company_go_live(made[7], MAR, by=by)
    settle_approved(made[10:], by=None, up_to=FEB)
    set_manual_value(made[5], JAN, "tax:VAT-7", D("400.00"), by=by)  # corrected after nothing was paid
    return made


def test_stored_rows_equal_the_fresh_status_of_a_varied_office(cast):
    with schema_context(cast.office_a.schema_name):
        made = _varied_office(cast.alice)
        stored, fresh = _stored(), _fresh()
        assert stored == fresh
        states = {value[3] for key, value in stored.items() if key[0] in {c.pk for c in made}}
        assert states >= {PaymentState.DUE, PaymentState.PAID_BY_CLIENT, PaymentState.SETTLED,
                          PaymentState.HISTORY, PaymentState.NOTHING}


def test_the_migrations_backfill_writes_the_same_rows(cast):
    with schema_context(cast.office_a.schema_name):
        _varied_office(cast.alice)
        expected = _stored()
        ItemStatus.objects.all().delete()
        migration = importlib.import_module("clients.migrations.0013_item_status")
        migration.backfill(None, None)
        assert _stored() == expected == _fresh()


@pytest.mark.parametrize("when", [date(2026, 1, 1), date(2026, 12, 31)])
def test_the_stored_status_does_not_depend_on_the_day(cast, when):
    """Overdue and "due soon" are read against the due date, so a row stored on any day stays right."""
    with schema_context(cast.office_a.schema_name):
        fresh = {(i.company.pk, i.period, i.tax_type or ZUS_ITEM, i.payer_key): (i.status.state, i.left_to_pay)
                 for i in payment_items(list(Company.objects.all()), when)}
        assert fresh == {key: (value[3], value[6]) for key, value in _stored().items()}
