"""Approval (zatwierdzenie): publishing pending revisions to the company's clients.

Every approval locks the company row first (the same lock ``sync.ingest.apply_batch``
takes), so an approval and a sync of the same company never interleave. Approval is
idempotent: approving an approved revision again changes nothing and says so; approving a
revision that a newer one has superseded approves nothing and says so. Publishing itself (the log
row, corrections to clients already told) is ``clients.publishing.publish``, shared with rules, manual
values and syncs.
"""

from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from clients.models import Company, Revision, RevisionState
from clients.publishing import Approver, publish


@dataclass(frozen=True)
class ApprovalResult:
    """What an approval did. ``status`` is a stable code; ``message`` is for people."""

    approved: int = 0
    already_approved: int = 0
    superseded: int = 0

    @property
    def status(self) -> str:
        if self.approved:
            return "approved"
        if self.superseded:
            return "superseded"
        if self.already_approved:
            return "already_approved"
        return "nothing_to_approve"

    @property
    def message(self) -> str:
        if self.approved:
            return ngettext("Approved %(count)d value.", "Approved %(count)d values.", self.approved) % {
                "count": self.approved}
        return {
            "superseded": _("Nothing was approved: this value has since been replaced by a newer one."),
            "already_approved": _("This value was already approved; nothing changed."),
            "nothing_to_approve": _("There is nothing waiting for approval."),
        }[self.status]


def lock_company(company_id: int) -> None:
    """Take the company's row lock for the rest of the transaction (serialises syncs and approvals)."""
    list(Company.objects.select_for_update().filter(pk=company_id).values_list("pk", flat=True))


@transaction.atomic
def approve_revision(revision: Revision, *, by_user=None, by_agent=None) -> ApprovalResult:
    """Publish one pending revision. ``revision`` is updated in place when it gets approved."""
    approver = Approver.of(user=by_user, agent=by_agent)
    company = revision.figure.company
    lock_company(company.pk)
    state = Revision.objects.filter(pk=revision.pk).values_list("state", flat=True).first()
    if state == RevisionState.APPROVED:
        return ApprovalResult(already_approved=1)
    if state != RevisionState.PENDING:
        return ApprovalResult(superseded=1)
    publish([revision.pk], by=approver, period=revision.figure.period)
    revision.refresh_from_db()
    return ApprovalResult(approved=1)


@transaction.atomic
def approve_company_period(company: Company, period: date, *, by_user=None, by_agent=None) -> ApprovalResult:
    """Publish every pending revision of one company for one month."""
    approver = Approver.of(user=by_user, agent=by_agent)
    lock_company(company.pk)
    pending = Revision.objects.filter(figure__company=company, figure__period=period)
    return ApprovalResult(approved=publish(pending, by=approver, period=period).count)


@transaction.atomic
def approve_company(company: Company, *, by_user=None, by_agent=None, before: date | None = None) -> ApprovalResult:
    """Publish every pending revision of one company (with ``before``: only of the months before it)."""
    approver = Approver.of(user=by_user, agent=by_agent)
    lock_company(company.pk)
    pending = Revision.objects.filter(figure__company=company)
    if before is not None:
        pending = pending.filter(figure__period__lt=before)
    return ApprovalResult(approved=publish(pending, by=approver).count)
