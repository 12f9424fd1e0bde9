"""migrate_offices across offices: a broken office is reported, skipped and left untouched; the others
are migrated; a rerun continues with the offices still behind."""

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection

from offices.models import Office
from offices.provisioning import create_office, delete_office, offices_needing_migrations

SLUGS = ("migracja-a", "migracja-b", "migracja-c")
# Two independent leaf migrations: in a plan mfa's comes before sessions', so an office whose
# sessions migration fails has already applied mfa's in the same run.
REVERSED = "(app = 'mfa' AND name = '0003_authenticator_type_uniq') OR app = 'sessions'"


def _reverse_two_migrations(schema: str) -> None:
    for app, target in (("mfa", "0002"), ("sessions", "zero")):
        call_command("migrate_schemas", app, target, schema_name=schema, interactive=False, verbosity=0)


def _state(schema: str) -> tuple[bool, bool, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL, to_regclass(%s) IS NOT NULL",
                       [f'"{schema}".unique_authenticator_type', f'"{schema}".django_session'])
        index, table = cursor.fetchone()
        cursor.execute(f'SELECT count(*) FROM "{schema}".django_migrations WHERE {REVERSED}')  # noqa: S608
        return index, table, cursor.fetchone()[0]


@pytest.fixture
def three_offices_behind(committed_db):
    offices = [create_office(slug=slug, name=slug, owner_email=f"szef@{slug}.pl").office for slug in SLUGS]
    for office in offices:
        _reverse_two_migrations(office.schema_name)
    yield [office.schema_name for office in offices]
    for office in Office.objects.filter(slug__in=SLUGS):
        delete_office(office)


def test_a_broken_office_is_skipped_unchanged_and_a_rerun_finishes_it(three_offices_behind, settings):
    settings.OFFICE_SPARE_SCHEMAS = 0  # no spare schemas to make here
    good_a, broken, good_c = three_offices_behind
    with connection.cursor() as cursor:  # what sessions.0001 creates is already there, differently
        cursor.execute(f'CREATE TABLE "{broken}".django_session (other integer)')
    assert offices_needing_migrations() == sorted(three_offices_behind)

    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(CommandError, match="1 office"):
        call_command("migrate_offices", processes=2, verbosity=1, stdout=out, stderr=err)

    assert _state(good_a) == _state(good_c) == (True, True, 2)
    # Nothing of the broken office's run stayed: not even mfa's migration, which had succeeded.
    assert _state(broken) == (False, True, 0)
    assert f"FAILED {broken}" in err.getvalue() and "django_session" in err.getvalue()
    assert "Migrated 2 office(s), 1 failed" in out.getvalue()
    assert offices_needing_migrations() == [broken]

    with connection.cursor() as cursor:
        cursor.execute(f'DROP TABLE "{broken}".django_session')
    out = io.StringIO()
    call_command("migrate_offices", processes=2, verbosity=1, stdout=out)
    assert "1 office(s) to migrate" in out.getvalue()
    assert f"[1/1] {broken} ok" in out.getvalue()
    assert _state(broken) == (True, True, 2)
    assert offices_needing_migrations() == []
