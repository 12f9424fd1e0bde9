"""One office out and in: an export file holding everything of one office, restorable into any database.

The file is a zip archive:

- ``office.json``: the format version, the office's public rows (``offices_office``, its
  ``offices_domain`` rows), its migration state and its schema's structure
  (``offices.schema_ddl.SchemaScript``: tables, constraints, indexes, identity positions);
- ``tables/<table>.copy``: each table's rows in PostgreSQL's COPY text format;
- ``media/…``: the office's uploaded files (``MEDIA_ROOT/<schema>/``).

Plain SQL and COPY through the application's own connection: no ``pg_dump``/``psql``, whose
versions must match the server's (the embedded PostgreSQL ships its own), and nothing else of the
database comes along. The export reads one snapshot (REPEATABLE READ), so the tables agree with
each other even while the office works. A restore runs in one transaction: it either creates the
whole office or nothing. The restored office keeps the migration records it had; ``migrate_offices``
brings it up to the target's template if that is newer.
"""

from __future__ import annotations

import json
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils.translation import gettext as _

from offices.models import Domain, Office
from offices.provisioning import schema_name_for, validate_slug
from offices.schema_ddl import SchemaScript, build_structure, finish_structure, quote, render_schema
from offices.tenancy import office_host

FORMAT = "biurko-office"
VERSION = 1
_CHUNK = 1024 * 1024


@dataclass(frozen=True)
class TransferResult:
    office: Office
    tables: int
    rows: int
    files: int


def _office_row(office: Office) -> dict:
    return {"schema_name": office.schema_name, "slug": office.slug, "name": office.name,
            "owner_email": office.owner_email, "created_at": office.created_at.isoformat(),
            "is_active": office.is_active, "logo_file": office.logo_file}


def _media_dir(schema: str) -> Path:
    return Path(settings.MEDIA_ROOT) / schema


def _export_tables(archive: zipfile.ZipFile, script: SchemaScript, schema: str) -> int:
    rows = 0
    with connection.cursor() as cursor:
        for table, columns in script.data_tables:
            column_list = ", ".join(map(quote, columns))
            with archive.open(f"tables/{table}.copy", "w") as member, cursor.copy(
                    f"COPY {quote(schema)}.{quote(table)} ({column_list}) TO STDOUT") as copy:
                for data in copy:
                    member.write(data)
            rows += cursor.rowcount
    return rows


def _export_media(archive: zipfile.ZipFile, schema: str) -> int:
    root = _media_dir(schema)
    files = [path for path in root.rglob("*") if path.is_file()] if root.is_dir() else []
    for path in files:
        archive.write(path, "media/" + path.relative_to(root).as_posix())
    return len(files)


def export_office(office: Office, path: Path) -> TransferResult:
    """Write ``office`` (public rows, schema, rows, uploaded files) to the zip file ``path``."""
    own_transaction = not connection.in_atomic_block
    with transaction.atomic(), zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        if own_transaction:  # inside the caller's transaction, its snapshot rules
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        # Every table, empty or not: render_schema lists only tables with rows, and an empty table
        # must come back empty rather than missing from the file.
        script = render_schema(office.schema_name, include_empty_tables=True)
        manifest = {"format": FORMAT, "version": VERSION, "office": _office_row(office),
                    "domains": [{"domain": d.domain, "is_primary": d.is_primary}
                                for d in Domain.objects.filter(tenant=office).order_by("domain")],
                    "schema": script.to_dict()}
        archive.writestr("office.json", json.dumps(manifest, ensure_ascii=False, indent=1))
        rows = _export_tables(archive, script, office.schema_name)
        files = _export_media(archive, office.schema_name)
    return TransferResult(office=office, tables=len(script.data_tables), rows=rows, files=files)


def _read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read("office.json"))
    except (KeyError, ValueError) as exc:
        raise ValidationError(_("This is not an office export file."), code="not_an_export") from exc
    if manifest.get("format") != FORMAT or manifest.get("version") != VERSION:
        raise ValidationError(_("This office export file has an unknown format or version."), code="bad_version")
    return manifest


def _restore_rows(archive: zipfile.ZipFile, script: SchemaScript, schema: str) -> int:
    rows = 0
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL search_path TO {quote(schema)}")
        for table, columns in script.data_tables:
            column_list = ", ".join(map(quote, columns))
            with archive.open(f"tables/{table}.copy") as member, cursor.copy(
                    f"COPY {quote(schema)}.{quote(table)} ({column_list}) FROM STDIN") as copy:
                while data := member.read(_CHUNK):
                    copy.write(data)
            rows += cursor.rowcount
    return rows


def _restore_media(archive: zipfile.ZipFile, schema: str) -> int:
    root = _media_dir(schema).resolve()
    members = [name for name in archive.namelist() if name.startswith("media/") and not name.endswith("/")]
    for name in members:
        target = (root / name.removeprefix("media/")).resolve()
        if root not in target.parents:
            raise ValidationError(_("The export file holds a file outside the office's folder."), code="bad_path")
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(archive.read(name))
    return len(members)


def restore_office(path: Path, slug: str | None = None) -> TransferResult:
    """Create the office of the export file ``path`` in this database (under ``slug`` if given).

    Refuses (ValidationError) when its address is taken here; all or nothing.
    """
    with zipfile.ZipFile(path) as archive:
        manifest = _read_manifest(archive)
        row = manifest["office"]
        slug = validate_slug(slug or row["slug"])
        script = SchemaScript.from_dict(manifest["schema"])
        with transaction.atomic():
            office = Office.objects.create(schema_name=schema_name_for(slug), slug=slug, name=row["name"],
                                           owner_email=row["owner_email"], is_active=row["is_active"],
                                           logo_file=row.get("logo_file", ""))
            Office.objects.filter(pk=office.pk).update(created_at=row["created_at"])
            # The primary address follows this site's BASE_DOMAIN; extra (non-primary) ones come along.
            domains = [{"domain": office_host(slug), "is_primary": True},
                       *[domain for domain in manifest["domains"] if not domain["is_primary"]]]
            Domain.objects.bulk_create([Domain(tenant=office, **domain) for domain in domains])
            with connection.cursor() as cursor:
                build_structure(cursor, script, office.schema_name)
            rows = _restore_rows(archive, script, office.schema_name)
            with connection.cursor() as cursor:
                finish_structure(cursor, script, office.schema_name)
            files = _restore_media(archive, office.schema_name)
    office.refresh_from_db()
    return TransferResult(office=office, tables=len(script.data_tables), rows=rows, files=files)
