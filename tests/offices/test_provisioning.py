import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

import offices.provisioning as provisioning
from offices.accounts.models import OfficeSettings, Role, User
from offices.models import Domain, Office
from offices.provisioning import create_office, offices_needing_migrations, template_schema, validate_slug


@pytest.mark.parametrize("slug, code", [
    ("ab", "slug_length"),
    ("a" * 41, "slug_length"),
    ("Biuro_1", "slug_format"),
    ("1biuro", "slug_format"),
    ("biuro-", "slug_format"),
    ("bi--uro", "slug_format"),
    ("biuro.pl", "slug_format"),
    ("www", "slug_reserved"),
    ("admin", "slug_reserved"),
    ("xn--bro-kua", "slug_format"),
])
def test_bad_slugs_are_refused_with_a_reason(db, slug, code):
    with pytest.raises(ValidationError) as caught:
        validate_slug(slug)
    assert caught.value.code == code


def test_a_taken_slug_is_refused(cast):
    with pytest.raises(ValidationError) as caught:
        validate_slug("alpha")
    assert caught.value.code == "slug_taken"


def test_slugs_are_normalised(db):
    assert validate_slug("  Biuro-Kowalski ") == "biuro-kowalski"


def test_a_new_office_gets_a_schema_cloned_from_the_template(db):
    provisioned = create_office(slug="nowe-biuro", name="Nowe Biuro", owner_email="Szef@Nowe.pl",
                                owner_password="a-long-password-1")
    office = provisioned.office
    assert office.schema_name == "office_nowe_biuro"
    assert Domain.objects.get(tenant=office).domain == "nowe-biuro.localhost"
    assert schema_exists(office.schema_name)
    with schema_context(office.schema_name):
        owner = User.objects.get()
        assert owner.email == "szef@nowe.pl" and owner.role == Role.OWNER
        assert owner.check_password("a-long-password-1")
        assert OfficeSettings.objects.count() == 1
        # The clone carries the template's migration records: the schema is fully migrated.
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM django_migrations WHERE app = 'sync'")
            assert cursor.fetchone()[0] >= 1


def test_the_template_schema_holds_no_office_data(db):
    with schema_context(template_schema()):
        assert User.objects.count() == 0
        assert OfficeSettings.objects.count() == 0


def test_a_failed_provisioning_leaves_nothing_behind(db, monkeypatch):
    def broken_login(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(provisioning, "create_login", broken_login)
    with pytest.raises(RuntimeError):
        create_office(slug="half-made", name="Half", owner_email="x@y.pl")
    assert not Office.objects.filter(slug="half-made").exists()
    assert not Domain.objects.filter(domain__startswith="half-made.").exists()
    assert not schema_exists("office_half_made")


def test_an_office_needs_a_name(db):
    with pytest.raises(ValidationError) as caught:
        create_office(slug="no-name", name="  ", owner_email="x@y.pl")
    assert caught.value.code == "name_required"


def test_migrate_offices_migrates_only_the_offices_that_are_behind(cast):
    assert offices_needing_migrations() == []
    with connection.cursor() as cursor:
        # offices.0001 is recorded in office schemas without creating anything there: safe to re-apply.
        cursor.execute('DELETE FROM "office_beta".django_migrations WHERE app = %s', ["offices"])
    assert offices_needing_migrations() == ["office_beta"]
    call_command("migrate_offices", executor="standard", verbosity=0)
    assert offices_needing_migrations() == []
