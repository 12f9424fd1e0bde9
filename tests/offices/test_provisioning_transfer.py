"""One office out and in: export_office writes it to a file, restore_office recreates it, here or in a
fresh database, with every row identical."""

import os
import subprocess
import sys
import zipfile
from pathlib import Path
from urllib.parse import quote as urlquote

import psycopg
import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context

from clients.models import Company
from offices.models import Domain, Office
from offices.transfer import restore_office
from tests.offices.schema_support import schema_shape

ROOT = Path(__file__).resolve().parents[2]


def _tables(schema: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relnamespace = %s::regnamespace AND relkind = 'r' "
                       "ORDER BY 1", [schema])
        return [name for (name,) in cursor.fetchall()]


def _rows(cursor, schema: str, table: str) -> list[tuple]:
    cursor.execute(f'SELECT t::text FROM "{schema}"."{table}" t ORDER BY 1')  # noqa: S608 - test helper
    return cursor.fetchall()


def _all_rows(cursor, schema: str, tables: list[str]) -> dict[str, list[tuple]]:
    return {table: _rows(cursor, schema, table) for table in tables}


def _export(office: Office, tmp_path: Path) -> Path:
    path = tmp_path / f"{office.slug}.zip"
    call_command("export_office", office.slug, str(path), verbosity=0)
    return path


def test_an_exported_office_restored_under_another_address_is_identical(cast, tmp_path, settings):
    settings.MEDIA_ROOT = str(tmp_path / "media")
    logo = tmp_path / "media" / cast.office_a.schema_name / "logos" / "logo.png"
    logo.parent.mkdir(parents=True)
    logo.write_bytes(b"\x89PNG not really")
    path = _export(cast.office_a, tmp_path)

    call_command("restore_office", str(path), slug="alpha-kopia", verbosity=0)

    copy = Office.objects.get(slug="alpha-kopia")
    assert (copy.name, copy.owner_email, copy.created_at, copy.is_active) == (
        cast.office_a.name, cast.office_a.owner_email, cast.office_a.created_at, cast.office_a.is_active)
    assert list(Domain.objects.filter(tenant=copy).values_list("domain", "is_primary")) == [
        ("alpha-kopia.localhost", True)]
    tables = _tables(cast.office_a.schema_name)
    assert _tables(copy.schema_name) == tables
    with connection.cursor() as cursor:
        original = _all_rows(cursor, cast.office_a.schema_name, tables)
        assert sum(map(len, original.values())) > 100  # the cast's companies, figures, users…
        assert _all_rows(cursor, copy.schema_name, tables) == original
    assert schema_shape(copy.schema_name) == schema_shape(cast.office_a.schema_name)
    assert (tmp_path / "media" / copy.schema_name / "logos" / "logo.png").read_bytes() == logo.read_bytes()


def test_rows_added_after_a_restore_continue_after_the_restored_ids(cast, tmp_path):


    restore_office(_export(cast.office_a, tmp_path), slug="alpha-dalej")
    copy = Office.objects.get(slug="alpha-dalej")
    with schema_context(copy.schema_name):
        highest = Company.objects.order_by("-id").values_list("id", flat=True).first()
        added = Company.objects.create(nip="1234563218", name="Nowa")
        assert added.id > highest


def test_restoring_over_a_taken_address_is_refused_and_changes_nothing(cast, tmp_path):
    path = _export(cast.office_b, tmp_path)
    offices = Office.objects.count()
    with pytest.raises(ValidationError) as caught:
        restore_office(path)
    assert caught.value.code == "slug_taken"
    assert Office.objects.count() == offices


def test_a_file_that_is_not_an_office_export_is_refused(db, tmp_path):
    path = tmp_path / "other.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("readme.txt", "hello")
    with pytest.raises(ValidationError) as caught:
        restore_office(path)
    assert caught.value.code == "not_an_export"


def _conninfo(dbname: str) -> dict:
    conf = connection.settings_dict
    return {"host": conf["HOST"], "port": conf["PORT"] or None, "user": conf["USER"],
            "password": conf["PASSWORD"] or None, "dbname": dbname}


def _url(dbname: str) -> str:
    conf = connection.settings_dict
    auth = urlquote(conf["USER"] or "", safe="") + (":" + urlquote(conf["PASSWORD"], safe="")
                                                    if conf["PASSWORD"] else "")
    port = f":{conf['PORT']}" if conf["PORT"] else ""
    return f"postgres://{auth}@{urlquote(conf['HOST'] or '', safe='')}{port}/{dbname}"


@pytest.fixture
def fresh_database():
    name = connection.settings_dict["NAME"] + "_restore"
    with psycopg.connect(**_conninfo("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        admin.execute(f'CREATE DATABASE "{name}"')
    yield name
    with psycopg.connect(**_conninfo("postgres"), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_an_office_restored_into_a_fresh_database_is_identical(cast, tmp_path, fresh_database):
    path = _export(cast.office_a, tmp_path)
    env = {**os.environ, "DATABASE_URL": _url(fresh_database), "BIURKO_DATA_DIR": str(tmp_path / "var"),
           "MEDIA_ROOT": str(tmp_path / "media"), "OFFICE_SPARE_SCHEMAS": "0"}
    for command in (["migrate_offices", "-v0"], ["restore_office", str(path)]):
        subprocess.run([sys.executable, "manage.py", *command], cwd=ROOT, env=env, check=True, timeout=600)

    tables = _tables(cast.office_a.schema_name)
    schema = cast.office_a.schema_name
    with connection.cursor() as cursor:
        original = _all_rows(cursor, schema, tables)
        cursor.execute("SELECT slug, name, owner_email, created_at, is_active FROM offices_office WHERE slug = %s",
                       [cast.office_a.slug])
        office_row = cursor.fetchall()
    with psycopg.connect(**_conninfo(fresh_database)) as restored:
        cursor = restored.cursor()
        assert _all_rows(cursor, schema, tables) == original
        cursor.execute("SELECT slug, name, owner_email, created_at, is_active FROM offices_office WHERE slug = %s",
                       [cast.office_a.slug])
        assert cursor.fetchall() == office_row
