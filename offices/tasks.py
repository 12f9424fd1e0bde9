"""Periodic work of the office panel (Celery beat). Public tasks loop over offices and queue a per-office
task, which tenant-schemas-celery runs in that office's schema.

Registered in ``portal/settings.py`` ``CELERY_BEAT_SCHEDULE`` (entries ``offices-*``):

- ``offices.scheduled_approvals_all_offices`` every 15 minutes → ``clients.rules.run_scheduled_approvals``
  (a rule runs once its day and hour of the month have come, once per month: any frequency works);
- ``offices.silent_agent_alerts_all_offices`` hourly → ``sync.health.alert_silent_agents`` (e-mails office
  administrators at most once a day per agent, in the days before the 15th, 20th and 25th);
- ``offices.retention_all_offices`` daily → ``clients.retention.erase_departed_companies`` (RODO retention).
"""

from __future__ import annotations

import logging

from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

from portal.celery import app

logger = logging.getLogger(__name__)


def _office_schemas() -> list[str]:
    return list(get_tenant_model().objects.filter(is_active=True).exclude(schema_name=get_public_schema_name())
                .values_list("schema_name", flat=True))


def _queue_per_office(task) -> int:
    schemas = _office_schemas()
    for schema_name in schemas:
        with schema_context(schema_name):  # tenant-schemas-celery puts the schema in the task's headers
            task.delay()
    return len(schemas)


@app.task(name="offices.scheduled_approvals")
def scheduled_approvals() -> int:
    from clients.rules import run_scheduled_approvals

    approved = run_scheduled_approvals()
    if approved:
        logger.info("automatic approval: %d values", approved)
    return approved


@app.task(name="offices.scheduled_approvals_all_offices")
def scheduled_approvals_all_offices() -> int:
    return _queue_per_office(scheduled_approvals)


@app.task(name="offices.silent_agent_alerts")
def silent_agent_alerts() -> int:
    from sync.health import alert_silent_agents

    return alert_silent_agents()


@app.task(name="offices.silent_agent_alerts_all_offices")
def silent_agent_alerts_all_offices() -> int:
    return _queue_per_office(silent_agent_alerts)


@app.task(name="offices.retention")
def retention() -> int:
    from clients.retention import erase_departed_companies  # noqa: PLC0415 — like the tasks above

    result = erase_departed_companies()
    if result.companies:
        logger.info("retention: %d companies, %d people erased, %d companies removed",
                    result.companies, result.people, result.deleted)
    return result.companies


@app.task(name="offices.retention_all_offices")
def retention_all_offices() -> int:
    return _queue_per_office(retention)
