"""Approval: idempotent, refuses superseded revisions, records who and when."""

from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import translation
from django_tenants.utils import schema_context

from clients.access import access_company, memberships_of
from clients.approval import approve_company, approve_company_period, approve_revision
from clients.models import ApprovalLog, Company, Figure, Revision, RevisionState, parse_period
from clients.review import pending_count, staff_companies
from clients.services import set_manual_value
from sync.agents import create_agent
from sync.ingest import apply_batch
from tests.clients import batches as b
from tests.clients.reading import approved_figures_for, approved_periods_for, figure_rows

JAN, FEB = parse_period("2026-01"), parse_period("2026-02")


@pytest.fixture
def office_a(cast):
    with schema_context(cast.office_a.schema_name):
        yield cast


def pending_vat(company, period=JAN) -> Revision:
    return Revision.objects.get(figure__company=company, figure__kind="tax:VAT-7", figure__period=period,
                                state=RevisionState.PENDING)


def test_approving_publishes_the_revision_and_records_who(office_a):
    x = office_a.company_x
    revision = pending_vat(x)
    old = approved_figures_for(x).get(figure__kind="tax:VAT-7", figure__period=JAN)
    result = approve_revision(revision, by_user=office_a.alice)
    assert (result.status, result.approved) == ("approved", 1)
    assert revision.state == RevisionState.APPROVED and revision.approved_by == office_a.alice
    assert revision.approved_at is not None
    old.refresh_from_db()
    assert old.state == RevisionState.SUPERSEDED
    assert approved_figures_for(x).get(figure__kind="tax:VAT-7", figure__period=JAN).amount == Decimal("1050.00")
    log = ApprovalLog.objects.filter(company=x).first()
    assert (log.user, log.revisions, log.period, log.action) == (office_a.alice, 1, JAN, "approve")


def test_approving_again_changes_nothing_and_says_so(office_a):
    revision = pending_vat(office_a.company_x)
    approve_revision(revision, by_user=office_a.alice)
    logs = ApprovalLog.objects.count()
    approved_at = revision.approved_at
    result = approve_revision(revision, by_user=office_a.alice)
    assert (result.status, result.approved, result.already_approved) == ("already_approved", 0, 1)
    revision.refresh_from_db()
    assert revision.approved_at == approved_at and ApprovalLog.objects.count() == logs
    with translation.override("en"):
        assert "already approved" in str(result.message)


def test_a_superseded_revision_is_refused(office_a):
    x = office_a.company_x
    stale = pending_vat(x)
    agent = create_agent("A")[0]
    apply_batch(b.batch(b.company(0, x.nip, taxes=[b.tax(0, "2026-01", "VAT-7", 1090)])), agent)
    result = approve_revision(stale, by_user=office_a.alice)
    assert (result.status, result.approved, result.superseded) == ("superseded", 0, 1)
    with translation.override("en"):
        assert "replaced" in str(result.message)
    # nothing was published: the client still sees the old approved value, the newer one is still pending
    assert approved_figures_for(x).get(figure__kind="tax:VAT-7", figure__period=JAN).amount == Decimal("1000.00")
    assert pending_vat(x).amount == Decimal("1090.00")


def test_approve_by_agent_and_exactly_one_approver(office_a):
    agent = create_agent("Approver")[0]
    revision = pending_vat(office_a.company_x, FEB)
    approve_revision(revision, by_agent=agent)
    assert (revision.approved_by_agent_id, revision.approved_by_agent_name, revision.approved_by) == (
        agent.pk, "Approver", None)
    with pytest.raises(ValueError):
        approve_revision(revision)
    with pytest.raises(ValueError):
        approve_revision(revision, by_user=office_a.alice, by_agent=agent)


def test_approve_company_period_and_company(office_a):
    x = office_a.company_x
    result = approve_company_period(x, JAN, by_user=office_a.alice)
    assert result.approved == 1
    assert Revision.objects.filter(figure__company=x, state=RevisionState.PENDING).count() == 1  # February
    assert approve_company_period(x, JAN, by_user=office_a.alice).status == "nothing_to_approve"
    assert approve_company(x, by_user=office_a.alice).approved == 1
    assert not Revision.objects.filter(figure__company=x, state=RevisionState.PENDING).exists()
    assert approved_periods_for(x) == [FEB, JAN]
    # every figure keeps exactly one approved revision
    for figure in Figure.objects.filter(company=x):
        assert figure.revisions.filter(state=RevisionState.APPROVED).count() == 1


def test_panel_rows_and_red_marks(office_a):
    rows = figure_rows(office_a.company_x)
    pending = [(row.figure.period_label, row.figure.kind) for row in rows if row.needs_approval]
    assert sorted(pending) == [("2026-01", "tax:VAT-7"), ("2026-02", "tax:VAT-7")]
    marks = dict(Company.objects.annotate(pending=pending_count()).values_list("pk", "pending"))
    assert marks[office_a.company_x.pk] == 2 and marks[office_a.company_y.pk] == 0


def test_database_refuses_two_approved_or_two_pending_revisions(office_a):
    figure = Figure.objects.get(company=office_a.company_x, kind="tax:VAT-7", period=JAN)
    for state in (RevisionState.APPROVED, RevisionState.PENDING):
        with pytest.raises(IntegrityError), transaction.atomic():
            Revision.objects.create(figure=figure, amount=1, source="optima", state=state)


def test_clients_see_only_their_companies(office_a):
    assert [m.company for m in memberships_of(office_a.bob)] == [office_a.company_x]
    assert [m.company for m in memberships_of(office_a.carol)] == [office_a.company_y]
    assert memberships_of(office_a.alice) == []  # staff have no client views: they use the panel
    assert set(staff_companies(office_a.alice, assigned_only=False)) >= {office_a.company_x, office_a.company_y}
    assert access_company(office_a.bob, office_a.company_x.pk) == office_a.company_x
    for guess in (office_a.company_y.pk, 999999, "abc", None):
        with pytest.raises(Http404):
            access_company(office_a.bob, guess)


def test_manual_value_pending_when_not_approved(office_a):
    y = office_a.company_y
    revision = set_manual_value(y, FEB, "tax:VAT-7", Decimal("12.5"), by=office_a.alice, approve=False)
    assert (revision.state, revision.amount, revision.manual, revision.source) == (
        "pending", Decimal("12.50"), True, "manual")
    assert revision.due_date.isoformat() == "2026-03-25"
    assert approve_revision(revision, by_user=office_a.alice).approved == 1
