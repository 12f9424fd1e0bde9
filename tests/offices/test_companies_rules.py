"""Approval rules per data kind: on every sync, on a day of the month (the beat task), or only by hand."""

from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from clients.models import ApprovalLog, ApprovalRule, Revision, RevisionState, parse_period
from clients.rules import run_scheduled_approvals, set_rule
from sync.agents import create_agent
from sync.ingest import apply_batch
from tests.clients import batches as b
from tests.conftest import NIP_X
from tests.offices.panel_support import bookkeeper, in_office  # noqa: F401

WARSAW = ZoneInfo("Europe/Warsaw")


def _pending(company, prefix):
    return Revision.objects.filter(figure__company=company, figure__kind__startswith=prefix,
                                   state=RevisionState.PENDING).count()


def test_page_is_for_administrators(office_client, cast, bookkeeper):  # noqa: F811
    assert office_client(cast.office_a, cast.alice).get("/panel/approval-rules/").status_code == 200
    assert office_client(cast.office_a, bookkeeper).get("/panel/approval-rules/").status_code == 404
    assert office_client(cast.office_a, cast.bob).get("/panel/approval-rules/").status_code == 404


def test_saving_rules_through_the_page(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    data = {"zus-mode": "on_sync", "zus-day": "10", "zus-hour": "8",
            "taxes-mode": "scheduled", "taxes-day": "18", "taxes-hour": "7",
            "statements-mode": "manual", "statements-day": "10", "statements-hour": "8"}
    assert client.post("/panel/approval-rules/", data).status_code == 302
    with in_office(cast.office_a):
        rules = {rule.kind: (rule.mode, rule.day, rule.hour) for rule in ApprovalRule.objects.all()}
    assert rules["zus"] == ("on_sync", 10, 8) and rules["taxes"] == ("scheduled", 18, 7)
    bad = client.post("/panel/approval-rules/", {**data, "taxes-day": "31"})
    assert bad.status_code == 400
    with in_office(cast.office_a):
        assert ApprovalRule.objects.get(kind="taxes").day == 18


def test_on_sync_approves_only_that_kind(cast):
    with in_office(cast.office_a):
        set_rule("zus", ApprovalRule.Mode.ON_SYNC)
        agent, _token = create_agent("Sync")
        result = apply_batch(b.batch(b.company(0, NIP_X, taxes=[b.tax(0, "2026-03", "VAT-7", 10)],
                                               zus_entries=[b.zus(0, "2026-03", total=20)])), agent)
        assert result.figures["approved"] == 1
        assert _pending(cast.company_x, "zus:") == 0
        assert _pending(cast.company_x, "tax:") == 3  # the two from the cast and March VAT
        assert ApprovalLog.objects.filter(company=cast.company_x, agent_name="Sync").exists()


def test_scheduled_rule_approves_once_when_its_moment_comes(cast):
    with in_office(cast.office_a):
        set_rule("taxes", ApprovalRule.Mode.SCHEDULED, day=18, hour=7)
        before = datetime(2026, 11, 18, 6, 59, tzinfo=WARSAW)
        assert run_scheduled_approvals(before) == 0
        at = datetime(2026, 11, 18, 7, 5, tzinfo=WARSAW)
        assert run_scheduled_approvals(at) == 2  # X's two pending taxes
        assert _pending(cast.company_x, "tax:") == 0
        vat = Revision.objects.get(figure__company=cast.company_x, figure__kind="tax:VAT-7",
                                   figure__period=parse_period("2026-01"), state=RevisionState.APPROVED)
        assert vat.amount == Decimal("1050.00") and vat.approved_by is None and vat.approved_by_agent_name
        # later in the same month: nothing again, even with new pending values
        agent, _token = create_agent("Sync")
        apply_batch(b.batch(b.company(0, NIP_X, taxes=[b.tax(0, "2026-03", "VAT-7", 10)])), agent)
        assert run_scheduled_approvals(datetime(2026, 11, 25, 7, 0, tzinfo=WARSAW)) == 0
        assert run_scheduled_approvals(datetime(2026, 12, 18, 7, 0, tzinfo=WARSAW)) == 1


def test_manual_rule_approves_nothing_by_itself(cast):
    with in_office(cast.office_a):
        set_rule("taxes", ApprovalRule.Mode.MANUAL)
        assert run_scheduled_approvals(datetime(2026, 11, 28, 23, 0, tzinfo=WARSAW)) == 0
        assert _pending(cast.company_x, "tax:") == 2
