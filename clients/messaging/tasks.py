"""Celery tasks of the outbox. They take ids, never instances; the office travels in the task's
headers (tenant-schemas-celery), so a task published inside an office's schema runs in it.

``send_message`` is idempotent (the row is claimed atomically), so it runs with ``acks_late`` and
``reject_on_worker_lost``: a task whose worker died is delivered again rather than lost.
"""

import logging

from celery import shared_task
from django.db import connection
from django_tenants.utils import get_public_schema_name

from clients.messaging import dispatch, services
from clients.messaging.broker import messaging_queue
from offices.tenancy import for_each_office

logger = logging.getLogger(__name__)


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_message(message_id: int) -> str:
    return dispatch.send(int(message_id))


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def dispatch_office() -> dict:
    """One office: reconcile and publish its due messages (runs in the office's schema)."""
    if connection.schema_name == get_public_schema_name():
        return {}
    return dispatch.dispatch_due()


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def remind_office() -> int:
    if connection.schema_name == get_public_schema_name():
        return 0
    return len(services.queue_reminders())


@shared_task(ignore_result=True)
def dispatch_all_offices() -> int:
    """The beat's entry point (public schema): one ``dispatch_office`` per active office."""
    return for_each_office(dispatch_office, queue=messaging_queue())


@shared_task(ignore_result=True)
def remind_all_offices() -> int:
    """The beat's entry point for payment reminders (idempotent: run it as often as you like)."""
    return for_each_office(remind_office, queue=messaging_queue())
