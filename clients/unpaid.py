"""Payment items: what a client has to pay for a month — the one read model of "what is (un)paid".

One ``PaymentItem`` per transfer: one per tax figure (``tax:<type>``) and one per ZUS payer and month (the
``zus:total`` figure, or the sum of the parts when no total was sent) — ZUS is paid in one transfer. Each
carries its approved amount, due date, the client's paid mark and how to pay it (account, title, QR).
Only *approved* revisions are read; a negative amount is a refund and zero is nothing to pay.

``payment_items(companies, today, ...)`` builds them (a constant number of queries, whatever the history's
length: revisions, marks, settlements, the office's go-live month, and the payers' NRS when payers other than
the companies pay ZUS) and
``unpaid_items(...)`` keeps those still to pay. The client's dashboard and month pages, the payment
reminders, a reminder's last check before it leaves and the panel's nudge all read them here, so whether an
item is due, paid or settled is decided in one place: ``PaymentItem.status`` (clients.payment_status: the
client's mark, the office's settlement, a dopłata or nadpłata after a correction, history before go-live),
read through ``paid`` / ``settled`` / ``to_pay`` / ``left_to_pay``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from clients import payments
from clients.access import mask_pesel
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
)
from clients.models_payments import ZUS_ITEM, ItemKey, settlements_of
from clients.names import TAX_NAMES, ZUS_NAME
from clients.payment_status import PaymentState, PaymentStatus, go_live_of, status_of
from clients.vocabulary import STATEMENT_PREFIX, TAX_PREFIX, ZUS_PART_KINDS, ZUS_PREFIX, ZUS_TOTAL
from clients.zus_accounts import accounts_of_payers, zus_account_for
from offices.accounts.models import OfficeSettings

ZERO = Decimal("0.00")


def period_label(period: date) -> str:
    return f"{period.month:02d}.{period.year}"


def item_period_label(period: date, quarterly: bool) -> str:
    """"01.2026", or the quarter ("I kwartał 2026") for an item paid per quarter."""
    if quarterly:
        return payments.Period.parse(period).label(quarterly=True)
    return period_label(period)


def payer_shown(payer_key: str) -> str:
    """A payer other than the company, as a page may show it: a PESEL always masked."""
    return mask_pesel(payer_key) if len(payer_key) == 11 else payer_key


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
        return payer_shown(self.payer_key) if self.payer_key else ""

    @property
    def period_label(self) -> str:
        return item_period_label(self.period, self.quarterly)

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
                identifier: dict | None = None, *, payer_accounts: dict[str, str] | None = None,
                settlements: dict[ItemKey, Settlement] | None = None,
                office_go_live: date | None | bool = False, paying: bool = True) -> list[PaymentItem]:
    """Payment items from approved tax and ZUS revisions (each carrying its ``figure``) of one company.

    ``payer_accounts`` (``zus_accounts.accounts_of_payers``), ``settlements`` (``settlements.settlements_of``)
    and ``office_go_live`` (``OfficeSettings.go_live_month``, None for none) let a caller of many companies
    load them once; without them, one query each (only when there are items). ``paying=False`` leaves out
    how to pay (account, title, QR): callers that only read the status (settling, the month board).
    """
    if paying and identifier is None:
        identifier = _tax_identifier(company)
    items: list[PaymentItem] = []
    zus: dict[tuple[date, str], dict[str, Revision]] = defaultdict(dict)
    for revision in revisions:
        figure = revision.figure
        if figure.kind.startswith(TAX_PREFIX):
            tax_type = figure.kind[len(TAX_PREFIX):]
            items.append(PaymentItem(company, figure, figure.period, "tax", tax_type, "", revision.amount,
                                     revision.due_date, revision.label, today, marks.get(figure.pk),
                                     quarterly=is_quarterly_tax(tax_type, company.income_tax_period)))
        elif figure.kind.startswith(ZUS_PREFIX):
            zus[(figure.period, figure.payer_key)][figure.kind] = revision
    for (period, payer_key), parts in zus.items():
        total = parts.get(ZUS_TOTAL)
        if total is not None:
            anchor, amount = total, total.amount
        else:
            present = [parts[kind] for kind in ZUS_PART_KINDS if kind in parts]
            if not present:
                continue
            anchor, amount = present[0], sum((r.amount for r in present), ZERO)
        items.append(PaymentItem(company, anchor.figure, period, "zus", "", payer_key, amount, anchor.due_date,
                                 anchor.label, today, marks.get(anchor.figure.pk)))
    if payer_accounts is None and paying:
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
        if paying:
            _fill_paying(item, identifier, payer_accounts)
    items.sort(key=lambda i: (i.due_date or date.max, i.period, i.group != "zus", i.tax_type, i.payer_key))
    return items


def _approved_payable(company_ids, **filters):
    if company_ids is not None:
        filters["figure__company_id__in"] = company_ids
    return (Revision.objects.filter(state=RevisionState.APPROVED, **filters)
            .exclude(figure__kind__startswith=STATEMENT_PREFIX).select_related("figure")
            .order_by("figure__period", "figure__kind", "figure__payer_key"))


def _period_filters(prefix: str, period, periods, since, before) -> dict:
    filters = {}
    if period is not None:
        filters[f"{prefix}period"] = period
    if periods is not None:
        filters[f"{prefix}period__in"] = list(periods)
    if since is not None:
        filters[f"{prefix}period__gte"] = since
    if before is not None:
        filters[f"{prefix}period__lt"] = before
    return filters


@dataclass(frozen=True, slots=True)
class LightFigure:
    """A figure as the status reads it (``payment_items(light=True)``): no model instance per row."""

    pk: int
    company_id: int
    period: date
    kind: str
    payer_key: str


@dataclass(frozen=True, slots=True)
class LightRevision:
    figure: LightFigure
    amount: Decimal
    due_date: date | None
    label: str


@dataclass(frozen=True, slots=True)
class Recorded:
    """A client's mark or an office's settlement as the status reads it: its amount."""

    amount: Decimal


@dataclass(frozen=True, slots=True)
class LightCompany:
    """A company as the status reads it (``payment_items(light=True)`` of thousands of companies)."""

    pk: int
    income_tax_period: str
    go_live_month: date | None


def _light_revisions(company_ids, filters) -> list[LightRevision]:
    # No ORDER BY: build_items orders each company's items itself.
    rows = _approved_payable(company_ids, **filters).order_by().values_list(
        "figure_id", "figure__company_id", "figure__period", "figure__kind", "figure__payer_key", "amount",
        "due_date", "label")
    return [LightRevision(LightFigure(fid, cid, per, kind, payer), amount, due, label)
            for fid, cid, per, kind, payer, amount, due, label in rows]


def _company_ids_filter(prefix: str, companies: list[Company], company_query) -> dict:
    if company_query is not None:
        return {f"{prefix}company__in": company_query}
    return {f"{prefix}company_id__in": [company.pk for company in companies]}


def payment_items(companies: Company | Iterable[Company], today: date, *, period: date | None = None,
                  periods: Iterable[date] | None = None, since: date | None = None,
                  before: date | None = None, light: bool = False, company_query=None) -> list[PaymentItem]:
    """Every payment item of these companies (optionally of one month, some months, or a range of months
    ``since`` ≤ period < ``before``), paid or not, ordered by company, then due date. Four queries (five when
    payers other than the companies pay ZUS).

    ``light=True`` is for pages that read only the status of thousands of items (the office's month board):
    rows instead of model instances (``LightFigure``, ``Recorded`` marks and settlements; the companies may be
    ``LightCompany``) and no paying
    details (``build_items(paying=False)``); the status is the same ``PaymentItem.status``. ``company_query``
    (a queryset of the same companies) replaces a long list of ids in the SQL.
    """
    companies = [companies] if isinstance(companies, Company | LightCompany) else list(companies)
    if not companies:
        return []
    periods = list(periods) if periods is not None else None
    in_companies = _company_ids_filter("figure__", companies, company_query)
    months = _period_filters("figure__", period, periods, since, before)
    if light:
        revisions = _light_revisions(None, {**in_companies, **months})
    else:
        revisions = list(_approved_payable(None, **in_companies, **months))
    if not revisions:
        return []
    mark_rows = PaymentMark.objects.filter(**in_companies, **months)
    if light:
        marks = {figure_id: Recorded(amount) for figure_id, amount in mark_rows.values_list("figure_id", "amount")}
    else:
        marks = {mark.figure_id: mark for mark in mark_rows}
    by_company: dict[int, list[Revision]] = defaultdict(list)
    for revision in revisions:
        by_company[revision.figure.company_id].append(revision)
    settlement_filters = {**_company_ids_filter("", companies, company_query),
                          **_period_filters("", period, periods, since, before)}
    if light:
        settlements = {(cid, per, what, payer): Recorded(amount) for cid, per, what, payer, amount in
                       Settlement.objects.filter(**settlement_filters).values_list(
                           "company_id", "period", "what", "payer_key", "amount")}
        payer_accounts = {}
    else:
        settlements = settlements_of(None, **settlement_filters)
        payer_accounts = accounts_of_payers(revision.figure.payer_key for revision in revisions)
    office_go_live = OfficeSettings.load().go_live_month
    items: list[PaymentItem] = []
    for company in companies:
        if company.pk in by_company:
            items += build_items(company, by_company[company.pk], marks, today, payer_accounts=payer_accounts,
                                 settlements=settlements, office_go_live=office_go_live, paying=not light)
    return items


def unpaid_items(companies: Company | Iterable[Company], today: date, **months) -> list[PaymentItem]:
    """The payment items with something left to pay (clients.payment_status); as ``payment_items``."""
    return [item for item in payment_items(companies, today, **months) if item.to_pay]
