"""The stored payment status of every payable item (``ItemStatus``): what the office's month board reads in SQL.

The status itself is decided in one place — ``clients.payment_status.status_of``, read through
``clients.unpaid.payment_items`` — and this module only stores that result, one row per item (company, period,
what, payer: amount, due date, state, what was paid and by whom, left to pay), so that a page over thousands of
companies can filter, count, sum and paginate it in SQL instead of building every item in Python.

``refresh_item_statuses(company_ids, periods)`` recomputes the rows of those companies and months. Every
service that changes an input of the status calls it, in its own transaction:

- publishing (``clients.publishing.publish``): approved amounts and due dates, corrections, new items — every
  approval (panel, rules, manual values, an agent's batch) goes through it;
- settlements (``clients.settlements.record_settlements_of``): the accounting program, bank statements (MT940,
  CAMT.053), a bookkeeper's "settle" (one item, a month, everything up to a month);
- the client's paid marks (``clients.self_service.mark_paid`` / ``unmark_paid``);
- go-live months (``clients.office_settling.set_company_go_live``, ``refresh_after_office_go_live`` for the
  office's setting);
- erasure, which replaces a payer's PESEL by a pseudonym in the item's key (``clients.privacy``).

Anything else that writes those inputs directly (a test's fixture, a data fix in a shell) calls it too.
``tests/clients/test_item_statuses.py`` checks each writer and compares the stored rows of a varied office
with a fresh computation. Migration ``clients.0013_item_status`` fills the rows of existing offices the same way.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

from django.utils import timezone

from clients.models import Company, ItemStatus
from clients.models_payments import ZUS_ITEM
from clients.unpaid import LightCompany, PaymentItem, payment_items

#: Companies recomputed per round (one round = seven queries, whatever its size).
CHUNK = 500


def _row(item: PaymentItem) -> ItemStatus:
    status = item.status
    return ItemStatus(company_id=item.company.pk, period=item.period,
                      what=ZUS_ITEM if item.group == "zus" else item.tax_type, payer_key=item.payer_key,
                      figure_id=item.figure.pk, amount=status.amount, due_date=item.due_date, state=status.state,
                      paid=status.paid, by_office=status.by_office, left_to_pay=status.left_to_pay)


def _months(periods, since, before) -> dict:
    """The month filters given (``payment_items``' keyword arguments)."""
    return {name: value for name, value in (("periods", periods), ("since", since), ("before", before))
            if value is not None}


def _refresh(company_ids: list[int], months: dict) -> int:
    companies = [LightCompany(pk, income_tax_period, go_live_month) for pk, income_tax_period, go_live_month
                 in Company.objects.filter(pk__in=company_ids).values_list("pk", "income_tax_period",
                                                                           "go_live_month")]
    # The status does not depend on the day (overdue and "due soon" are compared with the due date when read).
    items = payment_items(companies, timezone.localdate(), light=True, **months) if companies else []
    stale = ItemStatus.objects.filter(company_id__in=company_ids)
    if "periods" in months:
        stale = stale.filter(period__in=months["periods"])
    if "since" in months:
        stale = stale.filter(period__gte=months["since"])
    if "before" in months:
        stale = stale.filter(period__lt=months["before"])
    # One DELETE: django-tenants listens to post_delete for every model, which makes QuerySet.delete() select
    # the rows first and delete them 100 at a time; nothing listens for these rows.
    stale._raw_delete(stale.db)
    ItemStatus.objects.bulk_create([_row(item) for item in items], batch_size=2000)
    return len(items)


def refresh_item_statuses(company_ids: Iterable[int] | None, periods: Iterable[date] | None = None, *,
                          since: date | None = None, before: date | None = None) -> int:
    """Recompute and store the status of every item of these companies (None: every company of the office) in
    these months (``periods``, and/or ``since`` ≤ period < ``before``; none of them: every month). Rows of items
    that no longer exist are removed. Returns the number of items stored. A constant number of queries per
    ``CHUNK`` companies; nothing for an empty list of companies or months."""
    if periods is not None:
        periods = sorted(set(periods))
        if not periods:
            return 0
    months = _months(periods, since, before)
    if company_ids is None:
        company_ids = Company.objects.order_by("pk").values_list("pk", flat=True)
    ids = sorted(set(company_ids))
    return sum(_refresh(ids[start:start + CHUNK], months) for start in range(0, len(ids), CHUNK))


def refresh_months(months: Iterable[tuple[int, date]]) -> int:
    """Refresh these (company id, period) pairs — what ``publish`` reports — grouped by period."""
    by_period: dict[date, set[int]] = {}
    for company_id, period in months:
        by_period.setdefault(period, set()).add(company_id)
    by_companies: dict[tuple[int, ...], list[date]] = {}
    for period, ids in by_period.items():
        by_companies.setdefault(tuple(sorted(ids)), []).append(period)
    return sum(refresh_item_statuses(ids, periods) for ids, periods in by_companies.items())


def _between(old: date | None, new: date | None) -> dict | None:
    """The months whose "history before go-live" changes when the go-live month goes from ``old`` to ``new``
    (None: no go-live month, every month counts); None when nothing changes."""
    if old == new:
        return None
    if old is None or new is None:
        return {"before": old or new}
    return {"since": min(old, new), "before": max(old, new)}


def refresh_after_company_go_live(company: Company, old: date | None, new: date | None,
                                  office_go_live: date | None) -> int:
    """A company's own go-live month changed from ``old`` to ``new`` (None: the office's)."""
    months = _between(old or office_go_live, new or office_go_live)
    return 0 if months is None else refresh_item_statuses([company.pk], **months)


def refresh_after_office_go_live(old: date | None, new: date | None) -> int:
    """The office's go-live month changed: the companies without their own, in the months in between."""
    months = _between(old, new)
    if months is None:
        return 0
    companies = Company.objects.filter(go_live_month__isnull=True).order_by("pk").values_list("pk", flat=True)
    return refresh_item_statuses(list(companies), **months)
