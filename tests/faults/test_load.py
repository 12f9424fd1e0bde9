"""Experiments under load, against gunicorn as in production (2 processes × 8 threads, portal/gunicorn_conf.py)
on the suite's own PostgreSQL cluster (issue "Faults without losses": the runs that held, kept as checks).

1. A loop of ``BATCHES`` batches (one agent, each batch a new key, every 503 retried after its
   ``Retry-After``) while PostgreSQL is stopped for ``OUTAGE_SECONDS`` (``pg_ctl stop -m fast``) from the
   ``STOP_AFTER``-th batch on. Asserted: no answer but 200 and 503, every 503 with an integer Retry-After;
   every batch applied exactly once (companies, figures, batches counted). Reported: the answers, the time
   from the database back to the loop's next batch applied.
2. ``AGENTS`` agents posting batches back to back for ``LOAD_SECONDS`` (``FAULTS_LOAD_SECONDS``, 60).
   Asserted: all 200. Reported: requests, p50/p95/p99 and max of the response time.
"""

import os
import threading
import time
import uuid

import orjson
import pytest
import requests
from django.db import connection
from django_tenants.utils import schema_context

from clients.models import Company, Revision
from sync.models import Batch
from tests.clients.batches import make_nip
from tests.faults.test_postgres_restart import pg_ctl, record
from tests.faults.web import percentile

pytestmark = pytest.mark.faults
BATCHES = 200
COMPANIES_PER_BATCH = 5
OUTAGE_SECONDS = 15
STOP_AFTER = 40
AGENTS = 8
LOAD_SECONDS = float(os.environ.get("FAULTS_LOAD_SECONDS", "60"))


def batch_body(nips: list[str], label: str) -> bytes:
    return orjson.dumps({"program": {"code": "optima"}, "companies": [
        {"nip": nip, "name": f"{label} {i}", "taxes": [
            {"period": "2026-10", "type": "VAT-7", "amount": f"{i}.00"},
            {"period": "2026-10", "type": "PIT-5L", "amount": f"{i}.50"}]}
        for i, nip in enumerate(nips)]})


def start_postgres() -> None:
    pg_ctl("-l", f"{os.environ['FAULTS_DIR']}/pg/log", "-o", f"-p {os.environ['FAULTS_PG_PORT']} -k "
           f"{os.environ['FAULTS_PG_SOCKETS']} -c listen_addresses=127.0.0.1", "start")


def test_200_batches_while_postgres_is_stopped_for_15_s_nothing_lost_nothing_twice(agents_of_a, web):
    office = agents_of_a.office
    [(agent, token)] = agents_of_a(1)
    nips = [make_nip(300000 + i) for i in range(BATCHES * COMPANIES_PER_BATCH)]
    agents_of_a.nips.extend(nips)
    web.warm(office, token)
    connection.close()  # this process's own session would die with the server
    statuses: list[int] = []
    retry_afters: list[int] = []
    times: dict = {}

    def outage():
        pg_ctl("-m", "fast", "stop")
        times["stopped"] = time.monotonic()
        time.sleep(OUTAGE_SECONDS)
        start_postgres()
        times["back"] = time.monotonic()

    stopper = None
    started = time.monotonic()
    for number in range(BATCHES):
        if number == STOP_AFTER:
            stopper = threading.Thread(target=outage)
            stopper.start()
            time.sleep(0.5)  # the stop has begun
        body = batch_body(nips[number * COMPANIES_PER_BATCH:(number + 1) * COMPANIES_PER_BATCH], f"Petla {number}")
        key = str(uuid.uuid4())
        while True:
            try:
                response = web.post(office, token, "batches", body, key)
            except requests.RequestException:  # not expected: gunicorn stays up
                statuses.append(0)
                time.sleep(1)
                continue
            statuses.append(response.status_code)
            if response.status_code == 200:
                if "back" in times and "first_after" not in times:
                    times["first_after"] = time.monotonic()
                break
            assert response.status_code == 503, (response.status_code, response.text[:500])
            retry_afters.append(int(response.headers["Retry-After"]))
            time.sleep(retry_afters[-1])
    elapsed = time.monotonic() - started
    stopper.join()
    assert set(statuses) <= {200, 503}, statuses
    assert statuses.count(200) == BATCHES
    with schema_context(office.schema_name):
        assert Company.objects.filter(nip__in=nips).count() == len(nips)
        assert Revision.objects.filter(figure__company__nip__in=nips).count() == 2 * len(nips)
        assert Batch.objects.filter(agent=agent).count() == BATCHES
    record("batches_during_postgres_outage", {
        "batches": BATCHES, "companies_per_batch": COMPANIES_PER_BATCH, "outage_s": OUTAGE_SECONDS,
        "answers": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "retry_after_s": sorted(set(retry_afters)), "loop_s": round(elapsed, 1),
        "database_back_to_next_batch_applied_s": round(times["first_after"] - times["back"], 2)})


def test_8_agents_for_60_s_all_answered(agents_of_a, web):
    office = agents_of_a.office
    agents = agents_of_a(AGENTS)
    web.warm(office, agents[0][1])
    latencies: list[list[float]] = [[] for _ in agents]
    failures: list = []
    stop_at = time.monotonic() + LOAD_SECONDS
    all_nips: list[str] = []

    def run(index: int, token: str):
        session = requests.Session()
        number = 0
        while time.monotonic() < stop_at:
            nips = [make_nip(400000 + index * 5000 + number * 10 + i) for i in range(10)]
            all_nips.extend(nips)
            body = batch_body(nips, f"Agent {index}")
            started = time.monotonic()
            response = session.post(web.url("batches"), data=body, timeout=60,
                                    headers=web.headers(office, token, str(uuid.uuid4())))
            latencies[index].append(time.monotonic() - started)
            if response.status_code != 200:
                failures.append((response.status_code, response.text[:300]))
            number += 1

    threads = [threading.Thread(target=run, args=(i, token)) for i, (_agent, token) in enumerate(agents)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    agents_of_a.nips.extend(all_nips)
    flat = [value for per_agent in latencies for value in per_agent]
    assert not failures, failures[:5]
    record("eight_agents_load", {
        "agents": AGENTS, "seconds": LOAD_SECONDS, "companies_per_batch": 10, "requests": len(flat),
        "requests_per_s": round(len(flat) / LOAD_SECONDS, 1),
        "p50_s": round(percentile(flat, 50), 3), "p95_s": round(percentile(flat, 95), 3),
        "p99_s": round(percentile(flat, 99), 3), "max_s": round(max(flat), 3)})
