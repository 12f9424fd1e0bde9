"""The office's month board: one month across all companies, one row per company, a column per stage.

Stages of a company's month: data arrived → approved → summary sent → seen by the client → paid per the
client → settled. The first four are read in SQL (one grouped query each); the last two are the one payment
status (``clients.unpaid.payment_items`` → ``clients.payment_status``), read for every company of the month in
its light form (rows, not model instances), so the board never computes "paid" a second way.

The number of queries does not depend on the number of companies (``tests/offices/test_month_board.py``): the
companies, the month's values, summaries, logins, and the payment items' revisions, marks, settlements and
go-live month.
Filters, counts and totals are computed over every row in Python (5,000 companies: see docs/benchmarks.md),
then the view shows a page of them.

"Seen by the client" follows the delivery log (offices/panel/messages.py): a login of one of the company's
people after the month's last summary went out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from clients.messaging.models import Message, Status
from clients.messaging.services import SUMMARY_PURPOSES, queue_nudge, queue_summary
from clients.models import Company, CompanyPerson, Figure, Revision, RevisionState
from clients.office_settling import settle_approved
from clients.payment_status import PaymentState
from clients.review import folded, name_search
from clients.unpaid import LightCompany, payment_items

ZERO = Decimal("0.00")
#: "due in 3 days and not paid": today and the next three days.
DUE_SOON_DAYS = 3

#: The board's filters: key → label (in the order of the filter bar).
FILTERS = {
    "": _("all"),
    "no_data": _("no data yet"),
    "to_approve": _("waiting for approval"),
    "not_sent": _("approved but not sent"),
    "not_seen": _("sent but not seen"),
    "due_soon": _("due in 3 days and not paid"),
    "overdue": _("overdue"),
    "paid_not_settled": _("paid per the client, not settled"),
    "settled": _("settled"),
}


@dataclass
class BoardRow:
    """One company's month."""

    company_id: int
    nip: str
    name: str
    enabled: bool
    company: LightCompany  # what the payment status reads of the company
    figures: int = 0  # values (revisions) of the month: data arrived
    pending: int = 0
    approved: int = 0
    data_at: datetime | None = None
    summary_sent_at: datetime | None = None
    summary_queued: bool = False
    seen_at: datetime | None = None
    items: int = 0  # payable items (something to pay)
    paid_by_client: int = 0  # paid per the client, not (yet) settled by the office
    settled: int = 0  # settled by the office, or history before the go-live month
    amount: Decimal = ZERO  # the approved payable amounts
    left_to_pay: Decimal = ZERO
    overdue_amount: Decimal = ZERO
    next_due: date | None = None  # the earliest due date of what is left to pay
    due_soon: bool = False

    @property
    def has_data(self) -> bool:
        return self.figures > 0

    @property
    def fully_approved(self) -> bool:
        return self.approved > 0 and self.pending == 0

    @property
    def summary_sent(self) -> bool:
        return self.summary_sent_at is not None

    @property
    def seen(self) -> bool:
        return self.seen_at is not None

    @property
    def overdue(self) -> bool:
        return self.overdue_amount > 0

    @property
    def all_settled(self) -> bool:
        return self.items > 0 and self.settled == self.items

    def matches(self, key: str) -> bool:
        return MATCHERS[key](self)


MATCHERS = {
    "": lambda row: True,
    "no_data": lambda row: not row.has_data,
    "to_approve": lambda row: row.pending > 0,
    "not_sent": lambda row: row.fully_approved and not row.summary_sent and not row.summary_queued,
    "not_seen": lambda row: row.summary_sent and not row.seen,
    "due_soon": lambda row: row.due_soon,
    "overdue": lambda row: row.overdue,
    "paid_not_settled": lambda row: row.paid_by_client > 0,
    "settled": lambda row: row.all_settled,
}


@dataclass
class BoardTotals:
    companies: int = 0
    amount: Decimal = ZERO
    left_to_pay: Decimal = ZERO
    overdue_amount: Decimal = ZERO


@dataclass
class Board:
    period: date
    today: date
    rows: list[BoardRow]  # the rows of the chosen filter
    counts: dict[str, int] = field(default_factory=dict)  # filter key → companies, over the whole month
    totals: BoardTotals = field(default_factory=BoardTotals)  # of ``rows``


def _companies(companies: QuerySet[Company], q: str) -> QuerySet[Company]:
    text = q.strip()
    if text:
        companies = companies.alias(search_folded=folded("name")).filter(name_search(text))
    return companies


def _rows(companies: QuerySet[Company]) -> dict[int, BoardRow]:
    fields = ("pk", "nip", "name", "enabled", "income_tax_period", "go_live_month")
    return {pk: BoardRow(pk, nip, name, enabled, LightCompany(pk, income_tax_period, go_live_month))
            for pk, nip, name, enabled, income_tax_period, go_live_month
            in companies.order_by("name", "pk").values_list(*fields)}


def _add_figures(rows: dict[int, BoardRow], companies, period: date) -> None:
    # Revisions, not figures: every figure has at least one, and counting them needs no DISTINCT.
    grouped = (Revision.objects.filter(figure__company__in=companies, figure__period=period)
               .values_list("figure__company_id")
               .annotate(n=Count("id"), pending=Count("id", filter=Q(state=RevisionState.PENDING)),
                         approved=Count("id", filter=Q(state=RevisionState.APPROVED)), at=Max("created_at"))
               .order_by())
    for company_id, revisions, pending, approved, data_at in grouped:
        row = rows.get(company_id)
        if row is not None:
            row.figures, row.pending, row.approved, row.data_at = revisions, pending, approved, data_at


def _add_summaries(rows: dict[int, BoardRow], companies, period: date) -> None:
    sent = Q(status__in=[Status.SENT, Status.DELIVERED, Status.UNKNOWN])
    grouped = (Message.objects.filter(company__in=companies, period=period, purpose__in=SUMMARY_PURPOSES)
               .values("company_id")
               .annotate(sent_at=Max("sent_at", filter=sent),
                         queued=Count("id", filter=Q(status__in=[Status.QUEUED, Status.SENDING]))))
    for entry in grouped:
        row = rows.get(entry["company_id"])
        if row is not None:
            row.summary_sent_at, row.summary_queued = entry["sent_at"], entry["queued"] > 0


def _add_seen(rows: dict[int, BoardRow], companies) -> None:
    grouped = (CompanyPerson.objects.filter(company__in=companies, person__user__isnull=False)
               .values("company_id").annotate(last_login=Max("person__user__last_login")))
    for entry in grouped:
        row = rows.get(entry["company_id"])
        if row is not None and row.summary_sent_at and entry["last_login"] \
                and entry["last_login"] >= row.summary_sent_at:
            row.seen_at = entry["last_login"]


def _add_payments(rows: dict[int, BoardRow], companies, period: date, today: date) -> None:
    """Paid per the client, settled, left to pay: from the one payment status of each item."""
    soon = today + timedelta(days=DUE_SOON_DAYS)
    light = [row.company for row in rows.values()]
    for item in payment_items(light, today, period=period, light=True, company_query=companies):
        status = item.status
        if status.amount <= 0:
            continue  # a refund or zero: nothing to pay
        row = rows[item.company.pk]
        row.items += 1
        row.amount += status.amount
        if status.state in (PaymentState.SETTLED, PaymentState.HISTORY):
            row.settled += 1
        elif status.state == PaymentState.PAID_BY_CLIENT:
            row.paid_by_client += 1
        left = status.left_to_pay
        if left > 0:
            row.left_to_pay += left
            if item.due_date is not None:
                row.next_due = min(row.next_due or item.due_date, item.due_date)
                if item.due_date < today:
                    row.overdue_amount += left
                elif item.due_date <= soon:
                    row.due_soon = True


def month_board(companies: QuerySet[Company], period: date, today: date, *, filter_key: str = "",
                q: str = "") -> Board:
    """The board of ``period`` for these companies (the staff login's), filtered by ``filter_key`` (FILTERS)
    and a name/NIP search; counts per filter over the searched companies, totals of the filtered rows."""
    companies = _companies(companies, q)
    rows = _rows(companies)
    if rows:
        _add_figures(rows, companies, period)
        _add_summaries(rows, companies, period)
        _add_seen(rows, companies)
        _add_payments(rows, companies, period, today)
    every = list(rows.values())
    counts = {key: sum(1 for row in every if MATCHERS[key](row)) for key in FILTERS}
    chosen = [row for row in every if MATCHERS[filter_key](row)] if filter_key in MATCHERS else every
    totals = BoardTotals(companies=len(chosen), amount=sum((r.amount for r in chosen), ZERO),
                         left_to_pay=sum((r.left_to_pay for r in chosen), ZERO),
                         overdue_amount=sum((r.overdue_amount for r in chosen), ZERO))
    return Board(period, today, chosen, counts, totals)


# --- Bulk actions -----------------------------------------------------------------------------------------


@dataclass
class BulkResult:
    companies: int = 0  # companies the action did something for
    done: int = 0  # summaries queued, reminders queued, items settled
    skipped: int = 0  # companies with nothing to do


def send_summaries_of(companies: list[Company], period: date) -> BulkResult:
    """Queue the month's summary of each company with approved figures of ``period`` (idempotent: the outbox's
    de-duplication keys; a company whose summary was already sent or queued gets nothing new)."""
    result = BulkResult()
    with_approved = set(Figure.objects.filter(company__in=companies, period=period,
                                              revisions__state=RevisionState.APPROVED)
                        .values_list("company_id", flat=True))
    with transaction.atomic():
        for company in companies:
            if company.enabled and company.pk in with_approved and queue_summary(company, period):
                result.companies += 1
                result.done += 1
            else:
                result.skipped += 1
    return result


def nudge_companies(companies: list[Company], period: date, today: date | None = None) -> BulkResult:
    """A payment reminder now about the month's unpaid items to each company's people (``queue_nudge``:
    idempotent per day, nothing for a company with nothing left to pay)."""
    result = BulkResult()
    for company in companies:
        queued = queue_nudge(company, period, today).queued
        if queued:
            result.companies += 1
            result.done += len(queued)
        else:
            result.skipped += 1
    return result


def settle_companies(companies: list[Company], period: date, *, by) -> BulkResult:
    """Mark the month's approved items of these companies settled by the office (``settle_approved``:
    audited in each company's history; items already settled are left alone)."""
    counts = settle_approved(companies, by=by, period=period)
    return BulkResult(companies=len(companies), done=counts.recorded)
