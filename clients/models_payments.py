"""The office's word that an item was paid (*rozliczenie*): see clients/settlements.py and payment_status.py.

Kept apart from clients/models.py (which imports this module so Django registers the model) to keep that
module small; foreign keys name their models by string, so there is no import cycle.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

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
