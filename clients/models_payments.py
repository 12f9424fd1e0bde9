"""The office's word that an item was paid (*rozliczenie*): see clients/settlements.py and payment_status.py;
and the stored payment status of every item (``ItemStatus``, written by clients/item_statuses.py).

Kept apart from clients/models.py (which imports this module so Django registers the model) to keep that
module small; foreign keys name their models by string, so there is no import cycle.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.payment_status import PaymentState

#: Settlement.what of a payer's ZUS month (one transfer of all contributions); taxes use their type.
ZUS_ITEM = "ZUS"


class SettlementSource(models.TextChoices):
    PROGRAM = "program", _("accounting program")
    BANK = "bank", _("bank statement")
    BOOKKEEPER = "bookkeeper", _("bookkeeper")


class Settlement(models.Model):
    """What the office knows was paid for one payable item: (company, period, what, payer_key).

    Keyed like the item, not by a figure, so a settlement that arrives before its item is kept and applies
    when the item arrives. One per item: a later settlement of another amount replaces it (audited).
    """

    company = models.ForeignKey("clients.Company", on_delete=models.CASCADE, related_name="settlements")
    period = models.DateField(_("period"))
    what = models.CharField(_("what"), max_length=10, help_text=_("A tax type, or ZUS."))
    payer_key = models.CharField(_("payer"), max_length=11, blank=True, default="")
    amount = models.DecimalField(_("amount paid"), max_digits=14, decimal_places=2)
    paid_on = models.DateField(_("paid on"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=12, choices=SettlementSource.choices)
    program = models.CharField(_("program"), max_length=20, blank=True)
    recorded_at = models.DateTimeField(_("recorded"), auto_now=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("recorded by"))
    agent_name = models.CharField(max_length=100, blank=True)

    class Meta:
        verbose_name = _("settlement")
        verbose_name_plural = _("settlements")
        constraints = [
            models.UniqueConstraint(fields=["company", "period", "what", "payer_key"], name="settlement_item_unique"),
            models.CheckConstraint(condition=Q(period__day=1), name="settlement_period_first_day"),
        ]

    def __str__(self):
        return f"settled {self.company_id} {self.period:%Y-%m} {self.what} {self.payer_key} = {self.amount}"


#: (company id, period, what, payer key): how an item, its settlement and its stored status find each other.
ItemKey = tuple[int, date, str, str]


def settlement_key(settlement: Settlement) -> ItemKey:
    return (settlement.company_id, settlement.period, settlement.what, settlement.payer_key)


def settlements_of(company_ids, **filters) -> dict[ItemKey, Settlement]:
    """The settlements of these companies (``filters`` on Settlement fields, e.g. ``period=…``; ``company_ids``
    None: the companies are in ``filters``). One query."""
    if company_ids is not None:
        filters["company_id__in"] = list(company_ids)
    rows = Settlement.objects.filter(**filters)
    return {settlement_key(row): row for row in rows}


class ItemStatus(models.Model):
    """The payment status of one payable item as ``clients.payment_status.status_of`` decided it, stored.

    Keyed like the item and its settlement: (company, period, what, payer_key), ``what`` a tax type or ``ZUS``.
    Written only by ``clients.item_statuses.refresh_item_statuses`` — called by every service that changes an
    input of the status (publishing, settlements, paid marks, go-live months) — so pages that read the status of
    thousands of items (the office's month board) filter, count and sum it in SQL. Not a second rule: every
    column is a ``PaymentStatus`` of ``clients.unpaid.payment_items``.
    """

    company = models.ForeignKey("clients.Company", on_delete=models.CASCADE, related_name="+")
    period = models.DateField()
    what = models.CharField(max_length=10)
    payer_key = models.CharField(max_length=11, blank=True, default="")
    figure = models.ForeignKey("clients.Figure", on_delete=models.CASCADE, related_name="+")  # the item's anchor
    amount = models.DecimalField(max_digits=14, decimal_places=2)  # approved; <= 0: a refund or nothing
    due_date = models.DateField(null=True, blank=True)
    state = models.CharField(max_length=16, choices=PaymentState.choices)
    paid = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    by_office = models.BooleanField(default=False)
    left_to_pay = models.DecimalField(max_digits=14, decimal_places=2)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["company", "period", "what", "payer_key"], name="item_status_unique"),
        ]
        indexes = [models.Index(fields=["period", "company"], name="item_status_period_company")]

    def __str__(self):
        return f"{self.company_id} {self.period:%Y-%m} {self.what} {self.payer_key}: {self.state} {self.left_to_pay}"
