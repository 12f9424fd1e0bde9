"""Memory of one ``POST batches`` at the documented maximum (docs/benchmarks.md).

What runs: gunicorn (the ingest benchmark's ``Server``: 2 workers × 4 threads, RSS of each worker sampled
every 20 ms) on this benchmark's test database, a fresh office, and one agent posting, one after another,
gzipped batches of the ingest benchmark's companies (192 figures each: 12 months × 3 taxes, ZUS of two
people, a statement) — 50 companies (9,600 figures), then the largest batch within
``AGENT_API_MAX_FIGURES_PER_BATCH`` (260 companies, 49,920 figures), three times each; then the largest
within ``AGENT_API_MAX_COMPANIES_PER_BATCH`` (1,000 companies with a quarter each: 48,000 figures, 2,000
people), three times. Then one company
more than the maximum, which must be refused with ``413 batch_too_large``.

Measured: for each batch, the handling worker's peak RSS while it was answered minus its RSS just before
(the request's own memory), and the response time. Target: under ~100 MiB at the maximum.

Run: ``python3 dev.py bench -k batch_memory`` (results in ``var/bench/batch_memory.json``).
"""

import gzip
import time
import uuid

import orjson
import pytest
import requests
from django.conf import settings

from offices.provisioning import delete_office
from tests.bench.ingest_data import MONTHS, figure_count, generate_companies
from tests.bench.ingest_server import Server, make_office

pytestmark = pytest.mark.bench
COMPANY_FIGURES = 192
SIZES = (50, settings.AGENT_API_MAX_FIGURES_PER_BATCH // COMPANY_FIGURES)
REPEATS = 3


def quarter(company: dict) -> dict:
    """The company with its first three months only."""
    months = set(MONTHS[:3])
    return {**company, **{part: [row for row in company[part] if row["period"] in months]
                          for part in ("taxes", "zus", "statements")}}


def body(companies: list[dict]) -> bytes:
    return gzip.compress(orjson.dumps({"program": {"code": "optima", "version": "bench"},
                                       "companies": companies}), compresslevel=5)


def post(server: Server, slug: str, token: str, raw: bytes) -> tuple[requests.Response, float, float]:
    headers = {**server.headers(slug, token), "Content-Type": "application/json", "Content-Encoding": "gzip",
               "Idempotency-Key": uuid.uuid4().hex}
    time.sleep(0.3)  # a quiet moment: the RSS before
    before = time.perf_counter()
    response = requests.post(server.url("batches"), data=raw, headers=headers, timeout=600)
    return response, before, time.perf_counter()


def request_memory(server: Server, before: float, after: float) -> float:
    """MiB the worker that grew most gained over its RSS just before the request."""
    baseline = [rss for t, rss in server.samples if before - 0.25 <= t <= before and rss]
    window = [rss for t, rss in server.samples if before <= t <= after and rss]
    start = baseline[-1] if baseline else window[0]
    growth = max(max(rss.get(pid, 0) for rss in window) - start.get(pid, 0) for pid in start)
    return round(growth / 2**20, 1)


def test_one_batch_at_the_maximum_stays_small(bench_report):
    report = bench_report("batch_memory")
    largest = max(SIZES)
    companies = generate_companies(largest * REPEATS + 50 * REPEATS + largest + 1)
    office, token = make_office(f"bench-mem-{uuid.uuid4().hex[:6]}")
    server = Server("memory").start(office.slug, token)
    try:
        server.warm_up(office.slug, token)
        offset = 0
        for size in SIZES:
            growth, seconds = [], []
            for _ in range(REPEATS):
                chunk = companies[offset:offset + size]
                offset += size
                response, before, after = post(server, office.slug, token, body(chunk))
                assert response.status_code == 200, response.text[:500]
                growth.append(request_memory(server, before, after))
                seconds.append(after - before)
            entry = report.add(f"batch_{size}_companies_{size * COMPANY_FIGURES}_figures", seconds,
                               request_rss_growth_mib=growth, worker_peak=server.peak())
            print(f"    RSS growth of the handling worker: {growth} MiB; peak {entry['worker_peak']}")
        # The other maximum: AGENT_API_MAX_COMPANIES_PER_BATCH companies, with a quarter of a year each
        # (48 figures: 9 taxes, ZUS of two people, 3 statements) so the figures stay within their limit too.
        most = settings.AGENT_API_MAX_COMPANIES_PER_BATCH
        many = [quarter(c) for c in generate_companies(offset + most * REPEATS + largest + 1)[-most * REPEATS:]]
        assert sum(figure_count(c) for c in many[:most]) <= settings.AGENT_API_MAX_FIGURES_PER_BATCH
        growth, seconds = [], []
        for repeat in range(REPEATS):
            response, before, after = post(server, office.slug, token, body(many[repeat * most:(repeat + 1) * most]))
            assert response.status_code == 200, response.text[:500]
            growth.append(request_memory(server, before, after))
            seconds.append(after - before)
        entry = report.add(f"batch_{most}_companies_{sum(figure_count(c) for c in many[:most])}_figures", seconds,
                           request_rss_growth_mib=growth, worker_peak=server.peak())
        print(f"    RSS growth of the handling worker: {growth} MiB; peak {entry['worker_peak']}")
        over = companies[offset:offset + largest + 1]
        response, _before, _after = post(server, office.slug, token, body(over))
        assert response.status_code == 413 and response.json()["code"] == "batch_too_large"
        report.results["over_the_maximum"] = {"companies": len(over), "figures": len(over) * COMPANY_FIGURES,
                                              "status": response.status_code, "detail": response.json()["detail"]}
        report.note(f"limits: {settings.AGENT_API_MAX_COMPANIES_PER_BATCH} companies, "
                    f"{settings.AGENT_API_MAX_FIGURES_PER_BATCH} figures per batch")
    finally:
        server.stop()
        delete_office(office)
