"""Migrating many offices: in parallel, one transaction per office, failures reported and skipped.

Each office's whole migration plan (every pending migration and the post-migrate content types and
permissions) runs in a single transaction: an office is either fully migrated or left exactly as it
was. A failing office is reported and the others go on. A run that stops (Ctrl-C, a crash, a
deploy timeout) loses only the offices in flight, which roll back; the next run finds the offices
still behind by their migration records (``offices_needing_migrations``) and continues from there.

Migrations that cannot run inside a transaction (``CREATE INDEX CONCURRENTLY``) fail here and are
reported; such a change needs its own deploy step.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.core.management import call_command
from django.core.management.commands.migrate import Command as MigrateCommand
from django.db import connection, connections, transaction


@dataclass(frozen=True)
class OfficeMigration:
    schema: str
    ok: bool
    seconds: float
    error: str = ""


@dataclass
class MigrationSummary:
    migrated: list[str] = field(default_factory=list)
    failed: list[OfficeMigration] = field(default_factory=list)
    seconds: float = 0.0


class _Discard:
    def write(self, text):
        pass

    def flush(self):
        pass


def migrate_office(schema: str) -> OfficeMigration:
    """Apply every pending migration to ``schema`` in one transaction; report instead of raising."""
    started = time.perf_counter()
    try:
        with transaction.atomic():
            connection.set_schema(schema)
            # Django's own migrate (django-tenants replaces the "migrate" name with migrate_schemas).
            call_command(MigrateCommand(), interactive=False, verbosity=0, skip_checks=True,
                         stdout=_Discard(), stderr=_Discard())
    except Exception as exc:  # noqa: BLE001 - one broken office must not stop the others
        error = "".join(traceback.format_exception_only(exc)).strip()
        return OfficeMigration(schema, False, time.perf_counter() - started, error)
    finally:
        connection.set_schema_to_public()
    return OfficeMigration(schema, True, time.perf_counter() - started)


def _worker_start() -> None:
    # A forked child must never reuse the parent's socket to PostgreSQL.
    for conn in connections.all():
        conn.inc_thread_sharing()
        conn.connection = None
        conn.dec_thread_sharing()


def _migrate_in_processes(schemas: list[str], processes: int) -> Iterator[OfficeMigration]:
    connections.close_all()
    context = multiprocessing.get_context("fork")
    with context.Pool(processes, initializer=_worker_start, maxtasksperchild=200) as pool:
        # maxtasksperchild: a worker that has touched 200 schemas is replaced, which bounds the
        # catalogue cache of its PostgreSQL backend (see docs/scaling.md).
        yield from pool.imap_unordered(migrate_office, schemas, chunksize=1)


def migrate_offices(schemas: list[str], processes: int,
                    report: Callable[[int, int, OfficeMigration], None] | None = None) -> MigrationSummary:
    """Migrate ``schemas`` with ``processes`` workers (1: in this process), calling ``report`` after each."""
    started = time.perf_counter()
    summary = MigrationSummary()
    results = (map(migrate_office, schemas) if processes <= 1 or len(schemas) <= 1
               else _migrate_in_processes(schemas, min(processes, len(schemas))))
    for done, result in enumerate(results, start=1):
        (summary.migrated.append(result.schema) if result.ok else summary.failed.append(result))
        if report:
            report(done, len(schemas), result)
    summary.seconds = time.perf_counter() - started
    return summary
