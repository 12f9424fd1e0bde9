"""Payment deadlines for every kind across 2025–2027 (docs/glossary.md)."""

from datetime import date, timedelta

import holidays
import pytest

from clients.deadlines import due_date_for, is_business_day, next_business_day, statutory_due_date
from clients.models import add_months
from clients.vocabulary import TAX_TYPES, ZUS_PARTS

MONTHS = [date(year, month, 1) for year in (2025, 2026, 2027) for month in range(1, 13)]
NOMINAL_TAX_DAY = {"VAT-7": 25, "VAT-7K": 25, "PIT-4": 20, "PIT-8A": 20, "PIT-5": 20, "PIT-5L": 20, "PIT-28": 20,
                   "CIT": 20}
NOMINAL_ZUS_DAY = {"budget_unit": 5, "legal_person": 15, "other": 20, "": 20}


def _check_shifted(nominal: date, due: date):
    """``due`` is the first day on or after ``nominal`` that is neither a weekend nor a Polish holiday."""
    calendar = holidays.Poland(years=range(2025, 2029))
    assert due >= nominal
    assert due.weekday() < 5 and due not in calendar
    day = nominal
    while day < due:
        assert day.weekday() >= 5 or day in calendar, f"{day} was a business day before {due}"
        day += timedelta(days=1)


@pytest.mark.parametrize("tax_type", TAX_TYPES)
def test_every_tax_kind_every_month(tax_type):
    for period in MONTHS:
        pay_month = add_months(period, 1)
        if tax_type == "VAT-7K":
            pay_month = add_months(date(period.year, (period.month - 1) // 3 * 3 + 3, 1), 1)
        nominal = pay_month.replace(day=NOMINAL_TAX_DAY[tax_type])
        _check_shifted(nominal, statutory_due_date(f"tax:{tax_type}", period))


@pytest.mark.parametrize("payer", sorted(NOMINAL_ZUS_DAY))
def test_every_zus_kind_every_month(payer):
    for period in MONTHS:
        nominal = add_months(period, 1).replace(day=NOMINAL_ZUS_DAY[payer])
        for part in ZUS_PARTS:
            _check_shifted(nominal, statutory_due_date(f"zus:{part}", period, payer))


@pytest.mark.parametrize(("kind", "period", "payer", "expected"), [
    # plain business days
    ("tax:VAT-7", date(2026, 9, 1), "", date(2026, 10, 26)),      # 25 Oct 2026 is a Sunday
    ("tax:VAT-7", date(2026, 10, 1), "", date(2026, 11, 25)),
    ("tax:CIT", date(2026, 12, 1), "", date(2027, 1, 20)),
    ("zus:total", date(2025, 11, 1), "legal_person", date(2025, 12, 15)),
    ("zus:total", date(2025, 12, 1), "budget_unit", date(2026, 1, 5)),
    # weekends
    ("tax:PIT-4", date(2025, 11, 1), "", date(2025, 12, 22)),     # 20 Dec 2025 is a Saturday
    ("tax:VAT-7", date(2025, 9, 1), "", date(2025, 10, 27)),      # 25 Oct 2025 is a Saturday
    # Easter Monday
    ("tax:PIT-4", date(2025, 3, 1), "", date(2025, 4, 22)),       # 20 Apr Sunday, 21 Apr Easter Monday
    ("zus:social", date(2026, 3, 1), "budget_unit", date(2026, 4, 7)),  # 5 Apr Easter, 6 Apr Easter Monday
    # Christmas, and 24 December a holiday from 2025
    ("tax:VAT-7", date(2025, 11, 1), "", date(2025, 12, 29)),     # 25, 26 Dec holidays, then a weekend
    ("tax:VAT-7", date(2026, 11, 1), "", date(2026, 12, 28)),     # 25 Dec Friday, 26 Saturday
    ("tax:VAT-7", date(2027, 11, 1), "", date(2027, 12, 27)),     # 25 Dec Saturday, 26 Sunday
    # Assumption Day (15 August)
    ("zus:health", date(2025, 7, 1), "legal_person", date(2025, 8, 18)),
    ("zus:health", date(2026, 7, 1), "legal_person", date(2026, 8, 17)),
    # VAT-7K: the 25th of the month after the quarter
    ("tax:VAT-7K", date(2025, 1, 1), "", date(2025, 4, 25)),
    ("tax:VAT-7K", date(2025, 3, 1), "", date(2025, 4, 25)),
    ("tax:VAT-7K", date(2025, 11, 1), "", date(2026, 1, 26)),     # 25 Jan 2026 is a Sunday
    ("tax:VAT-7K", date(2026, 8, 1), "", date(2026, 10, 26)),
    ("tax:VAT-7K", date(2026, 12, 1), "", date(2027, 1, 25)),
    ("tax:VAT-7K", date(2027, 2, 1), "", date(2027, 4, 26)),      # 25 Apr 2027 is a Sunday
    # unknown payer kind: the general 20th
    ("zus:total", date(2027, 11, 1), "", date(2027, 12, 20)),
])
def test_known_deadlines(kind, period, payer, expected):
    assert statutory_due_date(kind, period, payer) == expected


def test_24_december_is_a_holiday_from_2025():
    assert is_business_day(date(2024, 12, 24))
    assert not is_business_day(date(2025, 12, 24))
    assert next_business_day(date(2025, 12, 24)) == date(2025, 12, 29)
    assert next_business_day(date(2026, 12, 24)) == date(2026, 12, 28)
    assert next_business_day(date(2027, 12, 24)) == date(2027, 12, 27)


def test_statements_have_no_due_date():
    assert statutory_due_date("statement:revenue", date(2026, 1, 1)) is None
    assert due_date_for("statement:income", date(2026, 1, 1)) is None


def test_agent_date_wins():
    given = date(2026, 11, 24)
    assert due_date_for("tax:VAT-7", date(2026, 10, 1), given=given) == given
    assert due_date_for("tax:VAT-7", date(2026, 10, 1)) == date(2026, 11, 25)
