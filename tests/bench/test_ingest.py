"""Ingestion over real HTTP against a raw psycopg COPY of the same rows (docs/benchmarks.md).

What runs:

- A real server: gunicorn (``python -m gunicorn portal.wsgi:application``, 2 workers × 4 threads like
  ``biurko run``) in a subprocess, on this benchmark's test database (``DATABASE_URL``), with
  ``BIURKO_ENV=test`` (DEBUG off), ``BASE_DOMAIN=localhost`` and the agent rate limit raised
  (``AGENT_API_RATE_LIMIT_PER_MINUTE``) so the limiter never throttles the benchmark.
- Data: 1,000 companies (valid NIPs, two people each with valid PESELs) × 12 months × (3 taxes: VAT-7, PIT-4,
  CIT or PIT-5; ZUS for both people: social, health, labour_fund, fgsp, total; a statement: revenue, costs,
  income) = 192,000 figures, generated deterministically before any clock starts. Bodies are JSON, gzipped
  like a real agent's, each with its own ``Idempotency-Key``, posted from 2 client threads with ``requests``
  to ``127.0.0.1:<port>`` with ``Host: <office>.localhost``.

Measured:

1. Ingestion, batches of 50 companies (9,600 figures), into a fresh office: figures/s end to end.
2. Re-posting the same data with new idempotency keys (everything ``unchanged``): figures/s.
3. Time until visible: 5 batches posted one after another, each changing the VAT-7 of its 50 companies; a
   separate psycopg connection polls for the new value from the moment the request is sent.
4. Server memory: RSS of the gunicorn workers sampled every 20 ms; the peak after the first 500 companies
   against the peak after all 1,000 (same server: a memory that grew with the total would show), and batches
   of 50 against batches of 25 companies (a second fresh server and office).
5. Baseline in the same run: raw psycopg ``COPY`` of the same rows (companies, people, their links, figures,
   revisions, with the same values — the ingested office's content is compared by checksum) into the same
   tables of another fresh office, one transaction per run, three ways: ``write_row`` on one connection, the
   rows pre-rendered as COPY text on one connection, and two connections at once (half the companies each);
   each way before and after the HTTP runs (truncating in between). The fastest of the six is the baseline,
   which makes the ratio conservative.

Run: ``python3 dev.py bench -k ingest`` (results in ``var/bench/ingest.json``).
"""
import copy
import os
import threading
import time
import uuid
from datetime import date, datetime
from decimal import Decimal

import pytest
from django.db import connection

from clients.models import Company, Figure, Revision
from offices.models import Office
from offices.provisioning import delete_office
from tests.bench.ingest_data import (
    MONTHS,
    content_checksum,
    copy_in_parallel,
    copy_into,
    copy_rows,
    figure_count,
    generate_companies,
    make_bodies,
    raw_connection,
    render_copy_text,
    truncate,
)
from tests.bench.ingest_server import (
    CLIENT_THREADS,
    WEB_THREADS,
    WEB_WORKERS,
    Posted,
    Server,
    make_office,
    post_all,
    run_phase,
)

pytestmark = pytest.mark.bench

COMPANIES = int(os.environ.get("BENCH_INGEST_COMPANIES", "1000"))  # smaller only to try the benchmark out
BATCH_MAIN, BATCH_SMALL = 50, 25
VISIBILITY_BATCHES = 5
TARGET_RATIO = 0.25


def company_ids(schema: str, nips: list[str]) -> dict[str, int]:
    with raw_connection(schema, autocommit=True) as conn:
        return dict(conn.execute(f"SELECT nip, id FROM {Company._meta.db_table} WHERE nip = ANY(%s)",  # noqa: S608
                                 [nips]).fetchall())


def measure_visibility(report, server: Server, office: Office, token: str, companies: list[dict]) -> None:
    """Each batch changes the VAT-7 of its companies; another connection polls for the new value."""
    samples = []
    figure_t, revision_t = Figure._meta.db_table, Revision._meta.db_table
    probe_sql = (f"SELECT count(*) FROM {revision_t} r JOIN {figure_t} f ON f.id = r.figure_id "  # noqa: S608
                 "WHERE f.company_id = %s AND f.period = %s AND f.kind = 'tax:VAT-7' AND r.state = 'pending' "
                 "AND r.amount = %s")
    superseded_sql = (f"SELECT count(*) FROM {revision_t} r JOIN {figure_t} f ON f.id = r.figure_id "  # noqa: S608
                      "WHERE f.company_id = ANY(%s) AND f.kind = 'tax:VAT-7' AND r.state = 'superseded'")
    with raw_connection(office.schema_name, autocommit=True) as poller:
        for n in range(VISIBILITY_BATCHES):
            chunk = copy.deepcopy(companies[n * BATCH_MAIN:(n + 1) * BATCH_MAIN])
            for company in chunk:
                for tax in company["taxes"]:
                    if tax["type"] == "VAT-7":
                        tax["amount"] = str(Decimal(tax["amount"]) + Decimal("1.11"))
            body = make_bodies(chunk, BATCH_MAIN, f"visible{n}")[0]
            ids = company_ids(office.schema_name, [c["nip"] for c in chunk])
            first = chunk[0]["taxes"][0]
            assert first["type"] == "VAT-7"
            probe = [ids[chunk[0]["nip"]], date.fromisoformat(first["period"] + "-01"), Decimal(first["amount"])]
            assert poller.execute(probe_sql, probe).fetchone()[0] == 0
            assert poller.execute(superseded_sql, [list(ids.values())]).fetchone()[0] == 0
            result: list[Posted] = []
            sender = threading.Thread(target=lambda b=body, out=result: out.extend(
                post_all(server, office.slug, token, [b], 1)))
            sent = time.perf_counter()
            sender.start()
            polls = 0
            while True:
                polls += 1
                if poller.execute(probe_sql, probe).fetchone()[0]:
                    visible = time.perf_counter()
                    break
                if not sender.is_alive() and not result:
                    raise AssertionError("the visibility batch failed")
                if time.perf_counter() - sent > 120:
                    raise AssertionError("not visible after 120 s")
            # The batch is one transaction: when one changed figure is visible, all of them are.
            superseded = poller.execute(superseded_sql, [list(ids.values())]).fetchone()[0]
            sender.join()
            posted = result[0]
            assert posted.response["figures"]["updated"] == len(chunk) * len(MONTHS), posted.response
            assert superseded == len(chunk) * len(MONTHS), superseded
            samples.append({"visible_s": round(visible - sent, 3), "response_s": round(posted.answered - sent, 3),
                            "polls": polls})
    visible = sorted(s["visible_s"] for s in samples)
    report.results["time_until_visible"] = {
        "batches": VISIBILITY_BATCHES, "companies_per_batch": BATCH_MAIN,
        "figures_per_batch": figure_count(companies[0]) * BATCH_MAIN, "changed_per_batch": BATCH_MAIN * len(MONTHS),
        "visible_s_min": visible[0], "visible_s_median": visible[len(visible) // 2], "visible_s_max": visible[-1],
        "samples": samples,
    }
    print(f"  time until visible (send → readable from another connection): {visible} s")


# --- the benchmark --------------------------------------------------------------------------------------


def test_ingestion_over_http_against_copy(bench_report):
    report = bench_report("ingest")
    run_started = time.perf_counter()
    started = time.perf_counter()
    companies = generate_companies(COMPANIES)
    total_figures = sum(map(figure_count, companies))
    main_bodies = make_bodies(companies, BATCH_MAIN, "main")
    repost_bodies = make_bodies(companies, BATCH_MAIN, "repost")
    small_bodies = make_bodies(companies, BATCH_SMALL, "small")
    rows = copy_rows(companies)
    rendered = render_copy_text(rows)
    middle = COMPANIES // 2
    first_half = copy_rows(companies[:middle])
    second_half = copy_rows(companies[middle:], (middle, 2 * middle, first_half.figures))
    halves = [(half, render_copy_text(half)) for half in (first_half, second_half)]
    assert rows.figures == total_figures
    report.results["data"] = {"companies": COMPANIES, "months": len(MONTHS), "figures": total_figures,
                              "people": 2 * COMPANIES, "figures_per_company_month": total_figures // COMPANIES // 12,
                              "generation_s": round(time.perf_counter() - started, 2)}
    print(f"  data: {total_figures} figures, generated in {report.results['data']['generation_s']} s")

    suffix = uuid.uuid4().hex[:6]
    offices: list[Office] = []
    servers: list[Server] = []
    try:
        ingest_office, token = make_office(f"bench-ingest-{suffix}")
        offices.append(ingest_office)
        copy_office, _unused = make_office(f"bench-copy-{suffix}")
        offices.append(copy_office)
        small_office, small_token = make_office(f"bench-small-{suffix}")
        offices.append(small_office)

        # Baseline, first run.
        copy_seconds = {"write_row": [copy_into(copy_office.schema_name, rows)]}
        copy_content = content_checksum(copy_office.schema_name)
        truncate(copy_office.schema_name)
        copy_seconds["prepared_text"] = [copy_into(copy_office.schema_name, rows, rendered)]
        assert content_checksum(copy_office.schema_name) == copy_content
        truncate(copy_office.schema_name)
        copy_seconds["two_connections"] = [copy_in_parallel(copy_office.schema_name, halves)]
        assert content_checksum(copy_office.schema_name) == copy_content
        truncate(copy_office.schema_name)
        print(f"  COPY before: {total_figures} figures in {copy_seconds['write_row'][0]:.2f} s (write_row), "
              f"{copy_seconds['prepared_text'][0]:.2f} s (prepared text), "
              f"{copy_seconds['two_connections'][0]:.2f} s (two connections)")

        # 1 + 2: ingest, re-post, on a fresh server.
        server = Server("main").start(ingest_office.slug, token)
        servers.append(server)
        server.warm_up(ingest_office.slug, token)
        idle = server.peak(since=time.perf_counter() - 0.4)
        report.results["server"] = {"gunicorn": f"{WEB_WORKERS} workers × {WEB_THREADS} threads",
                                    "idle_rss": idle}
        cpu_before = server.cpu_seconds()
        phase_started = time.perf_counter()
        ingest, posted = run_phase(report, "ingest (new data)", server, ingest_office.slug, token, main_bodies)
        assert ingest["companies"]["created"] == COMPANIES and ingest["figures_result"]["created"] == total_figures
        assert ingest["figures_result"]["rejected"] == 0
        half_done = sorted(p.answered for p in posted)[len(posted) // 2 - 1]  # half the companies answered
        phase_ended = time.perf_counter()
        ingest["worker_cpu_s"] = sorted(round(seconds - cpu_before.get(pid, 0), 1)
                                        for pid, seconds in server.cpu_seconds().items())
        memory = {
            "idle": idle,
            f"first_{COMPANIES // 2}_companies": server.peak(phase_started, half_done),
            f"all_{COMPANIES}_companies": server.peak(phase_started, phase_ended),
        }
        memory["ingest_by_quarter_largest_worker_mib"] = server.quarters(phase_started, posted)
        repost, reposted = run_phase(report, "re-post (all unchanged)", server, ingest_office.slug, token,
                                     repost_bodies)
        memory["re_post_by_quarter_largest_worker_mib"] = server.quarters(phase_ended, reposted)
        assert repost["figures_result"]["unchanged"] == total_figures and repost["companies"]["unchanged"] == COMPANIES
        memory["re_post"] = server.peak(phase_ended, time.perf_counter())

        ingested_content = content_checksum(ingest_office.schema_name)
        assert ingested_content == copy_content, (ingested_content, copy_content)
        report.note("the COPY baseline wrote the same rows: companies, people and figures with their revisions "
                    f"have equal checksums in both offices ({ingested_content['figures_with_revisions'][0]} "
                    "figures with revisions)")

        # 3: time until visible.
        measure_visibility(report, server, ingest_office, token, companies)
        server.stop()

        # 4: batches of 25 on a fresh server and office.
        server = Server("small").start(small_office.slug, small_token)
        servers.append(server)
        server.warm_up(small_office.slug, small_token)
        memory[f"batches_of_{BATCH_SMALL}_idle"] = server.peak(since=time.perf_counter() - 0.4)
        phase_started = time.perf_counter()
        small, _posted = run_phase(report, f"ingest (new data), batches of {BATCH_SMALL}", server, small_office.slug,
                                   small_token, small_bodies)
        assert small["figures_result"]["created"] == total_figures
        memory[f"batches_of_{BATCH_SMALL}_all_{COMPANIES}_companies"] = server.peak(phase_started, time.perf_counter())
        server.stop()
        report.results["server_rss"] = memory
        for key, value in memory.items():
            if isinstance(value, list):
                print(f"  server RSS {key:<40} {value}")
                continue
            print(f"  server RSS {key:<40} largest worker {value['max_worker_mib']:7.1f} MiB, "
                  f"workers together {value['max_workers_sum_mib']:7.1f} MiB")

        # Baseline, second run.
        copy_seconds["write_row"].append(copy_into(copy_office.schema_name, rows))
        truncate(copy_office.schema_name)
        copy_seconds["prepared_text"].append(copy_into(copy_office.schema_name, rows, rendered))
        truncate(copy_office.schema_name)
        copy_seconds["two_connections"].append(copy_in_parallel(copy_office.schema_name, halves))
        print(f"  COPY after: {total_figures} figures in {copy_seconds['write_row'][1]:.2f} s (write_row), "
              f"{copy_seconds['prepared_text'][1]:.2f} s (prepared text), "
              f"{copy_seconds['two_connections'][1]:.2f} s (two connections)")
        assert content_checksum(copy_office.schema_name)["figures_with_revisions"][0] == total_figures
        best = min(min(samples) for samples in copy_seconds.values())
        report.results["copy_baseline"] = {
            "seconds": {way: [round(x, 2) for x in samples] for way, samples in copy_seconds.items()},
            "figures_per_s_write_row": round(total_figures / min(copy_seconds["write_row"])),
            "figures_per_s_prepared_text": round(total_figures / min(copy_seconds["prepared_text"])),
            "figures_per_s_two_connections": round(total_figures / min(copy_seconds["two_connections"])),
            "figures_per_s": round(total_figures / best),
            "rows": {table: len(table_rows) for table, _c, table_rows in rows.tables},
            "text_bytes": sum(map(len, rendered)),
        }
        ratio = ingest["figures_per_s"] / report.results["copy_baseline"]["figures_per_s"]
        repost_ratio = repost["figures_per_s"] / report.results["copy_baseline"]["figures_per_s"]
        report.results["ratio_ingest_to_copy"] = round(ratio, 3)
        report.results["ratio_repost_to_copy"] = round(repost_ratio, 3)
        report.results["ratio_small_batches_to_copy"] = round(
            small["figures_per_s"] / report.results["copy_baseline"]["figures_per_s"], 3)
        first, full = memory[f"first_{COMPANIES // 2}_companies"], memory[f"all_{COMPANIES}_companies"]
        report.results["targets"] = {
            "ingest_at_least_25_percent_of_copy": ratio >= TARGET_RATIO,
            "repost_at_least_as_fast": repost["figures_per_s"] >= ingest["figures_per_s"],
            "memory_bounded_by_batch": full["max_worker_mib"] - idle["max_worker_mib"]
            <= 1.25 * (first["max_worker_mib"] - idle["max_worker_mib"]) + 10,
        }
        report.results["wall_clock_s"] = round(time.perf_counter() - run_started, 1)
        report.note(f"ingestion {ingest['figures_per_s']} figures/s = {ratio:.0%} of COPY "
                    f"({report.results['copy_baseline']['figures_per_s']} figures/s, the best of 6 COPY runs, 3 ways); "
                    f"re-post {repost['figures_per_s']} figures/s = {repost_ratio:.0%}")
        report.note(f"server: gunicorn {WEB_WORKERS} workers × {WEB_THREADS} threads, BIURKO_ENV=test (DEBUG off), "
                    "AGENT_API_RATE_LIMIT_PER_MINUTE=1000000; client: "
                    f"{CLIENT_THREADS} threads, gzip bodies prepared before the clock")
        report.note(f"load average at end {[round(x, 2) for x in os.getloadavg()]}; at {datetime.now():%H:%M}")
        assert all(report.results["targets"].values()), report.results["targets"]
    finally:
        for server in servers:
            server.stop()
        connection.set_schema_to_public()
        for office in offices:
            delete_office(office)
