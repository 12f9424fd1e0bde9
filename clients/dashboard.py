"""Read side of the client views: what a client has to pay, by when, to which account, with which title.

The web pages, the PDF and (later) the e-mail summary all build on these functions, so the rules are
written once:

- only *approved* revisions are ever read (a pending change leaves the old approved value visible);
- one payment item per tax figure (``tax:<type>``) and one per ZUS payer and month (the ``zus:total``
  figure, or the sum of the parts when no total was sent) — ZUS is paid in one transfer;
- a negative amount is a refund/surplus and a zero amount is nothing to pay: neither is ever "to pay";
- what is still to pay is the item's payment status (clients.payment_status: the client's mark, the office's
  settlement, a dopłata or nadpłata after a correction); items with something left to pay are carried forward
  on the dashboard, overdue ones included, until paid or settled;
- every function runs a fixed number of SQL queries, whatever the length of the company's history.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from clients import payments
from clients.access import Membership, mask_pesel, memberships_of
from clients.deadlines import is_quarterly_tax
from clients.models import (
    Company,
    CompanyPerson,
    Figure,
    PaymentMark,
    PersonRole,
    Revision,
    RevisionState,
    Settlement,
    add_months,
)
from clients.models_payments import ZUS_ITEM
from clients.payment_status import PaymentState, PaymentStatus, go_live_of, status_of
from clients.settlements import ItemKey, settlements_of
from clients.zus_accounts import accounts_of_payers, zus_account_for
from offices.accounts.models import OfficeSettings

ZERO = Decimal("0.00")

TAX_NAMES = {
    "VAT-7": _("VAT"),
    "VAT-7K": _("VAT (quarterly)"),
    "PIT-4": _("PIT-4 — tax withheld from salaries"),
    "PIT-5": _("Income tax advance (PIT-5)"),
    "PIT-5L": _("Income tax advance, linear (PIT-5L)"),
    "PIT-28": _("Lump-sum tax (PIT-28)"),
    "PIT-8A": _("PIT-8A — lump-sum tax withheld"),
    "CIT": _("Corporate income tax advance (CIT)"),
}
ZUS_NAME = _("ZUS contributions")
ZUS_PART_KINDS = ("zus:social", "zus:health", "zus:labour_fund", "zus:fgsp")
STATEMENT_NAMES = {
    "revenue": _("Revenue"),
    "costs": _("Costs"),
    "income": pgettext_lazy("statement", "Income"),
    "vat_due": _("VAT due"),
}
STATEMENT_ORDER = ("revenue", "costs", "income")


def period_label(period: date) -> str:
    return f"{period.month:02d}.{period.year}"


# --- Payment items -----------------------------------------------------------------------------


@dataclass
class PaymentItem:
    """One transfer a client may have to make."""

    company: Company
    figure: Figure  # the anchor: the tax figure, the ZUS total, or the first ZUS part
    period: date
    group: str  # "tax" or "zus"
    tax_type: str
    payer_key: str
    amount: Decimal
    due_date: date | None
    label: str  # the revision's label (declaration, correction, forecast…)
    today: date
    mark: PaymentMark | None = None
    account: str | None = None
    title: str = ""
    qr_payload: str | None = None
    recipient: str = ""
    quarterly: bool = False  # settled per quarter: VAT-7K, or an income-tax advance of a quarterly company
    settlement: Settlement | None = None  # the office's word that it was paid (clients.settlements)
    history: bool = False  # of a month before the go-live month (clients.payment_status)

    @property
    def figure_id(self) -> int:
        return self.figure.pk

    @property
    def name(self) -> str:
        if self.group == "zus":
            return str(ZUS_NAME)
        return str(TAX_NAMES.get(self.tax_type, self.tax_type))

    @property
    def payer_label(self) -> str:
        """Whose contributions (a payer other than the company itself); a PESEL always masked."""
        if not self.payer_key:
            return ""
        return mask_pesel(self.payer_key) if len(self.payer_key) == 11 else self.payer_key

    @property
    def period_label(self) -> str:
        if self.quarterly:
            return payments.Period.parse(self.period).label(quarterly=True)
        return period_label(self.period)

    @property
    def refund(self) -> bool:
        return self.amount < 0

    @property
    def refund_amount(self) -> Decimal:
        return -self.amount

    @property
    def payable(self) -> bool:
        return self.amount > 0

    @property
    def status(self) -> PaymentStatus:
        """The one payment status (clients.payment_status): due, paid per the client, settled, superseded."""
        return status_of(self.amount, marked=self.mark.amount if self.mark else None,
                         settled=self.settlement.amount if self.settlement else None, history=self.history)

    @property
    def paid(self) -> bool:
        return self.status.state in (PaymentState.PAID_BY_CLIENT, PaymentState.SETTLED, PaymentState.HISTORY)

    @property
    def settled(self) -> bool:
        return self.status.state in (PaymentState.SETTLED, PaymentState.HISTORY)

    @property
    def unconfirmed(self) -> bool:
        """History before the go-live month: settled *bez potwierdzenia płatności*."""
        return self.status.state == PaymentState.HISTORY

    @property
    def mark_outdated(self) -> bool:
        """Paid for an amount the office has since changed (a dopłata or a nadpłata is shown)."""
        return self.status.superseded

    @property
    def left_to_pay(self) -> Decimal:
        """The whole amount, the dopłata after a correction, or nothing (a nadpłata is never offered again)."""
        return self.status.left_to_pay

    @property
    def to_pay(self) -> bool:
        return self.left_to_pay > 0

    @property
    def days_left(self) -> int | None:
        return None if self.due_date is None else (self.due_date - self.today).days

    @property
    def overdue(self) -> bool:
        return self.to_pay and self.due_date is not None and self.due_date < self.today

    @property
    def days_overdue(self) -> int:
        return -(self.days_left or 0)

    @property
    def forecast(self) -> bool:
        return self.label == "forecast"

    @property
    def account_display(self) -> str:
        return payments.format_account(self.account) if self.account else ""

    @property
    def title_lines(self) -> list[str]:
        return payments.title_lines(self.title) if self.title else []

    @property
    def qr_svg(self) -> str:
        return payments.payment_qr_svg(self.qr_payload, scale=3) if self.qr_payload else ""

    @property
    def qr_too_large(self) -> bool:
        return self.to_pay and self.account is not None and self.left_to_pay > payments.QR_MAX_AMOUNT


def _tax_identifier(company: Company) -> dict | None:
    """Who the tax transfers are for: ``{"nip": …}`` (the company's NIP), else ``{"pesel": …}``.

    A company's NIP is normally valid (agents and the panel validate it). When it is not, taxes of a sole
    trader without a NIP go to the PESEL micro-account, so the owner's PESEL is used (one query, only then);
    None when there is neither: the client is asked to contact the office.
    """
    try:
        return {"nip": payments.validate_nip(company.nip)}
    except ValueError:
        pass
    pesel = (CompanyPerson.objects.filter(company=company, role=PersonRole.OWNER, person__pesel__isnull=False)
             .order_by("pk").values_list("person__pesel", flat=True).first())
    try:
        return {"pesel": payments.validate_pesel(pesel)} if pesel else None
    except ValueError:
        return None


def _fill_paying(item: PaymentItem, identifier: dict | None, payer_accounts: dict[str, str]) -> None:
    """Account, exact title and QR payload of an item (none of them when there is nothing to pay to)."""
    if item.group == "zus":
        item.title = payments.zus_transfer_title(item.period)
        item.recipient = payments.ZUS_RECIPIENT_NAME
        account = zus_account_for(item.company, item.payer_key, payer_accounts)
        try:
            item.account = payments.normalize_account(account) if account else None
        except ValueError:
            item.account = None
        qr_title = item.title
    else:
        item.recipient = payments.TAX_RECIPIENT_NAME
        if identifier is None:
            return
        item.account = payments.tax_microaccount(**identifier)
        item.title = payments.tax_transfer_title(item.tax_type, item.period, quarterly=item.quarterly, **identifier)
        qr_title = payments.tax_qr_title(item.tax_type, item.period, quarterly=item.quarterly)
    if item.account and item.to_pay and payments.qr_amount_fits(item.left_to_pay):
        item.qr_payload = payments.payment_qr_payload(account=item.account, amount=item.left_to_pay,
                                                      name=item.recipient, title=qr_title)


def build_items(company: Company, revisions, marks: dict[int, PaymentMark], today: date,
                identifier: dict | None = None, payer_accounts: dict[str, str] | None = None,
                settlements: dict[ItemKey, Settlement] | None = None,
                office_go_live: date | None | bool = False) -> list[PaymentItem]:
    """Payment items from approved tax and ZUS revisions (each carrying its ``figure``) of one company.

    ``payer_accounts`` (``zus_accounts.accounts_of_payers``) lets a caller of many companies look the payers'
    NRS up once; without it, one query when the company has ZUS of payers other than itself. ``settlements``
    (``settlements.settlements_of``) likewise; without it, one query when there are items. ``office_go_live``
    (``OfficeSettings.go_live_month``, None for none) likewise; without it, one query when there are items.
    """
    identifier = _tax_identifier(company) if identifier is None else identifier
    items: list[PaymentItem] = []
    zus: dict[tuple[date, str], dict[str, Revision]] = defaultdict(dict)
    for revision in revisions:
        figure = revision.figure
        if figure.kind.startswith("tax:"):
            tax_type = figure.kind[4:]
            items.append(PaymentItem(company, figure, figure.period, "tax", tax_type, "", revision.amount,
                                     revision.due_date, revision.label, today, marks.get(figure.pk),
                                     quarterly=is_quarterly_tax(tax_type, company.income_tax_period)))
        elif figure.kind.startswith("zus:"):
            zus[(figure.period, figure.payer_key)][figure.kind] = revision
    for (period, payer_key), parts in zus.items():
        total = parts.get("zus:total")
        if total is not None:
            anchor, amount = total, total.amount
        else:
            present = [parts[kind] for kind in ZUS_PART_KINDS if kind in parts]
            if not present:
                continue
            anchor, amount = present[0], sum((r.amount for r in present), ZERO)
        items.append(PaymentItem(company, anchor.figure, period, "zus", "", payer_key, amount, anchor.due_date,
                                 anchor.label, today, marks.get(anchor.figure.pk)))
    if payer_accounts is None:
        payer_accounts = accounts_of_payers(payer_key for _period, payer_key in zus)
    if settlements is None:
        settlements = settlements_of([company.pk], period__in={item.period for item in items}) if items else {}
    if office_go_live is False:
        office_go_live = OfficeSettings.load().go_live_month if items else None
    go_live = go_live_of(company, office_go_live)
    for item in items:
        item.history = go_live is not None and item.period < go_live
        item.settlement = settlements.get(
            (company.pk, item.period, ZUS_ITEM if item.group == "zus" else item.tax_type, item.payer_key))
        _fill_paying(item, identifier, payer_accounts)
    items.sort(key=lambda i: (i.due_date or date.max, i.period, i.group != "zus", i.tax_type, i.payer_key))
    return items


def _approved(company_ids, **filters):
    return (Revision.objects.filter(state=RevisionState.APPROVED, figure__company_id__in=company_ids, **filters)
            .select_related("figure"))


def _payable(queryset):
    return queryset.exclude(figure__kind__startswith="statement:")


def _marks(company_ids, **filters) -> dict[int, PaymentMark]:
    return {mark.figure_id: mark for mark in
            PaymentMark.objects.filter(figure__company_id__in=company_ids, **filters)}


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
    """What a client login has to pay, per company, grouped by due date (overdue first). 5 queries.

    Shown per company: all items of the latest approved month (paid ones, refunds, zeros too) so that the
    client sees the month complete and can undo a mark, plus any other item still to pay: upcoming ones in
    the due-date groups, overdue ones of earlier months in ``earlier`` (carried forward until marked paid).
    ``waiting_for`` lists the previous month when the office has not approved anything for it yet.
    """
    memberships = memberships_of(user)
    financial = [m for m in memberships if m.financial]
    ids = [m.company.pk for m in financial]
    by_company: dict[int, list[Revision]] = defaultdict(list)
    marks: dict[int, PaymentMark] = {}
    previous_month = add_months(date(today.year, today.month, 1), -1)
    with_previous: set[int] = set()
    payer_accounts: dict[str, str] = {}
    settlements: dict[ItemKey, Settlement] = {}
    office_go_live = None
    if ids:
        for revision in _payable(_approved(ids)).order_by("figure__period", "figure__kind", "figure__payer_key"):
            by_company[revision.figure.company_id].append(revision)
        marks = _marks(ids)
        settlements = settlements_of(ids)
        office_go_live = OfficeSettings.load().go_live_month
        payer_accounts = accounts_of_payers(revision.figure.payer_key for revisions in by_company.values()
                                            for revision in revisions)
        with_previous = set(Figure.objects.filter(company_id__in=ids, period=previous_month,
                                                  revisions__state=RevisionState.APPROVED)
                            .values_list("company_id", flat=True).distinct())
    dashboards = []
    for membership in memberships:
        board = CompanyDashboard(membership)
        dashboards.append(board)
        if not membership.financial:
            continue
        company = membership.company
        items = build_items(company, by_company.get(company.pk, []), marks, today, payer_accounts=payer_accounts,
                            settlements=settlements, office_go_live=office_go_live)
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
    return dashboards


# --- One item (mark paid, QR code) -------------------------------------------------------------------


def item_for_figure(figure: Figure, today: date) -> PaymentItem | None:
    """The payment item a figure belongs to (a ZUS part resolves to its payer's month item). 3 queries."""
    company = figure.company
    filters = {"figure__period": figure.period}
    if figure.kind.startswith("zus:"):
        filters.update(figure__kind__startswith="zus:", figure__payer_key=figure.payer_key)
    else:
        filters.update(figure_id=figure.pk)
    revisions = list(_approved([company.pk], **filters))
    items = build_items(company, revisions, _marks([company.pk], figure__period=figure.period), today)
    return next(iter(items), None)


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


def statement_label(name: str) -> str:
    if name in STATEMENT_NAMES:
        return str(STATEMENT_NAMES[name])
    return name.replace("_", " ").strip().capitalize()


def month_view(company: Company, period: date, today: date) -> MonthView:
    """Everything of one approved month: items, statements and the year's revenue and costs. 3 queries."""
    first = date(period.year, 1, 1)
    revisions = list(_approved([company.pk], figure__period__gte=first, figure__period__lt=date(period.year + 1, 1, 1))
                     .order_by("figure__kind", "figure__payer_key"))
    of_month = [r for r in revisions if r.figure.period == period]
    payable = [r for r in of_month if not r.figure.kind.startswith("statement:")]
    marks = _marks([company.pk], figure__period=period) if payable else {}
    items = build_items(company, payable, marks, today)
    statement_amounts = {r.figure.kind.partition(":")[2]: r.amount for r in of_month
                         if r.figure.kind.startswith("statement:")}
    names = [n for n in STATEMENT_ORDER if n in statement_amounts] + sorted(
        n for n in statement_amounts if n not in STATEMENT_ORDER)
    statements = [StatementLine(n, statement_label(n), statement_amounts[n]) for n in names]
    chart: dict[date, dict[str, Decimal]] = defaultdict(dict)
    for revision in revisions:
        if revision.figure.kind in ("statement:revenue", "statement:costs"):
            chart[revision.figure.period][revision.figure.kind[10:]] = revision.amount
    year = [ChartMonth(month, chart[month].get("revenue"), chart[month].get("costs"))
            for month in (date(period.year, m, 1) for m in range(1, 13))]
    return MonthView(company, period, today, items, statements, year)


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
    """Every month with approved data, newest first, with what it asks to pay and what is paid. 4 queries."""
    revisions = list(_payable(_approved([company.pk])))
    items = build_items(company, revisions, _marks([company.pk]) if revisions else {}, today)
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
