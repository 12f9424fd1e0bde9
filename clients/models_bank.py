"""Imported bank statements and their payment lines (clients/bank_statements.py).

Only the debit lines that pay a tax micro-account or a ZUS contribution account (NRS) are stored: the rest of
a company's statement (suppliers, salaries, credits) is none of the portal's business and is only counted.
A line's ``identity`` (a hash of the account, date, amount, counterparty, title and the bank's reference) is
unique in the office, so importing the same statement again — or a monthly statement after the daily ones —
changes nothing.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class StatementSource(models.TextChoices):
    CLIENT = "client", _("uploaded by the client")
    PANEL = "panel", _("imported in the panel")
    AGENT = "agent", _("sent by an agent")
    DEMO = "demo", _("demo data")


class BankStatement(models.Model):
    """One imported statement of one account (an MT940 message or a CAMT.053 ``Stmt``)."""

    kind = models.CharField(_("format"), max_length=10)  # clients.vocabulary.STATEMENT_KINDS
    account = models.CharField(_("account"), max_length=26)
    reference = models.CharField(_("statement reference"), max_length=100, blank=True)
    date_from = models.DateField(null=True, blank=True)
    date_to = models.DateField(null=True, blank=True)
    file_name = models.CharField(max_length=255, blank=True)
    sha256 = models.CharField(max_length=64)
    # The company whose account this is: the client's company, or the one company its payments were for.
    company = models.ForeignKey("clients.Company", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="bank_statements")
    source = models.CharField(max_length=10, choices=StatementSource.choices)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+")
    agent_name = models.CharField(max_length=100, blank=True)
    imported_at = models.DateTimeField(auto_now_add=True)
    lines_total = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("bank statement")
        verbose_name_plural = _("bank statements")
        constraints = [models.UniqueConstraint(fields=["account", "reference", "sha256"],
                                               name="bank_statement_unique")]

    def __str__(self):
        return f"{self.kind} {self.account} {self.reference}"


class LineStatus(models.TextChoices):
    MATCHED = "matched", _("settled an item")
    UNMATCHED = "unmatched", _("not matched")


class BankStatementLine(models.Model):
    """A debit line paying a tax micro-account or an NRS: matched to an item, or unmatched with its reason."""

    statement = models.ForeignKey(BankStatement, on_delete=models.CASCADE, related_name="lines")
    identity = models.CharField(max_length=64, unique=True)
    position = models.PositiveIntegerField()
    booked_on = models.DateField(_("booked on"))
    amount = models.DecimalField(_("amount"), max_digits=14, decimal_places=2)
    counterparty_account = models.CharField(_("beneficiary account"), max_length=26, blank=True)
    counterparty_name = models.CharField(_("beneficiary"), max_length=140, blank=True)
    title = models.CharField(_("title"), max_length=300, blank=True)
    reference = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=10, choices=LineStatus.choices)
    reason = models.CharField(max_length=30, blank=True)  # clients.bank_matching.REASONS
    reason_detail = models.JSONField(default=dict, blank=True)
    # The company the line is about (matched, or identified by its account), and the item it settled.
    company = models.ForeignKey("clients.Company", null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="bank_lines")
    period = models.DateField(null=True, blank=True)
    what = models.CharField(max_length=10, blank=True)
    payer_key = models.CharField(max_length=11, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("bank statement line")
        verbose_name_plural = _("bank statement lines")
        indexes = [models.Index(fields=["status", "-updated_at"], name="bank_line_status")]

    def __str__(self):
        return f"{self.booked_on} {self.amount} → {self.counterparty_account} ({self.status})"
