"""Provisioning offices and migrating many of them (docs/benchmarks.md: provisioning
a new office must be fast, and migrating many offices must run in parallel).

1. ``create_office`` (clone of the template schema), N=20, against the baseline of
   building the same schema by replaying every migration into an empty schema
   (``migrate_schemas --schema``), a few times.
2. ``migrate_schemas --tenant`` over N offices (N=20 and 50) with
   ``--executor=multiprocessing`` against ``--executor=standard``:
   a) everything already migrated (the no-op check every deploy pays);
   b) every office has one migration to apply. The migration is
      ``sessions.0001_initial`` (creates ``django_session`` and its index): before each
      timed run it is reversed for real in every office (``migrate_schemas sessions zero``,
      untimed), so the timed run does the real DDL, not just bookkeeping. It is a leaf of
      the migration graph (nothing depends on it), it is Django's own and never changes,
      and the offices made here hold no sessions, so reversing it loses nothing.

   c) for scale, what a no-op check could cost: one query per office comparing its
      ``django_migrations`` with the migration graph (loaded once). ``migrate_schemas``
      instead runs a full ``migrate`` per office, whose post-migrate handlers (content
      types, permissions) and model-state rendering dominate the no-op case.

The offices counted in N include the two of the session cast (alpha, beta).
"""

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.recorder import MigrationRecorder
from django_tenants.utils import schema_context

from offices.models import Office
from offices.provisioning import create_office
from tests.bench.conftest import timed

pytestmark = pytest.mark.bench

PROVISION_N = 20
REPLAY_N = 3
MIGRATE_NS = (20, 50)
EXECUTORS = ("standard", "multiprocessing")


def _provision(slug: str):
    return create_office(slug=slug, name=f"Bench {slug}", owner_email=f"owner@{slug}.test")


def _replay_migrations(schema: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'CREATE SCHEMA "{schema}"')
    call_command("migrate_schemas", tenant=True, schema_name=schema, interactive=False, verbosity=0)


def _drop_schema(schema: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def _exactly_offices(n: int) -> None:
    """Provision or remove benchmark offices until there are exactly ``n`` (the cast's two included)."""
    offices = Office.objects.exclude(schema_name="public")
    for index in range(offices.count(), n):
        _provision(f"bench-m{index:03d}")
    for office in offices.filter(slug__startswith="bench-").order_by("-id")[: max(0, offices.count() - n)]:
        schema = office.schema_name
        office.delete()  # its Domain goes with it; schemas are never dropped on delete, so:
        _drop_schema(schema)
    assert offices.count() == n


def _migrate_all(executor: str, *args) -> None:
    call_command("migrate_schemas", *args, tenant=True, executor=executor, interactive=False, verbosity=0)
    connection.set_schema_to_public()


def _pending_by_query() -> int:
    """Offices with unapplied migrations, found with one query per office (graph loaded once)."""
    tenant_labels = {config.label for config in apps.get_app_configs() if config.name in settings.TENANT_APPS}
    expected = {key for key in MigrationLoader(None, ignore_no_migrations=True).graph.nodes
                if key[0] in tenant_labels}
    pending = 0
    for schema in Office.objects.exclude(schema_name="public").values_list("schema_name", flat=True):
        with schema_context(schema):
            pending += bool(expected - set(MigrationRecorder(connection).applied_migrations()))
    connection.set_schema_to_public()
    return pending


def _sessions_table_everywhere() -> int:
    schemas = Office.objects.exclude(schema_name="public").values_list("schema_name", flat=True)
    present = 0
    for schema in schemas:
        with schema_context(schema), connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass('django_session') IS NOT NULL")
            present += cursor.fetchone()[0]
    return present


def test_provisioning_against_replaying_migrations(bench_report):
    report = bench_report("provisioning")

    clone = [_provision(f"bench-p{index:03d}").seconds for index in range(PROVISION_N)]
    clone_stats = report.add(f"create_office (clone template), N={PROVISION_N}", clone)

    replay = []
    for index in range(REPLAY_N):
        schema = f"bench_replay_{index}"
        replay.append(timed(_replay_migrations, schema))
        _drop_schema(schema)
    connection.set_schema_to_public()
    replay_stats = report.add(f"baseline: migrate_schemas --schema into empty schema, N={REPLAY_N}", replay)

    speedup = replay_stats["median_s"] / clone_stats["median_s"]
    report.results["speedup_median"] = round(speedup, 1)
    report.note(f"cloning is {speedup:.1f}x faster than replaying migrations (medians)")
    hashing = [timed(make_password, "a-long-password-for-timing") for _ in range(3)]
    report.add("for scale: one password hash (sign-up sets the owner's password)", hashing)
    report.note("create_office here makes the owner without a password (no hashing); sign-up adds one hash")
    assert clone_stats["median_s"] < replay_stats["median_s"]


@pytest.mark.parametrize("n", MIGRATE_NS)
def test_migrating_many_offices(bench_report, n):
    report = bench_report(f"migrate_offices_{n}")
    _exactly_offices(n)
    report.results["offices"] = n

    for executor in EXECUTORS:
        noop = [timed(_migrate_all, executor) for _ in range(2 if n <= 20 else 1)]
        report.add(f"no-op check, {n} offices, --executor={executor}", noop)

    query_check = [timed(_pending_by_query) for _ in range(3)]
    assert _pending_by_query() == 0
    report.add(f"for scale: pending-migration query per office, {n} offices", query_check)

    for executor in EXECUTORS:
        samples = []
        for _ in range(1 if n > 20 else 2):
            _migrate_all("multiprocessing", "sessions", "zero")  # untimed: undo it everywhere, for real
            assert _sessions_table_everywhere() == 0 and _pending_by_query() == n
            samples.append(timed(_migrate_all, executor))
            assert _sessions_table_everywhere() == n
        report.add(f"apply one migration (sessions.0001), {n} offices, --executor={executor}", samples)

    for kind in ("no-op check", "apply one migration (sessions.0001)"):
        standard = report.results[f"{kind}, {n} offices, --executor=standard"]["median_s"]
        parallel = report.results[f"{kind}, {n} offices, --executor=multiprocessing"]["median_s"]
        report.results[f"{kind}: standard / multiprocessing"] = round(standard / parallel, 2)
        report.note(f"{kind}: multiprocessing is {standard / parallel:.2f}x the speed of standard")
