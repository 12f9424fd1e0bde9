"""What a summary, a correction or a reminder says: the approved figures of a month, as lines.

Amounts and dates are formatted here, by hand, with plain spaces: Django's localised number
format would put a non-breaking space into every SMS (UCS-2, twice the price).
"""

import hashlib
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _

from clients.access import mask_pesel
from clients.deadlines import statutory_due_date
from clients.models import Company, Revision, RevisionState, format_period
from clients.payment_status import PaymentStatus
from clients.unpaid import payment_items
from clients.vocabulary import STATEMENT_PARTS, STATEMENT_PREFIX, TAX_PREFIX, ZUS_PREFIX, ZUS_TOTAL, is_zus

ZUS_PART_LABELS = {
    "total": "ZUS",
    "social": "ZUS (social)",
    "health": "ZUS (health)",
    "labour_fund": "ZUS (FP/FS)",
    "fgsp": "ZUS (FGŚP)",
}


class PaymentNote:
    """What a line says about an earlier payment: a *dopłata* or a *nadpłata* (clients.payment_status)."""

    payment: PaymentStatus | None

    @property
    def paid_text(self) -> str:
        return format_amount(self.payment.paid) if self.payment and self.payment.paid is not None else ""

    @property
    def overpayment_text(self) -> str:
        return format_amount(self.payment.overpayment) if self.payment else ""

    @property
    def additional_text(self) -> str:
        return format_amount(self.payment.additional_payment) if self.payment else ""


@dataclass(frozen=True)
class Line(PaymentNote):
    figure_id: int
    kind: str
    label: str
    amount: Decimal
    due_date: date | None
    payer_key: str = ""
    payment: PaymentStatus | None = None  # the item's status once paid for another amount (superseded)

    @property
    def payable(self) -> bool:
        return self.kind.startswith((TAX_PREFIX, ZUS_PREFIX))

    @property
    def amount_text(self) -> str:
        return format_amount(self.amount)

    @property
    def payer_label(self) -> str:
        """Whose contributions, a PESEL masked (personal data in an e-mail)."""
        return mask_pesel(self.payer_key) if len(self.payer_key) == 11 else self.payer_key

    @property
    def due_text(self) -> str:
        return format_date(self.due_date) if self.due_date else ""


@dataclass(frozen=True)
class Change(PaymentNote):
    label: str
    old: Decimal | None
    new: Decimal | None
    due_date: date | None
    kind: str = ""
    figure_id: int | None = None
    payer_key: str = ""
    payment: PaymentStatus | None = None

    @property
    def old_text(self) -> str:
        return format_amount(self.old) if self.old is not None else "-"

    @property
    def new_text(self) -> str:
        return format_amount(self.new) if self.new is not None else "-"

    @property
    def due_text(self) -> str:
        return format_date(self.due_date) if self.due_date else ""


def format_amount(amount: Decimal) -> str:
    """``Decimal("12345.6")`` → ``12 345,60 zł`` (plain spaces only)."""
    sign = "-" if amount < 0 else ""
    whole, _sep, cents = f"{abs(amount):.2f}".partition(".")
    groups = []
    while whole:
        groups.insert(0, whole[-3:])
        whole = whole[:-3]
    return f"{sign}{' '.join(groups)},{cents} zł"


def format_date(day: date) -> str:
    return f"{day.day:02d}.{day.month:02d}.{day.year}"


def format_month(period: date) -> str:
    return f"{period.month:02d}.{period.year}"


def digest(revision_ids) -> str:
    """A stable fingerprint of a set of approved revisions (part of a summary's de-duplication key)."""
    return hashlib.sha256(",".join(str(i) for i in sorted(set(revision_ids))).encode()).hexdigest()[:32]


def label_for(kind: str) -> str:
    group, _sep, name = kind.partition(":")
    if group == "tax":
        return name
    if group == "zus":
        return ZUS_PART_LABELS.get(name, f"ZUS ({name})")
    return {"revenue": _("Revenue"), "costs": _("Costs"), "income": _("Income")}.get(name, name)


#: Statement lines in the accounting order (revenue, costs, income), then the agents' own, alphabetically.
_STATEMENT_ORDER = {STATEMENT_PREFIX + name: index for index, name in enumerate(STATEMENT_PARTS)}


def _sort_key(line: Line):
    group = {"tax": 0, "zus": 1}.get(line.kind.partition(":")[0], 2)
    return (group, line.kind != ZUS_TOTAL, _STATEMENT_ORDER.get(line.kind, len(_STATEMENT_ORDER)), line.kind,
            line.payer_key)


def approved_revisions(company: Company, period: date):
    return (Revision.objects.filter(figure__company=company, figure__period=period, state=RevisionState.APPROVED)
            .select_related("figure").order_by("figure_id"))


def lines_for(revisions, company: Company) -> list[Line]:
    """Lines for the given revisions; ZUS parts are left out where the payer's total is there."""
    revisions = list(revisions)
    with_total = {(r.figure.period, r.figure.payer_key) for r in revisions if r.figure.kind == ZUS_TOTAL}
    lines = []
    for revision in revisions:
        figure = revision.figure
        if is_zus(figure.kind) and figure.kind != ZUS_TOTAL and (
                (figure.period, figure.payer_key) in with_total):
            continue
        due = revision.due_date or statutory_due_date(figure.kind, figure.period, company.zus_payer,
                                                      company.income_tax_period)
        lines.append(Line(figure.id, figure.kind, label_for(figure.kind), revision.amount, due, figure.payer_key))
    return sorted(lines, key=_sort_key)


def changes_between(old_ids, new_revisions, company: Company) -> list[Change]:
    """What changed for the client between the revisions a sent message showed and the approved ones now."""
    old = {r.figure_id: r for r in Revision.objects.filter(pk__in=list(old_ids)).select_related("figure")}
    new = {r.figure_id: r for r in new_revisions}
    changes = []
    for figure_id in sorted(set(old) | set(new)):
        before, after = old.get(figure_id), new.get(figure_id)
        if before is not None and after is not None and before.amount == after.amount \
                and before.due_date == after.due_date:
            continue
        figure = (after or before).figure
        due = (after.due_date if after else None) or statutory_due_date(figure.kind, figure.period,
                                                                         company.zus_payer, company.income_tax_period)
        changes.append(Change(label_for(figure.kind), before.amount if before else None,
                              after.amount if after else None, due if after else None, kind=figure.kind,
                              figure_id=figure.pk, payer_key=figure.payer_key))
    return changes


def with_payments(rows: list, company: Company, period: date, today: date) -> list:
    """``rows`` (lines or changes) with the payment status of their item where a payment was made for
    another amount than the approved one: the e-mail then says *dopłata* or *nadpłata* (clients.payment_status).

    One read of ``clients.unpaid.payment_items`` for the month; a ZUS line finds its payer's item.
    """
    if not any(row.kind.startswith((TAX_PREFIX, ZUS_PREFIX)) for row in rows):
        return rows
    by_figure, by_payer = {}, {}
    for item in payment_items(company, today, period=period):
        if item.status.superseded:
            by_figure[item.figure_id] = item.status
            if item.group == "zus":
                by_payer[item.payer_key] = item.status
    if not by_figure:
        return rows
    noted = []
    for row in rows:
        status = by_figure.get(row.figure_id)
        if status is None and is_zus(row.kind):
            status = by_payer.get(row.payer_key)
        noted.append(replace(row, payment=status) if status is not None else row)
    return noted


def period_label(period: date) -> str:
    return format_period(period)
