"""Quarterly income-tax advances (tax_setup.income_tax_period = quarterly): due dates and RRKqq titles."""

from datetime import date
from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from clients.dashboard import dashboard_for
from clients.deadlines import statutory_due_date
from clients.models import Company, parse_period
from clients.services import set_manual_value
from tests.conftest import NIP_X


@pytest.mark.parametrize(("tax_type", "period", "due"), [
    ("PIT-5L", "2026-01", date(2026, 4, 20)),  # any month of Q1 → 20 April (a Monday)
    ("PIT-5L", "2026-03", date(2026, 4, 20)),
    ("PIT-5", "2026-05", date(2026, 7, 20)),
    ("CIT", "2026-09", date(2026, 10, 20)),
    ("PIT-28", "2026-12", date(2027, 1, 20)),  # Q4: 20 January (art. 21 ust. 1a, from the tax year 2023)
    ("PIT-5L", "2025-10", date(2026, 1, 20)),
    ("CIT", "2026-06", date(2026, 7, 20)),
])
def test_quarterly_advances_are_due_on_the_20th_after_the_quarter(tax_type, period, due):
    assert statutory_due_date(f"tax:{tax_type}", parse_period(period), "", "quarterly") == due


def test_monthly_advances_and_taxes_that_are_never_quarterly_keep_the_monthly_deadline():
    assert statutory_due_date("tax:PIT-5L", parse_period("2026-01"), "", "monthly") == date(2026, 2, 20)
    assert statutory_due_date("tax:PIT-5L", parse_period("2026-01")) == date(2026, 2, 20)
    # PIT-4 (withheld from salaries) and VAT-7 stay monthly whatever the income-tax setup says.
    assert statutory_due_date("tax:PIT-4", parse_period("2026-01"), "", "quarterly") == date(2026, 2, 20)
    assert statutory_due_date("tax:VAT-7", parse_period("2026-01"), "", "quarterly") == date(2026, 2, 25)


def test_pit28_for_the_last_period_of_2022_follows_the_transitional_end_of_february():
    for period in ("2022-12", "2022-10"):
        assert statutory_due_date("tax:PIT-28", parse_period(period), "", "quarterly") == date(2023, 2, 28)
    assert statutory_due_date("tax:PIT-28", parse_period("2022-12")) == date(2023, 2, 28)
    assert statutory_due_date("tax:PIT-28", parse_period("2022-11")) == date(2022, 12, 20)
    assert statutory_due_date("tax:PIT-5", parse_period("2022-12")) == date(2023, 1, 20)


def test_a_quarterly_company_gets_26k01_titles_and_its_quarter_due_date(cast):
    with schema_context(cast.office_a.schema_name):
        Company.objects.filter(nip=NIP_X).update(income_tax_period="quarterly")
        x = Company.objects.get(nip=NIP_X)
        set_manual_value(x, parse_period("2026-03"), "tax:PIT-5L", Decimal("1500.00"), by=cast.alice)
        board = dashboard_for(cast.bob, today=date(2026, 4, 1))[0]
    item = next(i for i in board.items if i.tax_type == "PIT-5L" and i.period == parse_period("2026-03"))
    assert item.title == f"/TI/N{NIP_X}/OKR/26K01/SFP/PIT-36L/TXT/PIT-5L 1 kw. 2026"
    assert item.due_date == date(2026, 4, 20)
    assert item.period_label == "1 kw. 2026"
    assert item.qr_payload.endswith("|/OKR/26K01/SFP/PIT-36L|||")
    vat = next(i for i in board.items if i.tax_type == "VAT-7")
    assert "/OKR/26M01/" in vat.title  # VAT stays monthly
