"""Periodic work of the sync app (beat entry ``sync-cleanup-idempotency-records`` in ``portal/settings.py``)."""

from __future__ import annotations

import logging

from celery import shared_task

from offices.tenancy import for_each_office
from sync import idempotency

logger = logging.getLogger(__name__)


@shared_task(name="sync.cleanup_idempotency_records")
def cleanup_idempotency_records() -> int:
    """Delete the expired Idempotency-Key records of the office this task was queued for."""
    deleted = idempotency.delete_expired()
    if deleted:
        logger.info("deleted %d expired idempotency records", deleted)
    return deleted


@shared_task(name="sync.cleanup_idempotency_records_all_offices")
def cleanup_idempotency_records_all_offices() -> int:
    """Public-schema task: queue ``cleanup_idempotency_records`` once per active office."""
    return for_each_office(cleanup_idempotency_records)
