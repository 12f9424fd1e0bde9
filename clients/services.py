"""Manual values: a bookkeeper's own value of a figure, held until released.

What a client may see is ``clients.access`` with ``clients.dashboard`` / ``clients.unpaid``; what the panel
shows is ``clients.review``.
"""

from datetime import date
from decimal import Decimal

from django.db import transaction

from clients.approval import lock_company
from clients.deadlines import due_date_for
from clients.models import (
    MANUAL_SOURCE,
    ApprovalLog,
    Company,
    Figure,
    Revision,
    RevisionLabel,
    RevisionState,
)
from clients.publishing import Approver, publish

# --- Manual values ---------------------------------------------------------------------------


@transaction.atomic
def set_manual_value(company: Company, period: date, kind: str, amount: Decimal, *, by, payer_key: str = "",
                     due_date: date | None = None, label: str = RevisionLabel.DECLARATION,
                     approve: bool = True) -> Revision:
    """A bookkeeper types a value in. It holds the figure: syncs leave it alone until ``release_manual``.

    With ``approve`` (the default) the value is published at once; otherwise it waits for approval
    like a synced one. Any pending synced value of the figure is superseded. Publishing is
    ``clients.publishing.publish``, as for every approval.
    """
    lock_company(company.pk)
    figure, _created = Figure.objects.get_or_create(company=company, period=period, kind=kind, payer_key=payer_key)
    if not figure.manual:
        figure.manual = True
        figure.save(update_fields=["manual"])
    figure.revisions.filter(state=RevisionState.PENDING).update(state=RevisionState.SUPERSEDED)
    revision = Revision.objects.create(
        figure=figure, amount=Decimal(amount).quantize(Decimal("0.01")), label=label, source=MANUAL_SOURCE,
        manual=True, state=RevisionState.PENDING, created_by=by,
        due_date=due_date_for(kind, period, zus_payer=company.zus_payer, income_tax_period=company.income_tax_period,
                              given=due_date))
    if approve:
        publish([revision.pk], by=Approver.of(user=by), action=ApprovalLog.Action.MANUAL, period=period)
        revision.refresh_from_db()
    else:
        ApprovalLog.objects.create(company=company, period=period, user=by, action=ApprovalLog.Action.MANUAL,
                                   revisions=0)
    return revision


@transaction.atomic
def release_manual(figure: Figure, *, by) -> bool:
    """Let syncs update the figure again (its current value stays until one does); False if it was not held."""
    lock_company(figure.company_id)
    released = Figure.objects.filter(pk=figure.pk, manual=True).update(manual=False) == 1
    figure.manual = False
    if released:
        ApprovalLog.objects.create(company_id=figure.company_id, period=figure.period, user=by,
                                   action=ApprovalLog.Action.RELEASE)
    return released
