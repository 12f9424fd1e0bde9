from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from offices.models import Office
from offices.transfer import export_office


class Command(BaseCommand):
    help = ("Write one office (its public rows, its schema with every row, its uploaded files) to a file "
            "that restore_office reads back, in this database or another.")

    def add_arguments(self, parser):
        parser.add_argument("slug", help="The office's address (slug).")
        parser.add_argument("path", type=Path, help="The file to write (a zip archive).")

    def handle(self, *args, slug, path, verbosity, **options):
        office = Office.objects.filter(slug=slug).first()
        if office is None:
            raise CommandError(f"No office with the address {slug!r}.")
        if path.exists():
            raise CommandError(f"{path} exists; choose another file.")
        result = export_office(office, path)
        if verbosity:
            self.stdout.write(f"Exported {slug}: {result.tables} tables, {result.rows} rows, "
                              f"{result.files} files → {path}")
