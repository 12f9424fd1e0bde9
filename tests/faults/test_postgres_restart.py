"""Experiment: PostgreSQL stopped for a few seconds while an agent's batch is being applied.
Runs only from tests/faults/run.sh, on the suite's own cluster.

An agent posts a batch; while it is being applied (held on a table lock, so provably mid-request) the
cluster is stopped (``pg_ctl stop -m fast``: every session ends), kept down ``OUTAGE_SECONDS``, started
again. The agent retries with the same ``Idempotency-Key`` every ``RETRY_EVERY`` seconds from the stop on.

Asserted: no answer but 503 (with Retry-After) until the batch is applied, no 409 and no 500; the batch is
applied exactly once; the next retry is a replay. Reported: time from the database back to the agent's
retry applied (var/faults/results.json).
"""

import json
import os
import subprocess
import threading
import time
import uuid
from pathlib import Path

import orjson
import pytest
from django.db import connection
from django_tenants.utils import schema_context

from clients.models import Company, Revision
from sync.agents import create_agent
from sync.models import Agent, Batch, IdempotencyRecord
from tests.clients.batches import make_nip
from tests.sync.conftest import AgentClient
from tests.sync.test_idempotency_faults import TableLock, waiting_backend

pytestmark = pytest.mark.faults
OUTAGE_SECONDS = 5
RETRY_EVERY = 0.5
NIPS = [make_nip(8100 + i) for i in range(20)]
BODY = orjson.dumps({"program": {"code": "optima"}, "companies": [
    {"nip": nip, "name": f"Awaria {i}", "taxes": [{"period": "2026-10", "type": "VAT-7", "amount": f"{i}.00"}]}
    for i, nip in enumerate(NIPS)]})


def pg_ctl(*args: str) -> None:
    command = [f"{os.environ['FAULTS_PGBIN']}/pg_ctl", "-D", os.environ["FAULTS_PGDATA"], "-w", *args]
    if os.getuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    subprocess.run(command, check=True, capture_output=True)


def record(name: str, result: dict) -> None:
    path = Path(os.environ["FAULTS_DIR"]) / "results.json"
    results = json.loads(path.read_text()) if path.exists() else {}
    results[name] = result
    path.write_text(json.dumps(results, indent=2) + "\n")
    print(f"\n  {name}: {result}")


@pytest.fixture
def agent_of_a(committed_cast):
    if "FAULTS_PGDATA" not in os.environ:
        pytest.skip("run by tests/faults/run.sh, on its own PostgreSQL cluster")
    office = committed_cast.office_a
    with schema_context(office.schema_name):
        agent, token = create_agent(f"fault-{uuid.uuid4().hex[:8]}")
    yield office, agent, token
    with schema_context(office.schema_name):
        IdempotencyRecord.objects.filter(agent=agent).delete()
        Batch.objects.filter(agent=agent).delete()
        Company.objects.filter(nip__in=NIPS).delete()
        Agent.objects.filter(pk=agent.pk).delete()
    connection.set_schema_to_public()


def test_postgres_restart_mid_batch_then_the_retry_is_applied_once_within_seconds(agent_of_a):
    office, agent, token = agent_of_a
    first = {}

    def first_attempt():
        try:
            first["response"] = AgentClient(office, token, raise_request_exception=False).api_post(
                "batches", raw=BODY, key="restart-key")
        finally:
            connection.close()

    lock = TableLock(office)
    attempt = threading.Thread(target=first_attempt)
    attempt.start()
    waiting_backend(exclude=lock.pid)
    connection.close()
    pg_ctl("-m", "fast", "stop")
    stopped = time.monotonic()
    attempt.join(30)
    lock.end()
    client = AgentClient(office, token, raise_request_exception=False)
    statuses, applied_at, back = [], None, {}

    def start_again():
        pg_ctl("-l", f"{os.environ['FAULTS_DIR']}/pg/log", "-o", f"-p {os.environ['FAULTS_PG_PORT']} -k "
               f"{os.environ['FAULTS_PG_SOCKETS']} -c listen_addresses=127.0.0.1", "start")
        back["at"] = time.monotonic()  # pg_ctl start -w returned: the database accepts connections

    restarter = threading.Timer(OUTAGE_SECONDS, start_again)
    restarter.start()
    deadline = stopped + OUTAGE_SECONDS + 120
    while time.monotonic() < deadline:
        response = client.api_post("batches", raw=BODY, key="restart-key")
        statuses.append(response.status_code)
        if response.status_code == 200:
            applied_at = time.monotonic()
            assert "Idempotent-Replayed" not in response
            break
        assert response.status_code == 503 and response["Retry-After"], (response.status_code, response.content)
        time.sleep(RETRY_EVERY)
    restarter.join()
    connection.close()
    assert first["response"].status_code == 503
    assert applied_at is not None, statuses
    assert 409 not in statuses and 500 not in statuses
    again = client.api_post("batches", raw=BODY, key="restart-key")
    assert again["Idempotent-Replayed"] == "true"
    with schema_context(office.schema_name):
        assert Company.objects.filter(nip__in=NIPS).count() == len(NIPS)
        assert Revision.objects.filter(figure__company__nip__in=NIPS).count() == len(NIPS)
        assert Batch.objects.filter(agent=agent).count() == 1
    record("postgres_restart_mid_batch", {
        "outage_s": OUTAGE_SECONDS, "retry_every_s": RETRY_EVERY, "answers": {str(s): statuses.count(s)
                                                                               for s in sorted(set(statuses))},
        "database_back_to_retry_applied_s": round(applied_at - back["at"], 2),
        "stop_to_retry_applied_s": round(applied_at - stopped, 2)})
