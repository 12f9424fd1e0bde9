"""Basic-data conflicts: a synced value that differs from the office's is never dropped or overwritten silently.

``sync.ingest`` calls ``record_conflicts`` (one statement per batch) for every basic-data field it does not
take because the office has its own value there (the office edited the field by hand, or the office's
``update_basic_data`` is off). The company page lists the open conflicts; ``resolve_conflict`` keeps the
office's value or takes the program's. A program value the office already declined is not raised again
until the program sends a different one.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db import connection, transaction
from django.http import Http404
from django.utils import timezone

from clients.approval import lock_company
from clients.models import BasicDataConflict, Company, CompanyChange

TABLE = BasicDataConflict._meta.db_table


@dataclass(frozen=True, slots=True)
class ConflictData:
    company_id: int
    field: str
    ours: str
    theirs: str
    program: str


def record_conflicts(conflicts: list[ConflictData]) -> int:
    """Open (or refresh) one conflict per (company, field); skip values the office already declined."""
    if not conflicts:
        return 0
    columns = list(zip(*[(c.company_id, c.field, (c.ours or "")[:255], (c.theirs or "")[:255], c.program)
                         for c in conflicts], strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {TABLE} (company_id, field, ours, theirs, program, created_at, updated_at, resolution) "  # noqa: S608
            "SELECT t.company_id, t.field, t.ours, t.theirs, t.program, now(), now(), '' "
            "FROM unnest(%s::bigint[], %s::text[], %s::text[], %s::text[], %s::text[]) "
            "AS t(company_id, field, ours, theirs, program) "
            f"WHERE NOT EXISTS (SELECT 1 FROM {TABLE} d WHERE d.company_id = t.company_id AND d.field = t.field "
            "AND d.resolution = 'ours' AND d.theirs = t.theirs "
            f"AND d.resolved_at = (SELECT max(resolved_at) FROM {TABLE} e WHERE e.company_id = t.company_id "
            "AND e.field = t.field)) "
            "ON CONFLICT (company_id, field) WHERE resolved_at IS NULL DO UPDATE SET "
            "ours = EXCLUDED.ours, theirs = EXCLUDED.theirs, program = EXCLUDED.program, updated_at = now()",
            [list(column) for column in columns],
        )
        return cursor.rowcount


def access_conflict(company: Company, conflict_id) -> BasicDataConflict:
    """An open conflict of this company, or 404."""
    try:
        conflict_id = int(conflict_id)
    except (TypeError, ValueError):
        raise Http404 from None
    conflict = BasicDataConflict.objects.filter(pk=conflict_id, company=company, resolved_at__isnull=True).first()
    if conflict is None:
        raise Http404
    conflict.company = company
    return conflict


@transaction.atomic
def resolve_conflict(conflict: BasicDataConflict, resolution: str, *, by) -> bool:
    """Keep the office's value (``ours``) or take the program's (``theirs``); False if already resolved."""
    if resolution not in BasicDataConflict.Resolution.values:
        raise ValueError(resolution)
    company = conflict.company
    lock_company(company.pk)
    done = BasicDataConflict.objects.filter(pk=conflict.pk, resolved_at__isnull=True).update(
        resolved_at=timezone.now(), resolved_by=by, resolution=resolution)
    if not done:
        return False
    fresh = Company.objects.get(pk=company.pk)
    old = getattr(fresh, conflict.field)
    if resolution == BasicDataConflict.Resolution.THEIRS:
        setattr(fresh, conflict.field, conflict.theirs)
        # The field follows the program again.
        fresh.office_edited = [name for name in (fresh.office_edited or ()) if name != conflict.field]
        fresh.basic_data_program = conflict.program
        fresh.save(update_fields=[conflict.field, "office_edited", "basic_data_program"])
        setattr(company, conflict.field, conflict.theirs)
        company.office_edited = fresh.office_edited
    if resolution == BasicDataConflict.Resolution.THEIRS:
        details = {"field": conflict.field, "value": [old, conflict.theirs]}
    else:
        details = {"field": conflict.field, "kept": old, "declined": conflict.theirs}
    CompanyChange.objects.create(company=company, user=by, action=CompanyChange.Action.CONFLICT, details=details)
    return True
