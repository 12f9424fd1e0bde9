"""Celery tasks of the outbox. They take ids, never instances; the office travels in the task's
headers (tenant-schemas-celery), so a task published inside an office's schema runs in it.

``send_message`` is idempotent (the row is claimed atomically), so it runs with ``acks_late`` and
``reject_on_worker_lost``: a task whose worker died is delivered again rather than lost.
"""

import logging

from django.db import connection
from django_tenants.utils import get_public_schema_name

from clients.messaging import dispatch, services
from portal.celery import app

logger = logging.getLogger(__name__)


@app.task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_message(message_id: int) -> str:
    return dispatch.send(int(message_id))


@app.task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def dispatch_office() -> dict:
    """One office: reconcile and publish its due messages (runs in the office's schema)."""
    if connection.schema_name == get_public_schema_name():
        return {}
    return dispatch.dispatch_due()


@app.task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def remind_office() -> int:
    if connection.schema_name == get_public_schema_name():
        return 0
    return len(services.queue_reminders())


def _for_every_office(task) -> int:
    from offices.models import Office

    schemas = list(Office.objects.filter(is_active=True).exclude(schema_name=get_public_schema_name())
                   .values_list("schema_name", flat=True))
    for schema in schemas:
        task.apply_async(queue=services.messaging_queue(), headers={"_schema_name": schema})
    return len(schemas)


@app.task(ignore_result=True)
def dispatch_all_offices() -> int:
    """The beat's entry point (public schema): one ``dispatch_office`` per active office."""
    return _for_every_office(dispatch_office)


@app.task(ignore_result=True)
def remind_all_offices() -> int:
    """The beat's entry point for payment reminders (idempotent: run it as often as you like)."""
    return _for_every_office(remind_office)
