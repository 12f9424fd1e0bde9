import time

from django.core.management import call_command
from django.core.management.base import BaseCommand
from django_tenants.management.commands.migrate_schemas import MigrateSchemasCommand
from django_tenants.migration_executors import get_executor

from offices.provisioning import ensure_template_schema, offices_needing_migrations


def _migrate_schemas(schemas: list[str], executor: str, verbosity: int) -> None:
    """Run django-tenants' migration executor on exactly these office schemas."""
    command = MigrateSchemasCommand()
    parser = command.create_parser("manage.py", "migrate_schemas")
    options = vars(parser.parse_args(["--tenant", "--executor", executor, "--noinput"]))
    options["verbosity"] = verbosity
    options["skip_checks"] = True
    command.options, command.args = options, ()
    get_executor(codename=executor)(command.args, command.options).run_migrations(tenants=schemas)


class Command(BaseCommand):
    help = (
        "Migrate everything in the right order: the public schema, the office template "
        "(new offices are cloned from it), then every office that is behind, in parallel."
    )

    def add_arguments(self, parser):
        parser.add_argument("--executor", default="multiprocessing", choices=["standard", "multiprocessing"],
                            help="How office schemas are migrated (default: in parallel processes).")
        parser.add_argument("--all", action="store_true",
                            help="Run migrate in every office even when its migration records are complete.")

    def handle(self, *args, executor, all, verbosity, **options):  # noqa: A002 - the option's name
        started = time.perf_counter()
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        ensure_template_schema(verbosity=verbosity)
        if all:
            call_command("migrate_schemas", tenant=True, executor=executor, interactive=False, verbosity=verbosity)
        else:
            # Checking migration records is one query for all offices; running a no-op
            # migrate costs a few hundred milliseconds per office.
            behind = offices_needing_migrations()
            if behind:
                _migrate_schemas(behind, executor, verbosity)
            if verbosity:
                self.stdout.write(f"{len(behind)} office(s) needed migrations.")
        if verbosity:
            self.stdout.write(f"Migrated in {time.perf_counter() - started:.1f} s.")
