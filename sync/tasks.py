"""Periodic work of the sync app. Per-office tasks carry the office's schema (tenant-schemas-celery).

Schedule (merge into ``CELERY_BEAT_SCHEDULE``)::

    from sync.tasks import BEAT_SCHEDULE
"""

from __future__ import annotations

import logging

from django_tenants.utils import get_public_schema_name, get_tenant_model, schema_context

from portal.celery import app
from sync import idempotency

logger = logging.getLogger(__name__)

BEAT_SCHEDULE = {
    "sync-cleanup-idempotency-records": {
        "task": "sync.cleanup_idempotency_records_all_offices",
        "schedule": 60 * 60,  # hourly; records live at least idempotency.TTL (24 h)
    },
}


@app.task(name="sync.cleanup_idempotency_records")
def cleanup_idempotency_records() -> int:
    """Delete the expired Idempotency-Key records of the office this task was queued for."""
    deleted = idempotency.delete_expired()
    if deleted:
        logger.info("deleted %d expired idempotency records", deleted)
    return deleted


@app.task(name="sync.cleanup_idempotency_records_all_offices")
def cleanup_idempotency_records_all_offices() -> int:
    """Public-schema task: queue ``cleanup_idempotency_records`` once per active office."""
    offices = (get_tenant_model().objects.filter(is_active=True).exclude(schema_name=get_public_schema_name())
               .values_list("schema_name", flat=True))
    queued = 0
    for schema_name in offices:
        # Queued inside the office's schema: tenant-schemas-celery puts it in the task's headers.
        with schema_context(schema_name):
            cleanup_idempotency_records.delay()
        queued += 1
    return queued
