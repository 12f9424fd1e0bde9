"""The event log (filters, explanations, error reports for admins) and synchronisation health (page, banner,
e-mail alerts once a day per agent, the beat tasks)."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.core.cache import cache
from django.db import connection
from django.utils import timezone

from offices import tasks
from sync.agents import create_agent
from sync.events import record_batch
from sync.health import alert_silent_agents, near_deadline, program_health, silent_agents
from sync.models import Agent, ErrorReport, Event
from tests.conftest import NIP_X
from tests.offices.panel_support import HTMX, bookkeeper, in_office  # noqa: F401

URL = "/panel/events/"
WARSAW = ZoneInfo("Europe/Warsaw")


def _event(level="info", code="sync_done", program="optima", nip="", at=None, agent=None, message="m"):
    return Event.objects.create(at=at or timezone.now(), level=level, code=code, program=program, nip=nip,
                                message=message, agent=agent)


@pytest.fixture
def log(cast):
    with in_office(cast.office_a):
        agent, _token = create_agent("Optima PC")
        _event("error", "db_unreachable", nip=NIP_X, agent=agent, message="SQL Server unreachable")
        _event("warning", "slow", program="symfonia", at=timezone.now() - timedelta(days=10))
        _event("info", "sync_done")
        ErrorReport.objects.create(agent=agent, message="NullReferenceException in Export", stacktrace="at Foo()")
        return agent


def _codes(response):
    return [event.code for event, _explanation in response.context["entries"]]


def test_staff_see_the_log_and_clients_do_not(office_client, cast, log, bookkeeper):  # noqa: F811
    assert office_client(cast.office_a, bookkeeper).get(URL).status_code == 200
    assert office_client(cast.office_a, cast.bob).get(URL).status_code == 404
    # office B's log does not show office A's events
    assert "db_unreachable" not in office_client(cast.office_b, cast.dave).get(URL).content.decode()


def test_filters_by_level_program_company_and_date(office_client, cast, log):
    client = office_client(cast.office_a, cast.alice)
    assert _codes(client.get(URL, {"level": "error"})) == ["db_unreachable"]
    assert _codes(client.get(URL, {"program": "symfonia"})) == ["slow"]
    assert _codes(client.get(URL, {"nip": f"{NIP_X[:3]}-{NIP_X[3:]}"})) == ["db_unreachable"]
    today = timezone.localdate().isoformat()
    assert "slow" not in _codes(client.get(URL, {"day_from": today}))
    assert _codes(client.get(URL, {"day_to": (timezone.localdate() - timedelta(days=5)).isoformat()})) == ["slow"]
    htmx = client.get(URL, {"level": "warning"}, HTTP_HX_TARGET="event-table", **HTMX)
    assert htmx.content.decode().startswith('<div id="event-table">')


def test_common_failures_are_explained_with_a_fix(office_client, cast, log):
    response = office_client(cast.office_a, cast.alice).get(URL, {"level": "error"})
    (event, explanation), = response.context["entries"]
    assert explanation is not None and explanation.fix
    assert response.content.decode().count('class="explain"') == 1


def test_error_reports_are_for_administrators(office_client, cast, log, bookkeeper):  # noqa: F811
    with in_office(cast.office_a):
        report = ErrorReport.objects.get()
    admin = office_client(cast.office_a, cast.alice)
    assert "NullReferenceException" in admin.get(URL).content.decode()
    detail = admin.get(f"/panel/events/error-reports/{report.pk}/")
    assert detail.status_code == 200 and "at Foo()" in detail.content.decode()
    keeper = office_client(cast.office_a, bookkeeper)
    assert "NullReferenceException" not in keeper.get(URL).content.decode()
    assert keeper.get(f"/panel/events/error-reports/{report.pk}/").status_code == 404


def test_batches_appear_in_the_log(office_client, cast):
    with in_office(cast.office_a):
        agent, _token = create_agent("Batch PC")
        record_batch(agent=agent, program="optima", program_version="1", result_json={
            "status": "rejected", "companies": {"rejected": 1}, "figures": {}, "payers": {}, "errors": []})
    response = office_client(cast.office_a, cast.alice).get(URL, {"level": "error"})
    assert "batch_rejected" in _codes(response)


# --- Health --------------------------------------------------------------------------------------------------


def test_program_health_and_page(office_client, cast, log):
    with in_office(cast.office_a):
        record_batch(agent=log, program="optima", program_version="1", result_json={
            "status": "applied", "companies": {}, "figures": {}, "payers": {}, "errors": []})
        rows = {(row.agent_id, row.program): row for row in program_health()}
    row = rows[(log.pk, "optima")]
    assert row.last_success is not None and row.last_error is not None
    response = office_client(cast.office_a, cast.alice).get("/panel/health/")
    assert response.status_code == 200
    assert "Optima PC" in response.content.decode()
    assert office_client(cast.office_a, cast.bob).get("/panel/health/").status_code == 404


def test_near_deadline_days():
    days = [day for day in range(1, 29) if near_deadline(datetime(2026, 11, day).date())]
    assert days == [13, 14, 15, 18, 19, 20, 23, 24, 25]


def test_silent_agent_banner_and_one_email_a_day(office_client, cast):
    before_deadline = datetime(2026, 11, 19, 9, 0, tzinfo=WARSAW)
    with in_office(cast.office_a):
        agent, _token = create_agent("Silent PC")
        Agent.objects.filter(pk=agent.pk).update(last_seen_at=before_deadline - timedelta(days=3),
                                                 created_at=before_deadline - timedelta(days=30))
        Agent.objects.exclude(pk=agent.pk).update(last_seen_at=before_deadline)
        assert [a.name for a in silent_agents(before_deadline)] == ["Silent PC"]
        assert silent_agents(datetime(2026, 11, 5, 9, 0, tzinfo=WARSAW)) == []  # far from a deadline
        cache.delete(f"silent-agent-alert:{agent.pk}:2026-11-19")
        try:
            mail.outbox.clear()
            assert alert_silent_agents(before_deadline) == 1
            assert alert_silent_agents(before_deadline + timedelta(hours=2)) == 0  # once a day
            assert len(mail.outbox) == 1 and mail.outbox[0].to == ["alice@alpha.test"]
            assert "Silent PC" in mail.outbox[0].subject
        finally:
            cache.delete(f"silent-agent-alert:{agent.pk}:2026-11-19")


def test_beat_tasks_queue_one_task_per_office(cast, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.scheduled_approvals, "apply_async", lambda: queued.append(_schema()))
    monkeypatch.setattr(tasks.silent_agent_alerts, "apply_async", lambda: queued.append(_schema()))
    assert tasks.scheduled_approvals_all_offices() >= 2
    assert tasks.silent_agent_alerts_all_offices() >= 2
    assert {cast.office_a.schema_name, cast.office_b.schema_name} <= set(queued)
    # the per-office task itself runs in the office's schema
    with in_office(cast.office_a):
        assert tasks.scheduled_approvals() == 0


def _schema():
    return connection.schema_name
