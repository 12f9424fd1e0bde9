"""Every way of approving goes through ``clients.publishing.publish``: the same log row and, for a client
already sent the month's summary, the same correction — whoever approved (panel, agent, rule, manual value)."""

from decimal import Decimal

import pytest
from django_tenants.utils import schema_context

from clients.approval import approve_company_period
from clients.messaging.models import Message, Purpose
from clients.messaging.services import queue_summary
from clients.models import ApprovalLog, ApprovalRule, Company, Revision, RevisionState
from clients.rules import approve_kinds, set_rule
from clients.services import set_manual_value
from sync.ingest import apply_batch
from tests.clients import batches as b
from tests.clients.messaging.test_outbox import send_all


def _changed_vat(company, *, approve=False):
    return b.batch(b.company(0, company.nip, taxes=[b.tax(0, "2026-01", "VAT-7", "1300")]), approve=approve)


def by_panel(f, cast):
    apply_batch(_changed_vat(f.company), None)
    approve_company_period(f.company, f.period, by_user=cast.alice)


def by_agent(f, cast):
    apply_batch(_changed_vat(f.company, approve=True), None)  # the agent's batch approves itself


def by_on_sync_rule(f, cast):
    set_rule(ApprovalRule.Kind.TAXES, ApprovalRule.Mode.ON_SYNC)
    try:
        apply_batch(_changed_vat(f.company), None)
    finally:
        set_rule(ApprovalRule.Kind.TAXES, ApprovalRule.Mode.MANUAL)


def by_scheduled_rule(f, cast):
    apply_batch(_changed_vat(f.company), None)
    # A scheduled run approves every enabled company of the office; this office's data is committed and
    # shared with later tests (the cast's pending values), so only this test's company takes part.
    others = list(Company.objects.filter(enabled=True).exclude(pk=f.company.pk).values_list("pk", flat=True))
    Company.objects.filter(pk__in=others).update(enabled=False)
    try:
        approve_kinds(["taxes"], name="automatic approval")
    finally:
        Company.objects.filter(pk__in=others).update(enabled=True)


def by_manual_value(f, cast):
    set_manual_value(f.company, f.period, "tax:VAT-7", Decimal("1300"), by=cast.alice)


@pytest.mark.parametrize("approve", [by_panel, by_agent, by_on_sync_rule, by_scheduled_rule, by_manual_value])
def test_every_approval_publishes_the_same_way_and_corrects_what_a_client_was_told(
        approve, peers, make_company, committed_cast):
    f = make_company()
    with schema_context(f.office.schema_name):
        queue_summary(f.company, f.period)
    send_all(f.office.schema_name)
    with schema_context(f.office.schema_name):
        logs_before = ApprovalLog.objects.filter(company=f.company).count()
        approve(f, committed_cast)
        vat = Revision.objects.get(figure__company=f.company, figure__kind="tax:VAT-7", state=RevisionState.APPROVED)
        assert vat.amount == Decimal("1300.00")
        # the value it replaced is superseded, never a second approved one
        assert Revision.objects.filter(figure=vat.figure, state=RevisionState.SUPERSEDED,
                                       amount=Decimal("1234.50")).count() == 1
        log = ApprovalLog.objects.filter(company=f.company).order_by("-pk").first()
        assert ApprovalLog.objects.filter(company=f.company).count() == logs_before + 1 and log.revisions == 1
        corrections = Message.objects.filter(company=f.company, purpose=Purpose.CORRECTION).order_by("channel")
        assert [m.channel for m in corrections] == ["email", "sms"]
        assert "1 234,50 zł → 1 300,00 zł" in corrections[0].body
        assert "VAT-7: 1 234,50 zl -> 1 300,00 zl" in corrections[1].body


def test_an_approval_of_a_month_nobody_was_told_about_queues_nothing(peers, make_company):
    f = make_company()
    with schema_context(f.office.schema_name):
        apply_batch(_changed_vat(f.company, approve=True), None)
        assert not Message.objects.filter(company=f.company).exists()
