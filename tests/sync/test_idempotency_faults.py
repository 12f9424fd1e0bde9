"""A batch whose database session is killed in the middle of the request (``pg_terminate_backend``: what a
PostgreSQL restart or a broken connection does to it): the agent's retry with the same key is applied at
once, exactly once — no 409 loop until a stale-claim timeout (once seen as 693 × 409 over 15 minutes).

Committed data: the request runs in a thread with its own connection while another session holds the
companies table locked, so the request is provably "in the middle" when it is killed.
"""

import threading
import time
import uuid

import orjson
import pytest
from django.db import DatabaseError, connection, transaction
from django_tenants.utils import schema_context

from clients.models import Company, Revision
from sync.agents import create_agent
from sync.models import Agent, Batch, IdempotencyRecord
from tests.clients.batches import make_nip
from tests.sync.conftest import AgentClient, assert_problem

NIP = make_nip(7301)
BODY = orjson.dumps({"program": {"code": "optima"}, "companies": [
    {"nip": NIP, "name": "Przerwana Sp. z o.o.", "taxes": [{"period": "2026-10", "type": "VAT-7", "amount": "10"}]}]})


@pytest.fixture
def agent_of_a(committed_cast):
    office = committed_cast.office_a
    with schema_context(office.schema_name):
        agent, token = create_agent(f"kill-{uuid.uuid4().hex[:8]}")
    yield office, agent, token
    with schema_context(office.schema_name):
        IdempotencyRecord.objects.filter(agent=agent).delete()
        Batch.objects.filter(agent=agent).delete()
        Company.objects.filter(nip=NIP).delete()
        Agent.objects.filter(pk=agent.pk).delete()
    connection.set_schema_to_public()


class TableLock:
    """Another session holding the office's companies table: requests that touch it wait."""

    def __init__(self, office):
        self.locked, self.release = threading.Event(), threading.Event()
        self.thread = threading.Thread(target=self._hold, args=(office,))
        self.thread.start()
        assert self.locked.wait(10)

    def _hold(self, office):
        try:
            with schema_context(office.schema_name), transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"LOCK TABLE {Company._meta.db_table} IN ACCESS EXCLUSIVE MODE")
                cursor.execute("SELECT pg_backend_pid()")
                self.pid = cursor.fetchone()[0]
                self.locked.set()
                self.release.wait(30)
        except DatabaseError:  # the fault experiments stop the whole server under it
            pass
        finally:
            connection.close()

    def end(self):
        self.release.set()
        self.thread.join(10)


def waiting_backend(exclude: int, timeout: float = 20) -> int:
    """The pid of the session waiting for the table lock (our request, in the middle of its work)."""
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            cursor.execute("SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND "
                           "wait_event_type = 'Lock' AND pid <> %s AND pid <> pg_backend_pid()", [exclude])
            row = cursor.fetchone()
            if row:
                return row[0]
            time.sleep(0.05)
    raise AssertionError("the request never reached the locked table")


def test_a_request_killed_mid_batch_is_applied_once_by_the_retry_without_a_409_loop(agent_of_a):
    office, agent, token = agent_of_a
    answers = {}

    def first_attempt():
        try:
            answers["first"] = AgentClient(office, token).api_post("batches", raw=BODY, key="killed-key")
        finally:
            connection.close()

    lock = TableLock(office)
    try:
        attempt = threading.Thread(target=first_attempt)
        attempt.start()
        victim = waiting_backend(exclude=lock.pid)
        client = AgentClient(office, token)
        # Truly still running: the retry is told so.
        assert_problem(client.api_post("batches", raw=BODY, key="killed-key"), 409, "idempotency_request_in_flight")
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_terminate_backend(%s)", [victim])
        attempt.join(30)
    finally:
        lock.end()
    assert answers["first"].status_code == 503  # the agent saw the outage as such, with Retry-After
    assert answers["first"]["Retry-After"]
    with schema_context(office.schema_name):
        assert not Company.objects.filter(nip=NIP).exists()  # rolled back with the request
    retry = client.api_post("batches", raw=BODY, key="killed-key")
    assert retry.status_code == 200 and "Idempotent-Replayed" not in retry
    assert orjson.loads(retry.content)["companies"]["created"] == 1
    again = client.api_post("batches", raw=BODY, key="killed-key")
    assert again["Idempotent-Replayed"] == "true" and again.content == retry.content
    with schema_context(office.schema_name):
        assert Revision.objects.filter(figure__company__nip=NIP).count() == 1
        assert Batch.objects.filter(agent=agent).count() == 1
