from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from offices.transfer import restore_office


class Command(BaseCommand):
    help = ("Create the office of an export_office file in this database, all or nothing; "
            "run migrate_offices afterwards if this site's template is newer than the export.")

    def add_arguments(self, parser):
        parser.add_argument("path", type=Path, help="A file written by export_office.")
        parser.add_argument("--slug", help="Restore under this address instead of the exported one.")

    def handle(self, *args, path, slug, verbosity, **options):
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        try:
            result = restore_office(path, slug=slug)
        except ValidationError as exc:
            raise CommandError(" ".join(exc.messages)) from exc
        if verbosity:
            self.stdout.write(f"Restored {result.office.slug} ({result.office.schema_name}): {result.tables} "
                              f"tables, {result.rows} rows, {result.files} files.")
