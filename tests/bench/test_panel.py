"""The office panel's review pages at the size of a big office: 5,000 companies, 12 months of figures each.

Data: an office of its own (``benchpanel``) filled through ``sync.ingest.apply_batch`` — the real ingestion
path, no SQL shortcut — in batches of 250 companies: 12 months × 10 figures (VAT-7, PIT-5L, PIT-4; ZUS
social, health, total; statement revenue, costs, income, vat_due) = 600,000 figures, approved on arrival,
then a second sync changes the newest month's VAT of every 10th company (500 pending changes to approved
values: the "unapproved" filter's rows).

Measured (Django test client, the whole stack incl. tenant, session and user lookups; N=20 after one
warm-up), target p95 ≤ 150 ms:

- the companies list: first page; a search by name; a search by NIP prefix; the "unapproved" filter;
  "no data for a month"; sorted "unapproved first";
- a company page (12 months; the month with a pending change), and its htmx tab switch.

Baseline in the same run: ``GET /panel/`` (the panel's overview page: same stack, almost no data work).
"""

import time
from contextlib import contextmanager

import pytest
from django.db import connection
from django.template import Template
from django.test.utils import CaptureQueriesContext, _TestState
from django_tenants.utils import schema_context

from clients.models import Company
from offices.provisioning import create_office
from sync.ingest import apply_batch
from tests.bench.conftest import timed
from tests.clients import batches as b
from tests.conftest import OfficeClient

pytestmark = pytest.mark.bench

COMPANIES = 5000
CHUNK = 250
PERIODS = b.months(2025)
N = 20
HTMX = {"HTTP_HX_REQUEST": "true"}


def _company(i: int):
    periods = PERIODS
    taxes, zus_entries, statements = [], [], []
    for m, period in enumerate(periods):
        base = 1000 + (i % 97) * 13 + m * 11
        taxes += [b.tax(len(taxes), period, "VAT-7", base), b.tax(len(taxes) + 1, period, "PIT-5L", base / 4),
                  b.tax(len(taxes) + 2, period, "PIT-4", 300 + i % 50)]
        zus_entries.append(b.zus(m, period, social="1646.47", health=432.54 + i % 7, total=2079.01 + i % 7))
        statements.append(b.statement(m, period, 50000 + base, 30000 + i % 300, vat_due=base))
    return b.company(i % CHUNK, b.make_nip(100_000 + i), f"Firma {i:05d} {('Alfa', 'Beta', 'Gamma', 'Delta')[i % 4]}",
                     taxes=taxes, zus_entries=zus_entries, statements=statements)


def _fill(report) -> dict:
    started = time.perf_counter()
    figures = 0
    for first in range(0, COMPANIES, CHUNK):
        result = apply_batch(b.batch(*[_company(i) for i in range(first, min(first + CHUNK, COMPANIES))],
                                     approve=True), None)
        figures += result.figures["created"]
    load_s = time.perf_counter() - started
    changes = [b.company(j, b.make_nip(100_000 + i), f"Firma {i:05d} {('Alfa', 'Beta', 'Gamma', 'Delta')[i % 4]}",
                         taxes=[b.tax(0, PERIODS[-1], "VAT-7", 99999)])
               for j, i in enumerate(range(0, COMPANIES, 10))]
    apply_batch(b.batch(*changes), None)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    report.note(f"data: {COMPANIES} companies, {figures} figures through apply_batch in {load_s:.0f} s "
                f"({figures / load_s:,.0f} figures/s), {len(changes)} pending changes")
    return {"figures": figures}


@contextmanager
def _production_templates():
    """Time templates as a server renders them: without the test environment's instrumentation, which
    sends a signal with a copy of the context for every template and include (the test client's
    ``response.context``) and roughly doubles the rendering time of a page with many includes."""
    instrumented = Template._render
    Template._render = _TestState.saved_data.template_render
    try:
        yield
    finally:
        Template._render = instrumented


def _get(client, url, **headers):
    response = client.get(url, **headers)
    assert response.status_code == 200, url


def _samples(client, url, **headers) -> list[float]:
    _get(client, url, **headers)
    return [timed(_get, client, url, **headers) for _ in range(N)]


def _queries(client, url, **headers) -> int:
    with CaptureQueriesContext(connection) as queries:
        _get(client, url, **headers)
    return sum(1 for q in queries.captured_queries if not q["sql"].startswith("SET search_path"))


def test_companies_list_and_company_page(committed_db, bench_report):
    report = bench_report("panel")
    made = create_office(slug="benchpanel", name="Biuro Bench", owner_email="owner@benchpanel.test",
                         owner_password="bench-owner-password-1", owner_verified=True)
    office, owner = made.office, made.owner
    with schema_context(office.schema_name):
        _fill(report)
        sample = Company.objects.get(nip=b.make_nip(100_000 + 1230))  # every 10th has a pending change
    client = OfficeClient(office).login_as(owner)
    cases = [
        ("baseline: GET /panel/ (overview)", "/panel/", {}),
        ("list: first page (50 of 5,000)", "/panel/companies/", {}),
        ("list: search by name 'Firma 0123'", "/panel/companies/?q=Firma+0123", {}),
        ("list: search by NIP prefix", f"/panel/companies/?q={sample.nip[:7]}", {}),
        ("list: unapproved filter (500 rows)", "/panel/companies/?unapproved=on", {}),
        ("list: no data for 2026-01 (all 5,000)", "/panel/companies/?missing=2026-01", {}),
        ("list: sorted unapproved first", "/panel/companies/?sort=pending", {}),
        ("list: htmx filter (table fragment), unapproved", "/panel/companies/?unapproved=on",
         {"HTTP_HX_TARGET": "company-table", **HTMX}),
        ("company page: 12 months, month with a pending change", f"/panel/companies/{sample.pk}/?period=2025-12", {}),
        ("company page: htmx tab switch (ZUS)", f"/panel/companies/{sample.pk}/?period=2025-12&tab=zus",
         {"HTTP_HX_TARGET": "review", **HTMX}),
    ]
    with schema_context(office.schema_name), _production_templates():
        for name, url, headers in cases:
            report.add(name, _samples(client, url, **headers), queries=_queries(client, url, **headers))
    report.note("server time = Django test client round trip in-process (no network, no browser), "
                "templates rendered without the test environment's instrumentation")
