"""What the tests read back: a company's approved values and its figures with their live revisions.

Plain queries for assertions; the portal's own reads are ``clients.dashboard`` / ``clients.unpaid`` (what a
client sees) and ``clients.review`` (the panel).
"""

from dataclasses import dataclass
from datetime import date

from django.db.models import Prefetch, QuerySet

from clients.models import Company, Figure, Revision, RevisionState


def approved_figures_for(company: Company, period: date | None = None) -> QuerySet[Revision]:
    """The approved (published) revisions of a company, newest period first, each with its ``figure``."""
    revisions = Revision.objects.filter(figure__company=company, state=RevisionState.APPROVED)
    if period is not None:
        revisions = revisions.filter(figure__period=period)
    return revisions.select_related("figure").order_by("-figure__period", "figure__kind", "figure__payer_key")


def approved_periods_for(company: Company) -> list[date]:
    """The months a company has approved values for, newest first."""
    return list(Figure.objects.filter(company=company, revisions__state=RevisionState.APPROVED)
                .values_list("period", flat=True).distinct().order_by("-period"))


@dataclass(frozen=True)
class FigureRow:
    """A figure with what the client sees and what waits for approval."""

    figure: Figure
    approved: Revision | None
    pending: Revision | None

    @property
    def needs_approval(self) -> bool:
        return self.pending is not None


def figure_rows(company: Company, period: date | None = None) -> list[FigureRow]:
    """Every figure of a company (optionally one month) with its approved and pending revision."""
    live = Revision.objects.filter(state__in=[RevisionState.APPROVED, RevisionState.PENDING])
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
