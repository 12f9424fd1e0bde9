"""Company data services: what clients may see, panel queries, and manual values.

Views and the API call these instead of querying models directly, so the rule
"clients see only approved revisions, and only of their own companies" is written once.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet

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

# --- What a login may see ------------------------------------------------------------------


def companies_visible_to(user) -> QuerySet[Company]:
    """Staff see every company of the office; a client sees the companies their person belongs to."""
    if user is None or not user.is_authenticated:
        return Company.objects.none()
    if getattr(user, "is_office_staff", False):
        return Company.objects.all()
    return Company.objects.filter(memberships__person__user=user).distinct()


def approved_figures_for(company: Company, period: date | None = None) -> QuerySet[Revision]:
    """The approved (published) revisions of a company — the only values a client ever sees.

    Newest period first, then by kind and payer; each revision carries its ``figure``.
    """
    revisions = Revision.objects.filter(figure__company=company, state=RevisionState.APPROVED)
    if period is not None:
        revisions = revisions.filter(figure__period=period)
    return revisions.select_related("figure").order_by("-figure__period", "figure__kind", "figure__payer_key")


def approved_periods_for(company: Company) -> list[date]:
    """The months a client has approved values for, newest first."""
    return list(Figure.objects.filter(company=company, revisions__state=RevisionState.APPROVED)
                .values_list("period", flat=True).distinct().order_by("-period"))


# --- Panel ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class FigureRow:
    """A figure as the panel compares it: what the client sees and what waits for approval."""

    figure: Figure
    approved: Revision | None
    pending: Revision | None

    @property
    def needs_approval(self) -> bool:
        return self.pending is not None


def figure_rows(company: Company, period: date | None = None) -> list[FigureRow]:
    """Every figure of a company (optionally one month) with its approved and pending revision: 2 queries."""
    live = Revision.objects.filter(state__in=[RevisionState.APPROVED, RevisionState.PENDING]).select_related(
        "approved_by")
    figures = Figure.objects.filter(company=company)
    if period is not None:
        figures = figures.filter(period=period)
    figures = figures.order_by("-period", "kind", "payer_key").prefetch_related(
        Prefetch("revisions", queryset=live, to_attr="live_revisions"))
    rows = []
    for figure in figures:
        by_state = {revision.state: revision for revision in figure.live_revisions}
        rows.append(FigureRow(figure, by_state.get(RevisionState.APPROVED), by_state.get(RevisionState.PENDING)))
    return rows


def companies_with_pending(queryset: QuerySet[Company] | None = None) -> QuerySet[Company]:
    """Annotate ``pending_count`` (revisions waiting for approval: the panel's red mark)."""
    queryset = Company.objects.all() if queryset is None else queryset
    return queryset.annotate(
        pending_count=Count("figures__revisions", filter=Q(figures__revisions__state=RevisionState.PENDING)))


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
