import sys
import time

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from offices.migrating import OfficeMigration, migrate_offices
from offices.provisioning import ensure_template_schema, office_schemas, offices_needing_migrations, template_schema
from offices.spare_schemas import refill_spares


class Command(BaseCommand):
    help = (
        "Migrate everything in the right order: the public schema, the office template "
        "(new offices are copied from it), then every office that is behind, MIGRATION_PROCESSES at a "
        "time, each office in its own transaction. A failing office is reported and skipped; a rerun "
        "continues with the offices still behind."
    )

    def add_arguments(self, parser):
        parser.add_argument("--processes", type=int, default=settings.TENANT_MULTIPROCESSING_MAX_PROCESSES,
                            help="Offices migrated at once (default: the MIGRATION_PROCESSES setting).")
        parser.add_argument("--all", action="store_true",
                            help="Run migrate in every office even when its migration records are complete.")

    def handle(self, *args, processes, all, verbosity, **options):  # noqa: A002 - the option's name
        started = time.perf_counter()
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=max(0, verbosity - 1))
        ensure_template_schema(verbosity=max(0, verbosity - 1))
        # Comparing migration records is one query per 200 offices; a no-op migrate costs a few
        # hundred milliseconds per office.
        behind = office_schemas() if all else offices_needing_migrations()
        if verbosity:
            self.stdout.write(f"{len(behind)} office(s) to migrate with {processes} process(es).")
        summary = migrate_offices(behind, processes, report=self._progress if verbosity else None)
        if verbosity:
            if sys.stdout.isatty():
                self.stdout.write("")
            self.stdout.write(f"Migrated {len(summary.migrated)} office(s), {len(summary.failed)} failed, "
                              f"in {time.perf_counter() - started:.1f} s.")
        made, dropped = refill_spares(template_schema())
        if verbosity and (made or dropped):
            self.stdout.write(f"Spare schemas: {dropped} from the old template dropped, {made} made.")
        for failure in summary.failed:
            self.stderr.write(f"FAILED {failure.schema}: {failure.error}")
        if summary.failed:
            raise CommandError(f"{len(summary.failed)} office(s) could not be migrated and are unchanged; "
                               "fix them and run migrate_offices again (it continues with those still behind).")

    def _progress(self, done: int, total: int, result: OfficeMigration) -> None:
        status = "ok" if result.ok else "FAILED"
        line = f"[{done}/{total}] {result.schema} {status} ({result.seconds:.2f} s)"
        if sys.stdout.isatty() and result.ok:
            self.stdout.write(f"\r{line}\033[K", ending="")
        else:
            self.stdout.write(line)
