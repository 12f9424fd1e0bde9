"""Spare schemas: a sign-up renames one made earlier; never one made before the template's last migration."""

import pytest
from django.core.management import call_command
from django.db import connection
from django_tenants.utils import schema_context, schema_exists

import offices.provisioning as provisioning
from offices.models import Office
from offices.provisioning import create_office, delete_office, template_schema
from offices.schema_ddl import migration_state
from offices.spare_schemas import claim_spare, refill_spares, spare_schemas
from offices.tasks import refill_spare_schemas
from tests.offices.schema_support import in_threads, schema_shape


def _drop_spares() -> None:
    for spare in spare_schemas():
        with connection.cursor() as cursor:
            cursor.execute(f'DROP SCHEMA "{spare}" CASCADE')


@pytest.fixture(autouse=True)
def _empty_pool(django_db_blocker):
    """Each test starts without spares (other tests' deploys may have left some; spares are disposable)."""
    with django_db_blocker.unblock():
        _drop_spares()


def _provision(slug: str):
    return create_office(slug=slug, name=f"Biuro {slug}", owner_email=f"szef@{slug}.pl")


def test_a_sign_up_takes_a_spare_schema_of_the_templates_shape(db):
    assert refill_spares(template_schema(), size=2) == (2, 0)
    spares = spare_schemas()
    office = _provision("z-zapasu").office
    left = spare_schemas()
    assert len(left) == 1 and set(left) < set(spares)
    assert schema_shape(office.schema_name) == schema_shape(template_schema())
    with schema_context(office.schema_name), connection.cursor() as cursor:
        cursor.execute("SELECT email FROM accounts_user")
        assert cursor.fetchall() == [("szef@z-zapasu.pl",)]
    assert refill_spares(template_schema(), size=2) == (1, 0)


def test_a_failed_sign_up_gives_its_spare_back(db, monkeypatch):
    refill_spares(template_schema(), size=1)
    spares = spare_schemas()

    def broken_login(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(provisioning, "create_login", broken_login)
    with pytest.raises(RuntimeError):
        _provision("nieudane")
    assert spare_schemas() == spares
    assert not schema_exists("office_nieudane")


def test_a_spare_made_before_a_template_migration_is_never_handed_out(db):
    refill_spares(template_schema(), size=1)
    (old_spare,) = spare_schemas()
    # Inside the test's transaction: rolled back with it.
    call_command("migrate_schemas", "sessions", "zero", schema_name=template_schema(), interactive=False,
                 verbosity=0)
    office = _provision("po-migracji-szablonu").office
    assert spare_schemas() == [old_spare]  # not taken
    assert schema_shape(office.schema_name) == schema_shape(template_schema())
    assert not claim_spare("office_x", migration_state(template_schema()))

    assert refill_spares(template_schema(), size=1) == (1, 1)
    (new_spare,) = spare_schemas()
    assert new_spare != old_spare and not schema_exists(old_spare)
    assert schema_shape(new_spare) == schema_shape(template_schema())


def test_concurrent_sign_ups_share_out_the_spares_and_the_rest_build_their_own(committed_db):
    slugs = [f"wyscig-{index}" for index in range(6)]
    refill_spares(template_schema(), size=3)
    try:
        results = in_threads([lambda slug=slug: _provision(slug) for slug in slugs])
        assert not [result for result in results if isinstance(result, Exception)]
        assert spare_schemas() == []
        template = schema_shape(template_schema())
        for slug in slugs:
            assert schema_shape(Office.objects.get(slug=slug).schema_name) == template
    finally:
        for office in Office.objects.filter(slug__in=slugs):
            delete_office(office)
        _drop_spares()


def test_the_beat_task_keeps_the_configured_number_of_spares(db, settings):
    settings.OFFICE_SPARE_SCHEMAS = 2
    assert refill_spare_schemas.apply().get() == 2
    assert refill_spare_schemas.apply().get() == 0
    assert len(spare_schemas()) == 2
