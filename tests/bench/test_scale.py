"""Thousands of offices on one PostgreSQL (docs/benchmarks.md): provisioning, backend memory, deploys, the panel.

Run on the real server (the embedded one works too, but is not what production runs):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_h4 TEST_DATABASE_NAME=test_bench_h4 \\
        python3 dev.py bench -k scale

``BENCH_OFFICES`` (default 2,000) offices are provisioned in one process, in order; the tests run in
file order and share them (the database is dropped at the end of the run).

1. provisioning (``create_office``, owner without a password: hashing is a constant ~0.3 s on top),
   offices alternately with a spare schema ready (the refill just before it timed apart: the cost
   moved off the sign-up path) and with the pool empty (the template's cached DDL replayed):
   p50/p95 of the first and the last 100 of each in this process; in fresh processes (a new Python
   each, two spares ready, timed inside it) after the first 200 and after the last office.
   Baseline in the same run: django-tenants' ``clone_schema`` (what provisioning used before),
   rolled back, at the start and at the end.
2. backend memory (``pg_backend_memory_contexts``: CacheMemoryContext and children, and all contexts)
   of one connection after serving ``GET /panel/companies/`` for 1, 100 and all offices, with no bound,
   and with ``DB_MAX_SCHEMAS_PER_CONNECTION`` = 100 (largest value seen over 300 offices).
3. ``GET /panel/companies/`` (200 companies) in office #1 against office #N, N=30 each.
4. deploys (run second): ``migrate_offices`` with nothing to do; with one migration to apply in every office
   (``sessions.0001_initial``: before the timed run its table and record are dropped in every office,
   so the run does the real DDL); MIGRATION_PROCESSES in parallel.
"""

import json
import os
import subprocess
import sys
import time
from urllib.parse import quote as urlquote

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection, transaction
from django_tenants.clone import CloneSchema
from django_tenants.utils import schema_context

from offices.accounts.models import Role, User
from offices.models import Office
from offices.provisioning import create_office, offices_needing_migrations, template_schema
from offices.spare_schemas import refill_spares
from sync.ingest import apply_batch
from tests.bench.conftest import ROOT, summarise, timed
from tests.clients import batches as b
from tests.conftest import OfficeClient
from tests.offices.schema_support import backend_memory

pytestmark = pytest.mark.bench

OFFICES = int(os.environ.get("BENCH_OFFICES", "2000"))
EDGE = min(100, OFFICES // 2)
FRESH_PROCESSES = int(os.environ.get("BENCH_FRESH_PROCESSES", "10"))
CLONE_SAMPLES = 3
LIST_N = 30
MiB = 1024 * 1024


def _slug(index: int) -> str:
    return f"skala-{index:05d}"


def _provision(index: int) -> float:
    return create_office(slug=_slug(index), name=f"Biuro {index}", owner_email=f"szef@{_slug(index)}.pl",
                         owner_verified=True).seconds


def _bench_offices() -> list[Office]:
    return list(Office.objects.filter(slug__startswith="skala-").order_by("slug"))


def _clone_baseline() -> list[float]:
    """django-tenants' clone_schema of the template, rolled back: the cost provisioning had before."""
    samples = []
    for index in range(CLONE_SAMPLES):
        started = time.perf_counter()
        with transaction.atomic():
            CloneSchema().clone_schema(template_schema(), f"office__clone_{index}", "DATA")
            samples.append(time.perf_counter() - started)
            transaction.set_rollback(True)
    return samples


def _database_url() -> str:
    conf = connection.settings_dict
    auth = urlquote(conf["USER"] or "", safe="")
    if conf.get("PASSWORD"):
        auth += ":" + urlquote(conf["PASSWORD"], safe="")
    return f"postgres://{auth}@{urlquote(conf['HOST'] or '', safe='')}:{conf['PORT'] or 5432}/{conf['NAME']}"


def _in_fresh_processes(first_index: int) -> tuple[list[float], list[float]]:
    """Each of FRESH_PROCESSES new interpreters provisions two offices, with two spare schemas ready;
    (first office, second office) times."""
    cold, warm = [], []
    refill_spares(template_schema(), 0)
    env = {**os.environ, "DATABASE_URL": _database_url(), "DJANGO_SETTINGS_MODULE": "portal.settings"}
    for process in range(FRESH_PROCESSES):
        indexes = [first_index + 2 * process, first_index + 2 * process + 1]
        refill_spares(template_schema(), 2)  # the production path: spares ready
        output = subprocess.run([sys.executable, "-m", "tests.bench.provision_worker",
                                 *[_slug(i) for i in indexes]], cwd=ROOT, env=env, check=True,
                                capture_output=True, text=True, timeout=600).stdout
        seconds = json.loads(output.strip().splitlines()[-1])
        cold.append(seconds[0])
        warm.append(seconds[1])
    return cold, warm


def _provision_alternately(indexes: range, spare: list[float], built: list[float], refill: list[float]) -> None:
    """Even offices take a spare schema (made just before, timed apart), odd ones find the pool empty."""
    for index in indexes:
        if index % 2 == 0:
            refill.append(timed(refill_spares, template_schema(), 1))
            spare.append(_provision(index))
        else:
            built.append(_provision(index))


def test_provisioning_stays_flat(committed_db, bench_report):
    report = bench_report("scale_provisioning")
    report.results["offices"] = OFFICES
    report.add("baseline: django-tenants clone_schema, at 2 offices", _clone_baseline())
    spare, built, refill = [], [], []
    _provision_alternately(range(2 * EDGE), spare, built, refill)
    fresh_start = _in_fresh_processes(OFFICES)
    _provision_alternately(range(2 * EDGE, OFFICES), spare, built, refill)
    first = report.add(f"create_office with a spare schema, first {EDGE}", spare[:EDGE])
    last = report.add(f"create_office with a spare schema, last {EDGE}", spare[-EDGE:])
    report.results["p95 last / first"] = round(last["p95_s"] / first["p95_s"], 2)
    report.add(f"create_office, pool empty (copies the template's DDL), first {EDGE}", built[:EDGE])
    report.add(f"create_office, pool empty (copies the template's DDL), last {EDGE}", built[-EDGE:])
    report.add(f"refill: one spare schema (off the sign-up path), first {EDGE}", refill[:EDGE])
    report.add(f"refill: one spare schema (off the sign-up path), last {EDGE}", refill[-EDGE:])
    report.results["all spare samples"] = summarise(spare)
    report.results["all pool-empty samples"] = summarise(built)
    fresh_end = _in_fresh_processes(OFFICES + 2 * FRESH_PROCESSES)
    report.add(f"fresh process at ~{2 * EDGE} offices: its first office", fresh_start[0])
    report.add(f"fresh process at ~{2 * EDGE} offices: its second office", fresh_start[1])
    report.add(f"fresh process at ~{OFFICES} offices: its first office", fresh_end[0])
    report.add(f"fresh process at ~{OFFICES} offices: its second office", fresh_end[1])
    report.add(f"baseline: django-tenants clone_schema, at {OFFICES} offices", _clone_baseline())
    report.note(f"last {EDGE} p95 / first {EDGE} p95 = {report.results['p95 last / first']} "
                "(target ≤ 150 ms and ≤ 1.2×)")
    assert len(_bench_offices()) == OFFICES + 4 * FRESH_PROCESSES


def _drop_sessions_everywhere(schemas: list[str]) -> None:
    for start in range(0, len(schemas), 200):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(";".join(f'DROP TABLE "{s}".django_session; DELETE FROM "{s}".django_migrations '
                                    f"WHERE app = 'sessions'" for s in schemas[start:start + 200]))


def test_deploys(committed_db, bench_report):
    report = bench_report("scale_deploys")
    schemas = [office.schema_name for office in Office.objects.exclude(schema_name="public")]
    report.results["offices"] = len(schemas)
    report.results["migration_processes"] = settings.TENANT_MULTIPROCESSING_MAX_PROCESSES
    refill_spares(template_schema())  # untimed: a deploy refills the pool only after a template change
    report.add(f"migrate_offices, nothing to do, {len(schemas)} offices",
               [timed(call_command, "migrate_offices", verbosity=0) for _ in range(3)])
    report.add(f"for scale: offices_needing_migrations alone, {len(schemas)} offices",
               [timed(offices_needing_migrations) for _ in range(3)])
    _drop_sessions_everywhere(schemas)
    assert len(offices_needing_migrations()) == len(schemas)
    report.add(f"migrate_offices, one migration (sessions.0001) in each of {len(schemas)} offices",
               [timed(call_command, "migrate_offices", verbosity=0)])
    assert offices_needing_migrations() == []


def _owner(office: Office) -> User:
    with schema_context(office.schema_name):
        return User.objects.get(role=Role.OWNER)


def _serve(offices: list[Office], marks: set[int]) -> dict[int, tuple[int, int]]:
    """GET /panel/companies/ once per office on this process's connection; memory at each mark (count
    of offices served) and the largest seen (key 0), measured after every office."""
    seen: dict[int, tuple[int, int]] = {}
    peak = (0, 0)
    for served, office in enumerate(offices, start=1):
        response = OfficeClient(office).login_as(_owner(office)).get("/panel/companies/")
        assert response.status_code == 200
        memory = backend_memory()
        peak = max(peak, memory)
        if served in marks:
            seen[served] = memory
        connection.set_schema_to_public()
    seen[0] = peak
    return seen


def test_backend_memory_is_bounded(committed_db, bench_report, settings):
    report = bench_report("scale_memory")
    offices = _bench_offices()[:OFFICES]
    marks = {1, EDGE, len(offices)}
    settings.DB_MAX_SCHEMAS_PER_CONNECTION = 10**9
    connection.close()
    unbounded = _serve(offices, marks)
    for mark in sorted(marks):
        cache_bytes, total = unbounded[mark]
        report.results[f"no bound: after {mark} offices"] = {"cache_mib": round(cache_bytes / MiB, 1),
                                                             "total_mib": round(total / MiB, 1)}
    settings.DB_MAX_SCHEMAS_PER_CONNECTION = EDGE
    connection.close()
    # Three times the bound is enough to see the saw-tooth: the largest value is reached just before
    # each recycling (the bound is per connection, whatever the number of offices).
    bounded = _serve(offices[:3 * EDGE], set())
    report.results[f"DB_MAX_SCHEMAS_PER_CONNECTION={EDGE}: largest over {3 * EDGE} offices"] = {
        "cache_mib": round(bounded[0][0] / MiB, 1), "total_mib": round(bounded[0][1] / MiB, 1)}
    for key, value in report.results.items():
        if isinstance(value, dict) and "cache_mib" in value:
            report.note(f"{key}: CacheMemoryContext {value['cache_mib']} MiB, backend {value['total_mib']} MiB")
    assert bounded[0][0] < unbounded[len(offices)][0]


def _companies(office: Office, count: int) -> None:
    with schema_context(office.schema_name):
        companies = [b.full_company(i, b.make_nip(200_000 + i), b.months(2025)) for i in range(count)]
        apply_batch(b.batch(*companies, approve=True), None)


def test_companies_list_in_the_first_and_the_last_office(committed_db, bench_report):
    report = bench_report("scale_panel")
    offices = _bench_offices()
    for label, office in (("#1", offices[0]), (f"#{OFFICES}", offices[OFFICES - 1])):
        _companies(office, 200)
        client = OfficeClient(office).login_as(_owner(office))
        client.get("/panel/companies/")
        with schema_context(office.schema_name):
            samples = [timed(client.get, "/panel/companies/") for _ in range(LIST_N)]
        report.add(f"GET /panel/companies/ (200 companies), office {label}", samples)


