"""Periodic work of the office panel (Celery beat). Each ``*_all_offices`` task runs in the public schema and
queues its per-office task once per active office (``offices.tenancy.for_each_office``).

Registered in ``portal/settings.py`` ``CELERY_BEAT_SCHEDULE`` (entries ``offices-*``):

- ``offices.scheduled_approvals_all_offices`` every 15 minutes → ``clients.rules.run_scheduled_approvals``
  (a rule runs once its day and hour of the month have come, once per month: any frequency works);
- ``offices.silent_agent_alerts_all_offices`` hourly → ``sync.health.alert_silent_agents`` (e-mails office
  administrators at most once a day per agent, in the days before the 15th, 20th and 25th);
- ``offices.refill_spare_schemas`` every minute → ``offices.spare_schemas.refill_spares`` (keeps
  ``OFFICE_SPARE_SCHEMAS`` copies of the template ready for sign-ups).
- ``offices.retention_all_offices`` daily → ``clients.retention.erase_departed_companies`` (RODO retention).
"""

from __future__ import annotations

import logging

from celery import shared_task

from clients.retention import erase_departed_companies
from clients.rules import run_scheduled_approvals
from offices.provisioning import template_schema
from offices.spare_schemas import refill_spares
from offices.tenancy import for_each_office
from sync.health import alert_silent_agents

logger = logging.getLogger(__name__)


@shared_task(name="offices.scheduled_approvals")
def scheduled_approvals() -> int:
    approved = run_scheduled_approvals()
    if approved:
        logger.info("automatic approval: %d values", approved)
    return approved


@shared_task(name="offices.scheduled_approvals_all_offices")
def scheduled_approvals_all_offices() -> int:
    return for_each_office(scheduled_approvals)


@shared_task(name="offices.silent_agent_alerts")
def silent_agent_alerts() -> int:
    return alert_silent_agents()


@shared_task(name="offices.silent_agent_alerts_all_offices")
def silent_agent_alerts_all_offices() -> int:
    return for_each_office(silent_agent_alerts)


@shared_task(name="offices.refill_spare_schemas", ignore_result=True)
def refill_spare_schemas() -> int:
    made, _dropped = refill_spares(template_schema())
    return made


@shared_task(name="offices.retention")
def retention() -> int:
    result = erase_departed_companies()
    if result.companies:
        logger.info("retention: %d companies, %d people erased, %d companies removed",
                    result.companies, result.people, result.deleted)
    return result.companies


@shared_task(name="offices.retention_all_offices")
def retention_all_offices() -> int:
    return for_each_office(retention)
