"""Payment deadlines (docs/glossary.md, "Payment deadlines").

For the month M, paid in M+1:

- VAT-7: the 25th of M+1; VAT-7K: the 25th of the month after the quarter M belongs to;
- PIT-4, PIT-8A, PIT-5, PIT-5L, PIT-28 and CIT advances: the 20th of M+1;
- ZUS: the 5th of M+1 for budget units, the 15th for companies with legal personality,
  the 20th for everyone else (also when the payer kind is not known yet).

Quarterly income-tax advances (``income_tax_period="quarterly"``: PIT-5, PIT-5L, PIT-28, CIT of small
taxpayers who chose them) are due on the 20th of the month after the quarter the period belongs to, like VAT-7K.
The last period of the year has its own rules per tax, looked up in the acts:

- PIT-5 / PIT-5L: the advance for December or Q4 is due on 20 January (art. 44 ust. 6 of the PIT act,
  ustawa z 26 lipca 1991 r. o podatku dochodowym od osób fizycznych) — the general rule; a taxpayer who files
  the annual return earlier pays with it instead, which the portal cannot know (an agent's due date wins);
- CIT: advances, the last one too, by the 20th of the following month / month after the quarter (art. 25
  ust. 1 and 1b of the CIT act, ustawa z 15 lutego 1992 r.) — the general rule;
- PIT-28 (lump sum on recorded revenue): for December / Q4 "w terminie do 20 stycznia" from the tax year 2023
  (art. 21 ust. 1 pkt 1 and ust. 1a of ustawa z 20 listopada 1998 r. o zryczałtowanym podatku dochodowym, as
  amended by ustawa z 9 czerwca 2022 r., Dz.U. poz. 1265) — the general rule; for December / Q4 2022 only,
  the transitional art. 30 ust. 1 of that 2022 act moved it to the end of February 2023 (implemented below).

A deadline on a Saturday, Sunday or Polish public holiday (the ``holidays`` package's
calendar, which knows 24 December as a holiday from 2025 on) moves to the next business
day. A due date sent by an agent wins over the computed one. Statements have no due date.
"""

from datetime import date, timedelta
from functools import lru_cache

import holidays

from clients.models import add_months

_TAX_DAY = {"VAT-7": 25, "VAT-7K": 25, "PIT-4": 20, "PIT-8A": 20, "PIT-5": 20, "PIT-5L": 20, "PIT-28": 20, "CIT": 20}
_ZUS_DAY = {"budget_unit": 5, "legal_person": 15, "other": 20}
#: Income-tax advances a small taxpayer may pay per quarter (tax_setup.income_tax_period, agent API v1.1).
QUARTERLY_CAPABLE_TAX_TYPES = frozenset({"PIT-5", "PIT-5L", "PIT-28", "CIT"})
#: art. 30 ust. 1 of ustawa z 9 czerwca 2022 r. (Dz.U. poz. 1265): PIT-28 for December / Q4 2022.
_PIT28_LAST_PERIOD_2022_DUE = date(2023, 2, 28)


@lru_cache(maxsize=64)
def _polish_holidays(year: int) -> frozenset[date]:
    return frozenset(holidays.Poland(years=year))


def is_business_day(day: date) -> bool:
    return day.weekday() < 5 and day not in _polish_holidays(day.year)


def next_business_day(day: date) -> date:
    """``day`` itself when it is a business day, otherwise the first business day after it."""
    while not is_business_day(day):
        day += timedelta(days=1)
    return day


def is_quarterly_tax(tax_type: str, income_tax_period: str = "") -> bool:
    """Whether a tax of this type is settled per quarter: VAT-7K always, income-tax advances when chosen."""
    return tax_type == "VAT-7K" or (income_tax_period == "quarterly" and tax_type in QUARTERLY_CAPABLE_TAX_TYPES)


def _quarter_end(period: date) -> date:
    return date(period.year, ((period.month - 1) // 3) * 3 + 3, 1)


@lru_cache(maxsize=4096)
def statutory_due_date(kind: str, period: date, zus_payer: str = "", income_tax_period: str = "") -> date | None:
    """The deadline for a figure kind (``tax:VAT-7``, ``zus:total``…) of the month ``period``; None for statements.

    ``income_tax_period`` is the company's tax setup (``"quarterly"`` or monthly: anything else).
    """
    group, _sep, name = kind.partition(":")
    if group == "tax":
        day = _TAX_DAY.get(name)
        if day is None:
            return None
        last_month = _quarter_end(period) if is_quarterly_tax(name, income_tax_period) else period
        if name == "PIT-28" and last_month == date(2022, 12, 1):
            return next_business_day(_PIT28_LAST_PERIOD_2022_DUE)
        return next_business_day(add_months(last_month, 1).replace(day=day))
    if group == "zus":
        day = _ZUS_DAY.get(zus_payer or "other", _ZUS_DAY["other"])
        return next_business_day(add_months(period, 1).replace(day=day))
    return None


def due_date_for(kind: str, period: date, *, zus_payer: str = "", income_tax_period: str = "",
                 given: date | None = None) -> date | None:
    """The due date to store: the agent's ``given`` date when there is one, else the statutory one."""
    if given is not None:
        return given
    return statutory_due_date(kind, period, zus_payer, income_tax_period)
