"""Payment deadlines (docs/glossary.md, "Payment deadlines").

For the month M, paid in M+1:

- VAT-7: the 25th of M+1; VAT-7K: the 25th of the month after the quarter M belongs to;
- PIT-4, PIT-8A, PIT-5, PIT-5L, PIT-28 and CIT advances: the 20th of M+1;
- ZUS: the 5th of M+1 for budget units, the 15th for companies with legal personality,
  the 20th for everyone else (also when the payer kind is not known yet).

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


@lru_cache(maxsize=4096)
def statutory_due_date(kind: str, period: date, zus_payer: str = "") -> date | None:
    """The deadline for a figure kind (``tax:VAT-7``, ``zus:total``…) of the month ``period``; None for statements."""
    group, _sep, name = kind.partition(":")
    if group == "tax":
        day = _TAX_DAY.get(name)
        if day is None:
            return None
        month = add_months(period, 1)
        if name == "VAT-7K":
            quarter_end = date(period.year, ((period.month - 1) // 3) * 3 + 3, 1)
            month = add_months(quarter_end, 1)
        return next_business_day(month.replace(day=day))
    if group == "zus":
        day = _ZUS_DAY.get(zus_payer or "other", _ZUS_DAY["other"])
        return next_business_day(add_months(period, 1).replace(day=day))
    return None


def due_date_for(kind: str, period: date, *, zus_payer: str = "", given: date | None = None) -> date | None:
    """The due date to store: the agent's ``given`` date when there is one, else the statutory one."""
    if given is not None:
        return given
    return statutory_due_date(kind, period, zus_payer)
