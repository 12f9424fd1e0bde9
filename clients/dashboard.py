"""Read side of the client views: what a client has to pay, by when, to which account, with which title.

The web pages, the PDF and (later) the e-mail summary all build on these functions, so the rules are
written once:

- only *approved* revisions are ever read (a pending change leaves the old approved value visible);
- the payment items and whether they are paid come from ``clients.unpaid`` (the one read model of what
  is to pay; messaging and the panel read it too); unpaid items with something to pay are carried
  forward on the dashboard, overdue ones included, until marked;
- every function runs a fixed number of SQL queries, whatever the length of the company's history.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from clients.access import Membership, memberships_of
from clients.expected_items import STATEMENTS, MissingItem, missing_for_month, missing_items, published_of_items
from clients.models import Company, Figure, PersonRole, Revision, RevisionState, add_months
from clients.names import statement_label
from clients.unpaid import ZERO, PaymentItem, payment_items, period_label
from clients.vocabulary import STATEMENT_PREFIX, ZUS_PREFIX, statement_kind

STATEMENT_ORDER = ("revenue", "costs", "income")


# --- Dashboard -------------------------------------------------------------------------------------


@dataclass
class DueGroup:
    due_date: date | None
    today: date
    items: list[PaymentItem] = field(default_factory=list)

    @property
    def days_left(self) -> int | None:
        return None if self.due_date is None else (self.due_date - self.today).days

    @property
    def overdue(self) -> bool:
        return any(item.overdue for item in self.items)

    @property
    def total_to_pay(self) -> Decimal:
        return sum((item.left_to_pay for item in self.items), ZERO)


@dataclass
class CompanyDashboard:
    membership: Membership
    groups: list[DueGroup] = field(default_factory=list)
    latest_period: date | None = None
    waiting_for: list[date] = field(default_factory=list)
    # Items a partly published month is expected to have and has not published yet (clients.expected_items).
    missing: list[MissingItem] = field(default_factory=list)
    # Unpaid items of months before the latest one: a compact list (details on their month's page).
    earlier: list[PaymentItem] = field(default_factory=list)

    @property
    def company(self) -> Company:
        return self.membership.company

    @property
    def financial(self) -> bool:
        return self.membership.financial

    @property
    def is_partner(self) -> bool:
        return self.membership.role == PersonRole.PARTNER

    @property
    def items(self) -> list[PaymentItem]:
        return [item for group in self.groups for item in group.items] + self.earlier

    @property
    def total_to_pay(self) -> Decimal:
        return sum((item.left_to_pay for item in self.items), ZERO)

    @property
    def overdue_total(self) -> Decimal:
        return sum((item.left_to_pay for item in self.items if item.overdue), ZERO)

    @property
    def waiting_labels(self) -> list[str]:
        return [period_label(period) for period in self.waiting_for]


def dashboard_for(user, today: date) -> list[CompanyDashboard]:
    """What a client login has to pay, per company, grouped by due date (overdue first). 4 queries.

    Shown per company: all items of the latest approved month (paid ones, refunds, zeros too) so that the
    client sees the month complete and can undo a mark, plus any other item still to pay: upcoming ones in
    the due-date groups, overdue ones of earlier months in ``earlier`` (carried forward until marked paid).
    ``waiting_for`` lists the previous month when the office has not approved anything for it yet; ``missing``
    the items the latest month and the previous one are expected to have and have not published
    (``clients.expected_items``, read from the same items: no query more).
    """
    memberships = memberships_of(user)
    financial = [m.company for m in memberships if m.financial]
    by_company: dict[int, list[PaymentItem]] = defaultdict(list)
    previous_month = add_months(date(today.year, today.month, 1), -1)
    with_previous: set[int] = set()
    published: dict = {}
    if financial:
        for item in payment_items(financial, today):
            by_company[item.company.pk].append(item)
        published = published_of_items(item for items in by_company.values() for item in items)
        with_previous = set(Figure.objects.filter(company__in=financial, period=previous_month,
                                                  revisions__state=RevisionState.APPROVED)
                            .values_list("company_id", flat=True).distinct())
    dashboards = []
    for membership in memberships:
        board = CompanyDashboard(membership)
        dashboards.append(board)
        if not membership.financial:
            continue
        company = membership.company
        items = by_company.get(company.pk, [])
        board.latest_period = max((item.period for item in items), default=None)
        shown = [item for item in items if item.period == board.latest_period or (
            item.to_pay and item.due_date is not None and item.due_date >= today)]
        in_groups = {id(item) for item in shown}
        board.earlier = sorted((item for item in items if item.to_pay and id(item) not in in_groups),
                               key=lambda i: (i.period, i.due_date or date.max), reverse=True)
        groups: dict[date | None, DueGroup] = {}
        for item in shown:
            groups.setdefault(item.due_date, DueGroup(item.due_date, today)).items.append(item)
        board.groups = sorted(groups.values(), key=lambda g: g.due_date or date.max)
        if company.pk not in with_previous:
            board.waiting_for = [previous_month]
        board.missing = _missing(company, items, published.get(company.pk, {}), board.latest_period, previous_month,
                                 previous_published=company.pk in with_previous)
    return dashboards


def _missing(company: Company, items: list[PaymentItem], published: dict, latest: date | None,
             previous_month: date, *, previous_published: bool) -> list[MissingItem]:
    """What the latest month and the previous one (newest first) are expected to have and have not published."""
    if previous_published and previous_month not in published:  # only a statement of the month so far
        published = {**published, previous_month: frozenset({STATEMENTS})}
    months = sorted({latest, previous_month} - {None}, reverse=True)
    return [missing for month in months
            for missing in missing_items(company, month, published,
                                         history=any(item.history for item in items if item.period == month))]


# --- One item (mark paid, QR code) -------------------------------------------------------------------


def item_for_figure(figure: Figure, today: date) -> PaymentItem | None:
    """The payment item a figure belongs to (a ZUS part resolves to its payer's month item). 2 queries."""
    zus = figure.kind.startswith(ZUS_PREFIX)
    for item in payment_items(figure.company, today, period=figure.period):
        if item.figure_id == figure.pk or (zus and item.group == "zus" and item.payer_key == figure.payer_key):
            return item
    return None


# --- Month page, history -----------------------------------------------------------------------------


@dataclass(frozen=True)
class StatementLine:
    name: str
    label: str
    amount: Decimal


@dataclass(frozen=True)
class ChartMonth:
    period: date
    revenue: Decimal | None
    costs: Decimal | None


@dataclass
class MonthView:
    company: Company
    period: date
    today: date
    items: list[PaymentItem]
    statements: list[StatementLine]
    year: list[ChartMonth]
    # What the month is expected to have and has not published yet (clients.expected_items).
    missing: list[MissingItem] = field(default_factory=list)

    @property
    def label(self) -> str:
        return period_label(self.period)

    @property
    def has_data(self) -> bool:
        return bool(self.items or self.statements)

    @property
    def total_to_pay(self) -> Decimal:
        return sum((item.left_to_pay for item in self.items), ZERO)

    @property
    def total_payable(self) -> Decimal:
        return sum((item.amount for item in self.items if item.payable), ZERO)


def _statements_of_year(company: Company, year: int) -> list[Revision]:
    return list(Revision.objects.filter(
        state=RevisionState.APPROVED, figure__company=company, figure__kind__startswith=STATEMENT_PREFIX,
        figure__period__gte=date(year, 1, 1), figure__period__lt=date(year + 1, 1, 1)).select_related("figure"))


def _chart(revisions: list[Revision], year: int) -> list[ChartMonth]:
    chart: dict[date, dict[str, Decimal]] = defaultdict(dict)
    for revision in revisions:
        if revision.figure.kind in (statement_kind("revenue"), statement_kind("costs")):
            chart[revision.figure.period][revision.figure.kind[10:]] = revision.amount
    return [ChartMonth(month, chart[month].get("revenue"), chart[month].get("costs"))
            for month in (date(year, m, 1) for m in range(1, 13))]


def year_chart(company: Company, year: int) -> list[ChartMonth]:
    """Revenue and costs of each month of ``year`` (approved statements). 1 query."""
    return _chart(_statements_of_year(company, year), year)


def month_view(company: Company, period: date, today: date) -> MonthView:
    """Everything of one approved month: items, statements, the year's revenue and costs, and what the month is
    expected to have and has not published yet. 4 queries."""
    revisions = _statements_of_year(company, period.year)
    statement_amounts = {r.figure.kind.partition(":")[2]: r.amount for r in revisions if r.figure.period == period}
    names = [n for n in STATEMENT_ORDER if n in statement_amounts] + sorted(
        n for n in statement_amounts if n not in STATEMENT_ORDER)
    statements = [StatementLine(n, statement_label(n), statement_amounts[n]) for n in names]
    items = payment_items(company, today, period=period)
    history = any(item.history for item in items) if items else None  # before go-live (None: look it up)
    missing = missing_for_month(company, period, history=history) if items or statements else []
    return MonthView(company, period, today, items, statements, _chart(revisions, period.year), missing)


@dataclass(frozen=True)
class HistoryMonth:
    period: date
    to_pay: Decimal
    payable: Decimal
    items: int
    paid: int
    refunds: Decimal

    @property
    def label(self) -> str:
        return period_label(self.period)


def history_for(company: Company, today: date) -> list[HistoryMonth]:
    """Every month with approved data, newest first, with what it asks to pay and what is paid. 3 queries."""
    items = payment_items(company, today)
    periods = set(Figure.objects.filter(company=company, revisions__state=RevisionState.APPROVED)
                  .values_list("period", flat=True).distinct())
    months = []
    for period in sorted(periods, reverse=True):
        of_month = [i for i in items if i.period == period]
        months.append(HistoryMonth(
            period, sum((i.left_to_pay for i in of_month), ZERO),
            sum((i.amount for i in of_month if i.payable), ZERO), len(of_month),
            sum(1 for i in of_month if i.paid), sum((i.refund_amount for i in of_month if i.refund), ZERO)))
    return months
