"""Applying a batch and recording it: the one path every entry point takes.

``POST batches``, ``POST files`` and the panel's upload all call ``apply_and_record``: the batch is
applied (``sync.ingest.apply_batch``) and recorded (a ``Batch`` row holding the response the agent gets,
its event in the event log and, for an idempotent request, the completed claim) in one transaction,
so a batch is never applied without its record, nor recorded without being applied.
"""

from __future__ import annotations

import time
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from clients import bulk
from sync import idempotency
from sync.batch import MAX_ERRORS_LISTED, BatchResult
from sync.batch import Batch as BatchData
from sync.events import record_batch
from sync.importers.result import ReviewFlag
from sync.ingest import apply_batch
from sync.models import Agent, Batch, Event, EventLevel, new_batch_id


def apply_and_record(batch: BatchData, agent: Agent | None, *, source: str, body_bytes: int,
                     started: float | None = None, claimed: idempotency.Claim | None = None,
                     create_nips: Iterable[str] = (), flags: Iterable[ReviewFlag] = ()) -> Batch:
    """Apply ``batch`` and record it; returns the ``Batch`` row (``.response`` is the 200 body).

    ``started`` (``time.monotonic()``) is when the request began, for the recorded duration;
    ``claimed`` is the request's idempotency claim, completed with the response;
    ``create_nips`` are companies to create first even when the office does not create companies
    from synchronisation (the panel user ticked them): they are counted as created;
    ``flags`` (an exchange file's ``ReviewFlag``s) are kept with the batch's event for its panel page.
    """
    started = time.monotonic() if started is None else started
    public_id = new_batch_id()
    with transaction.atomic():
        created = _create_companies(create_nips, program=batch.program)
        result = apply_batch(batch, agent, batch_ref=public_id)
        _count_as_created(result, created)
        record = record_batch(agent=agent, program=batch.program, program_version=batch.program_version,
                              result_json=result.as_json(), source=source, public_id=public_id,
                              duration_ms=int((time.monotonic() - started) * 1000), body_bytes=body_bytes,
                              erred_companies=_erred_companies(batch, result), flags=flags)
        if claimed is not None:
            idempotency.complete(claimed, 200, record.response, batch=record)
    return record


def _erred_companies(batch: BatchData, result: BatchResult) -> dict[str, dict]:
    """NIP and name, as the request sent them, of each company an error points at (for the panel's batch page)."""
    pointed = {error.pointer.split("/")[2] for error in result.errors[:MAX_ERRORS_LISTED]
               if error.pointer.startswith("/companies/") and error.pointer.count("/") >= 2}
    return {str(company.index): {"nip": str(company.nip or "")[:20], "name": str(company.name or "")[:120]}
            for company in batch.companies if str(company.index) in pointed}


def _create_companies(nips: Iterable[str], *, program: str) -> int:
    locked = bulk.lock_companies(list(nips), create_with_program=program)
    return sum(1 for _id, was_created in locked.values() if was_created)


def _count_as_created(result: BatchResult, created: int) -> None:
    """``apply_batch`` found the companies created just before it as existing ones: count them as created,
    as an agent's batch creating them would be."""
    for _i in range(created):
        bucket = "updated" if result.companies["updated"] else "unchanged"
        if result.companies[bucket]:
            result.companies[bucket] -= 1
            result.companies["created"] += 1


def record_panel_upload(record: Batch, *, user, file_name: str, variant: str, nips: list[str],
                        skipped_unknown: list[str]) -> Event:
    """Log who imported which file in the panel, next to the batch's own event."""
    return Event.objects.create(
        at=record.received_at, source=Event.Source.PORTAL, level=EventLevel.INFO, code="panel_upload",
        program=record.program, batch=record, nip=nips[0] if len(nips) == 1 else "",
        message=_("%(user)s imported %(file)s in the panel (%(variant)s).") % {
            "user": user.email, "file": file_name, "variant": variant},
        details={"file": file_name, "user_id": user.pk, "via": "panel", "variant": variant,
                 "skipped_unknown": skipped_unknown})
