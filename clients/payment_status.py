"""The payment status of a payable item (one tax, or one payer's ZUS, for one period): one rule, read by all.

due → *paid per the client* (their ``PaymentMark``) → *settled* (the office's word: a ``Settlement`` from the
accounting program, a bank statement or a bookkeeper). A settlement outranks the client's mark. When the
amount paid differs from the approved amount (a correction after payment) the item is *superseded*: the
difference is a *dopłata* (approved > paid: still to pay, only the difference) or a *nadpłata*
(paid > approved: nothing to pay, never offered for payment again).

The dashboard, month page, PDF, e-mails, SMS and reminders read ``left_to_pay`` through ``PaymentItem``
(clients/dashboard.py), so "what is still to pay" is computed here only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

ZERO = Decimal("0.00")


class PaymentState(TextChoices):
    NOTHING = "nothing", _("nothing to pay")
    DUE = "due", _("to pay")
    PAID_BY_CLIENT = "paid_by_client", _("paid per the client")
    SETTLED = "settled", _("settled by the office")
    HISTORY = "history", _("settled without payment confirmation")


@dataclass(frozen=True)
class PaymentStatus:
    state: str
    amount: Decimal  # the approved amount
    paid: Decimal | None = None  # what the office (or else the client) says was paid
    by_office: bool = False  # ``paid`` is the office's word (a settlement)

    @property
    def state_label(self) -> str:
        return str(PaymentState(self.state).label)

    @property
    def superseded(self) -> bool:
        """Paid, but for another amount than the approved one (a correction came after the payment)."""
        return self.paid is not None and self.paid != self.amount and self.amount > 0

    @property
    def left_to_pay(self) -> Decimal:
        """What the client still has to transfer: the amount, a dopłata, or nothing."""
        if self.state in (PaymentState.NOTHING, PaymentState.HISTORY):
            return ZERO
        if self.paid is None:
            return self.amount
        return max(self.amount - self.paid, ZERO)

    @property
    def additional_payment(self) -> Decimal:
        """*Dopłata*: approved more than was paid."""
        return self.left_to_pay if self.superseded else ZERO

    @property
    def overpayment(self) -> Decimal:
        """*Nadpłata*: paid more than approved (never to be paid again)."""
        return max(self.paid - self.amount, ZERO) if self.superseded else ZERO


def status_of(amount: Decimal, *, marked: Decimal | None = None, settled: Decimal | None = None,
              history: bool = False) -> PaymentStatus:
    """The status of an item of the approved ``amount``, given the client's marked and the office's settled amount.

    ``history``: the item is of a month before the go-live month (``go_live_before``): without a settlement or
    a mark it counts as settled without payment confirmation, never as a debt.
    """
    if amount <= 0:
        return PaymentStatus(PaymentState.NOTHING, amount, settled if settled is not None else marked,
                             by_office=settled is not None)
    # The office's word outranks the client's mark, unless the client marked more than the office recorded:
    # after a correction upwards the client pays the difference and marks the new amount paid.
    if settled is not None and (marked is None or marked <= settled):
        state = PaymentState.SETTLED if settled >= amount else PaymentState.DUE
        return PaymentStatus(state, amount, settled, by_office=True)
    if marked is not None:
        state = PaymentState.PAID_BY_CLIENT if marked >= amount else PaymentState.DUE
        return PaymentStatus(state, amount, marked)
    return PaymentStatus(PaymentState.HISTORY if history else PaymentState.DUE, amount)


def go_live_of(company, office_go_live: date | None) -> date | None:
    """The month from which a company's items are debts: its own go-live month, else the office's."""
    return company.go_live_month or office_go_live
