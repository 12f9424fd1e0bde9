import time

from django.core.management import call_command
from django.core.management.base import BaseCommand

from offices.provisioning import ensure_template_schema


class Command(BaseCommand):
    help = (
        "Migrate everything in the right order: the public schema, the office template "
        "(new offices are cloned from it), then every office in parallel."
    )

    def add_arguments(self, parser):
        parser.add_argument("--executor", default="multiprocessing", choices=["standard", "multiprocessing"],
                            help="How office schemas are migrated (default: in parallel processes).")

    def handle(self, *args, executor, verbosity, **options):
        started = time.perf_counter()
        call_command("migrate_schemas", shared=True, interactive=False, verbosity=verbosity)
        ensure_template_schema(verbosity=verbosity)
        call_command("migrate_schemas", tenant=True, executor=executor, interactive=False, verbosity=verbosity)
        if verbosity:
            self.stdout.write(f"Migrated in {time.perf_counter() - started:.1f} s.")
