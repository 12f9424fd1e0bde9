"""Provisioning from the template's rendered DDL: the same schema as the template, safe side by side,
and always from the template's current migration state."""


import pytest
from allauth.mfa.models import Authenticator
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import schema_context, schema_exists

from offices.accounts.models import User
from offices.models import Office
from offices.provisioning import create_office, delete_office, is_reserved_schema_name, template_schema
from tests.offices.schema_support import in_threads, schema_shape, table_rows


def _provision(slug: str):
    return create_office(slug=slug, name=f"Biuro {slug}", owner_email=f"szef@{slug}.pl")


def test_a_new_office_has_exactly_the_templates_tables_constraints_and_indexes(db):
    office = _provision("ksztalt").office
    assert schema_shape(office.schema_name) == schema_shape(template_schema())
    assert table_rows(office.schema_name, "django_migrations") == table_rows(template_schema(), "django_migrations")


def test_a_partial_unique_index_of_the_template_still_holds_in_a_new_office(db):
    office = _provision("indeks").office
    with schema_context(office.schema_name):
        owner = User.objects.get()
        Authenticator.objects.create(user=owner, type=Authenticator.Type.TOTP, data={})
        with pytest.raises(IntegrityError), transaction.atomic():
            Authenticator.objects.create(user=owner, type=Authenticator.Type.TOTP, data={})
        Authenticator.objects.create(user=owner, type=Authenticator.Type.WEBAUTHN, data={})


def test_rows_added_in_a_new_office_continue_after_the_templates_ids(db):
    office = _provision("sekwencje").office
    with schema_context(office.schema_name):
        highest = Permission.objects.order_by("-id").values_list("id", flat=True).first()
        added = Permission.objects.create(name="Extra", codename="extra",
                                          content_type=ContentType.objects.get_for_model(Office))
        assert added.id > highest


def test_an_office_is_provisioned_from_the_templates_current_migrations(db):
    def has_sessions_table(schema):
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [f'"{schema}".django_session'])
            return cursor.fetchone()[0]

    before = _provision("przed-migracja").office
    # Inside the test's transaction: rolled back with it, the template is as it was for the other tests.
    call_command("migrate_schemas", "sessions", "zero", schema_name=template_schema(), interactive=False,
                 verbosity=0)
    behind = _provision("po-cofnieciu").office
    call_command("migrate_schemas", "sessions", schema_name=template_schema(), interactive=False, verbosity=0)
    again = _provision("po-migracji").office

    assert has_sessions_table(before.schema_name)
    assert not has_sessions_table(behind.schema_name)
    assert schema_shape(behind.schema_name)["columns"] != schema_shape(before.schema_name)["columns"]
    assert has_sessions_table(again.schema_name)
    assert schema_shape(again.schema_name) == schema_shape(template_schema())


def test_internal_schema_names_are_reserved():
    assert is_reserved_schema_name(template_schema())
    assert is_reserved_schema_name("public")
    assert is_reserved_schema_name("pg_toast")
    assert is_reserved_schema_name("office__restore_1")
    assert is_reserved_schema_name("billing")
    assert not is_reserved_schema_name("office_kowalski")


def test_concurrent_sign_ups_each_get_a_whole_office_and_one_address_goes_to_one(committed_db):
    slugs = [f"rownolegle-{index}" for index in range(5)]
    try:
        results = in_threads([lambda slug=slug: _provision(slug) for slug in slugs]
                              + [lambda: _provision("to-samo")] * 3)
        failures = [result for result in results if isinstance(result, Exception)]
        assert all(isinstance(failure, ValidationError) and failure.code == "slug_taken" for failure in failures)
        assert len(failures) == 2
        template = schema_shape(template_schema())
        for slug in [*slugs, "to-samo"]:
            office = Office.objects.get(slug=slug)
            assert schema_shape(office.schema_name) == template
            with schema_context(office.schema_name), connection.cursor() as cursor:
                cursor.execute("SELECT email FROM accounts_user")
                assert cursor.fetchall() == [(f"szef@{slug}.pl",)]
    finally:
        for office in Office.objects.filter(slug__in=[*slugs, "to-samo"]):
            delete_office(office)
    assert not schema_exists("office_to_samo")
