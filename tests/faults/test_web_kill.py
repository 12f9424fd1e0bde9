"""Experiment: ``kill -9`` of the web server (gunicorn and its workers) while an agent's batch is being
applied, then a restart, and the agent's retry with the same ``Idempotency-Key`` (issue "Faults without
losses", finding 1: a claim must not outlive the request that made it).

The request is held mid-apply on a table lock (provably in the middle of its transaction) when gunicorn is
killed; the lock is then released, so the killed request's database session finds its client gone and
ends. The agent retries every ``RETRY_EVERY`` seconds from the restart on.

Asserted: the batch is applied exactly once, by a retry within seconds, no 409 loop (at most one 409 while
the killed session ends), no 500; the next retry is a replay. Reported: time from the web server back
(accepting connections) to the retry applied.
"""

import threading
import time

import orjson
import pytest
import requests
from django.db import connection
from django_tenants.utils import schema_context

from clients.models import Company, Revision
from sync.models import Batch
from tests.clients.batches import make_nip
from tests.faults.test_postgres_restart import record
from tests.sync.test_idempotency_faults import TableLock, waiting_backend

pytestmark = pytest.mark.faults
RETRY_EVERY = 0.5
NIPS = [make_nip(8300 + i) for i in range(20)]
BODY = orjson.dumps({"program": {"code": "optima"}, "companies": [
    {"nip": nip, "name": f"Zabity {i}", "taxes": [{"period": "2026-10", "type": "VAT-7", "amount": f"{i}.00"}]}
    for i, nip in enumerate(NIPS)]})


def test_web_killed_mid_batch_then_the_retry_with_the_same_key_is_applied_once(agents_of_a, web):
    agents_of_a.nips.extend(NIPS)
    office = agents_of_a.office
    [(agent, token)] = agents_of_a(1)
    web.warm(office, token)
    first = {}

    def first_attempt():
        try:
            first["response"] = web.post(office, token, "batches", BODY, "kill-key")
        except requests.RequestException as error:  # the server died under it
            first["error"] = error

    lock = TableLock(office)
    attempt = threading.Thread(target=first_attempt)
    attempt.start()
    waiting_backend(exclude=lock.pid)
    web.kill()
    killed = time.monotonic()
    attempt.join(30)
    lock.end()
    back = web.start()
    statuses, applied_at = [], None
    while time.monotonic() < back + 120:
        response = web.post(office, token, "batches", BODY, "kill-key")
        statuses.append(response.status_code)
        if response.status_code == 200:
            applied_at = time.monotonic()
            assert "Idempotent-Replayed" not in response.headers
            break
        assert response.status_code in (409, 503) and response.headers.get("Retry-After"), response.text
        time.sleep(RETRY_EVERY)
    connection.close()
    assert "error" in first, first  # the agent saw the connection die, no answer
    assert applied_at is not None, statuses
    assert 500 not in statuses and statuses.count(409) <= 1, statuses
    again = web.post(office, token, "batches", BODY, "kill-key")
    assert again.headers.get("Idempotent-Replayed") == "true"
    with schema_context(office.schema_name):
        assert Company.objects.filter(nip__in=NIPS).count() == len(NIPS)
        assert Revision.objects.filter(figure__company__nip__in=NIPS).count() == len(NIPS)
        assert Batch.objects.filter(agent=agent).count() == 1
    record("web_killed_mid_batch", {
        "retry_every_s": RETRY_EVERY, "answers": {str(s): statuses.count(s) for s in sorted(set(statuses))},
        "web_back_to_retry_applied_s": round(applied_at - back, 2),
        "restart_took_s": round(back - killed, 2), "kill_to_retry_applied_s": round(applied_at - killed, 2)})
