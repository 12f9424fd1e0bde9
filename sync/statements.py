"""Importing a bank-statement file and recording it like a batch: ``POST files`` (kind ``mt940`` / ``camt053``),
the panel's "Import files" page and a client's upload all call ``import_and_record``.

Each statement of the file goes through ``clients.bank_statements.import_statement`` (the one path that matches
lines and records settlements); the file is then recorded as a ``Batch`` from program ``file_import`` (its
response — a batch response whose ``settlements`` counts what was settled and whose ``statements`` lists each
statement's unmatched lines — and its event in the event log), in the same transaction, with the request's
idempotency claim completed.
"""

from __future__ import annotations

import time

from django.db import transaction
from django.utils.translation import gettext as _

from clients.bank_statements import StatementOutcome, import_statement
from clients.models import Company, StatementSource
from sync import idempotency
from sync.batch import BatchResult
from sync.events import record_batch
from sync.importers import StatementFile
from sync.models import Batch, Event, EventLevel, new_batch_id


def import_and_record(parsed: StatementFile, *, source: str, agent=None, by=None, company: Company | None = None,
                      started: float | None = None,
                      claimed: idempotency.Claim | None = None) -> tuple[Batch, list[StatementOutcome]]:
    """Import every statement of ``parsed`` and record the file as a batch. ``company``: a client's own company
    (``StatementRefusedError`` when the statement is another company's: nothing is recorded)."""
    started = time.monotonic() if started is None else started
    agent_name = agent.name if agent is not None else ""
    with transaction.atomic():
        outcomes = [import_statement(data, source=source, file_name=parsed.filename, sha256=parsed.sha256, by=by,
                                     agent_name=agent_name, company=company) for data in parsed.statements]
        result = BatchResult()
        for outcome in outcomes:
            for key, value in outcome.settlements.as_json().items():
                result.settlements[key] += value
        response = {**result.as_json(), "statements": [outcome.as_json() for outcome in outcomes]}
        record = record_batch(agent=agent, program="file_import", program_version=parsed.label, result_json=response,
                              source=Batch.Source.FILE, public_id=new_batch_id(),
                              duration_ms=int((time.monotonic() - started) * 1000), body_bytes=parsed.size)
        if by is not None:
            _record_upload_event(record, parsed, outcomes, user=by, source=source)
        if claimed is not None:
            idempotency.complete(claimed, 200, record.response, batch=record)
    return record, outcomes


def _record_upload_event(record: Batch, parsed: StatementFile, outcomes, *, user, source: str) -> Event:
    matched = sum(len(outcome.matched) for outcome in outcomes)
    unmatched = sum(len(outcome.unmatched) for outcome in outcomes)
    who = _("the client %(user)s") % {"user": user.email} if source == StatementSource.CLIENT else user.email
    return Event.objects.create(
        at=record.received_at, source=Event.Source.PORTAL,
        level=EventLevel.WARNING if unmatched else EventLevel.INFO, code="bank_statement", program=record.program,
        batch=record,
        message=_("%(who)s imported the bank statement %(file)s (%(format)s): %(matched)d payment(s) settled, "
                  "%(unmatched)d not matched.") % {"who": who, "file": parsed.filename or "-",
                                                  "format": parsed.label, "matched": matched, "unmatched": unmatched},
        details={"file": parsed.filename, "user_id": user.pk, "via": source, "matched": matched,
                 "unmatched": unmatched})
