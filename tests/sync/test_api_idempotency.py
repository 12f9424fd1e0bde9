"""Idempotency-Key: replay, reuse, in flight, stale claims, expiry, and a real race for one key."""

import gzip
import threading
import uuid
from datetime import timedelta

import orjson
import pytest
from django.db import connection
from django.utils import timezone
from django_tenants.utils import schema_context

from clients.models import Company, Revision
from portal.celery import app
from sync import idempotency
from sync.agents import create_agent
from sync.models import Agent, Batch, Event, IdempotencyRecord
from sync.tasks import cleanup_idempotency_records, cleanup_idempotency_records_all_offices
from tests.clients.batches import make_nip
from tests.sync.conftest import assert_problem

NIP = make_nip(601)


def body(amount="100.00", nip=NIP):
    return {"program": {"code": "optima"},
            "companies": [{"nip": nip, "name": "Idem", "taxes": [{"period": "2026-10", "type": "VAT-7",
                                                                   "amount": amount}]}]}


def counts(client):
    with client.in_office():
        return (Company.objects.count(), Revision.objects.count(), Batch.objects.count(), Event.objects.count())


def test_same_key_same_body_replays_the_stored_response_and_changes_nothing(cast, agent_client):
    client = agent_client(cast.office_a)
    first = client.api_post("batches", body(), key="key-1")
    assert first.status_code == 200 and "Idempotent-Replayed" not in first
    after_first = counts(client)
    second = client.api_post("batches", body(), key="key-1")
    assert second.status_code == 200
    assert second["Idempotent-Replayed"] == "true"
    assert second.content == first.content
    assert counts(client) == after_first


def test_replay_compares_the_body_after_decompression(cast, agent_client):
    client = agent_client(cast.office_a)
    raw = orjson.dumps(body())
    first = client.api_post("batches", raw=raw, key="key-gz")
    # The same JSON bytes, gzip-compressed (at another level, so different bytes on the wire).
    second = client.api_post("batches", raw=gzip.compress(raw, compresslevel=1), key="key-gz",
                             HTTP_CONTENT_ENCODING="gzip")
    assert second["Idempotent-Replayed"] == "true" and second.content == first.content
    # Semantically equal JSON with different bytes is a different request.
    third = client.api_post("batches", raw=orjson.dumps(body(), option=orjson.OPT_INDENT_2), key="key-gz")
    assert_problem(third, 422, "idempotency_key_reused")


def test_same_key_different_body_is_422_and_changes_nothing(cast, agent_client):
    client = agent_client(cast.office_a)
    client.api_post("batches", body(), key="key-2")
    before = counts(client)
    response = client.api_post("batches", body(amount="999.00"), key="key-2")
    assert_problem(response, 422, "idempotency_key_reused")
    assert counts(client) == before
    with client.in_office():
        assert not Revision.objects.filter(amount="999.00").exists()


def test_same_key_on_another_endpoint_is_reused(cast, agent_client):
    client = agent_client(cast.office_a)
    client.api_post("events", {"events": []}, key="key-3")
    assert_problem(client.api_post("batches", {"events": []}, key="key-3"), 422, "idempotency_key_reused")


def test_keys_belong_to_one_agent(cast, agent_client):
    first, second = agent_client(cast.office_a, "PC1"), agent_client(cast.office_a, "PC2")
    assert first.api_post("batches", body(), key="shared").status_code == 200
    response = second.api_post("batches", body(amount="5.00"), key="shared")
    assert response.status_code == 200 and "Idempotent-Replayed" not in response


class ClaimedElsewhere:
    """Another database session (a thread with its own connection) claiming a key: a request in flight.

    ``crash()`` ends that session without releasing anything, as a killed web worker or a restarted
    PostgreSQL would; ``finish()`` releases the claim the normal way."""

    def __init__(self, office, agent, key: str, request_hash: str):
        self.claimed, self.done, self.crashed = threading.Event(), threading.Event(), False
        self.outcome = None
        self.thread = threading.Thread(target=self._run, args=(office, agent, key, request_hash))
        self.thread.start()
        assert self.claimed.wait(10)

    def _run(self, office, agent, key, request_hash):
        try:
            with schema_context(office.schema_name):
                claim = idempotency.claim(agent, key, "batches", request_hash)
                self.outcome = claim.outcome
                self.claimed.set()
                self.done.wait(10)
                if not self.crashed:
                    idempotency.release(claim)
        finally:
            connection.close()

    def finish(self, *, crash: bool = False):
        self.crashed = crash
        self.done.set()
        self.thread.join(10)


def test_a_request_in_flight_is_409(cast, agent_client):
    client = agent_client(cast.office_a)
    raw = orjson.dumps(body())
    elsewhere = ClaimedElsewhere(cast.office_a, client.agent, "key-4", idempotency.fingerprint("batches", raw))
    try:
        assert elsewhere.outcome == idempotency.CLAIMED
        before = counts(client)
        response = client.api_post("batches", raw=raw, key="key-4")
        assert_problem(response, 409, "idempotency_request_in_flight")
        assert response["Retry-After"]
        assert counts(client) == before
        # Nothing is recorded until the running request commits: another body is "in flight" too.
        assert_problem(client.api_post("batches", body(amount="1.00"), key="key-4"), 409,
                       "idempotency_request_in_flight")
    finally:
        elsewhere.finish()
    # The first request ended without storing anything (refused, say): the key is free at once.
    response = client.api_post("batches", raw=raw, key="key-4")
    assert response.status_code == 200 and "Idempotent-Replayed" not in response


def test_a_claim_dies_with_its_database_session_so_a_retry_is_applied_at_once(cast, agent_client):
    client = agent_client(cast.office_a)
    raw = orjson.dumps(body())
    elsewhere = ClaimedElsewhere(cast.office_a, client.agent, "key-5", idempotency.fingerprint("batches", raw))
    assert_problem(client.api_post("batches", raw=raw, key="key-5"), 409, "idempotency_request_in_flight")
    elsewhere.finish(crash=True)  # the worker is killed: its connection closes, no release, no clean-up
    response = client.api_post("batches", raw=raw, key="key-5")
    assert response.status_code == 200 and "Idempotent-Replayed" not in response
    with client.in_office():
        record = IdempotencyRecord.objects.get(agent=client.agent, key="key-5")
        assert record.state == "done" and orjson.loads(record.response_body)["batch"].startswith("b_")
    assert client.api_post("batches", raw=raw, key="key-5")["Idempotent-Replayed"] == "true"


def test_records_are_kept_24_hours_then_cleaned_up(cast, agent_client):
    assert idempotency.TTL >= timedelta(hours=24)
    client = agent_client(cast.office_a)
    client.api_post("batches", body(), key="old")
    client.api_post("batches", body(amount="2.00"), key="new")
    with client.in_office():
        IdempotencyRecord.objects.filter(key="old").update(created_at=timezone.now() - timedelta(hours=25))
        IdempotencyRecord.objects.filter(key="new").update(created_at=timezone.now() - timedelta(hours=23))
        assert cleanup_idempotency_records.apply().get() == 1
        assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["new"]
    # An expired key starts afresh.
    response = client.api_post("batches", body(amount="3.00"), key="old")
    assert response.status_code == 200 and "Idempotent-Replayed" not in response


def test_an_expired_record_not_yet_deleted_is_not_replayed(cast, agent_client):
    client = agent_client(cast.office_a)
    client.api_post("batches", body(), key="exp")
    with client.in_office():
        IdempotencyRecord.objects.filter(key="exp").update(created_at=timezone.now() - timedelta(hours=49))
    response = client.api_post("batches", body(amount="7.00"), key="exp")
    assert response.status_code == 200 and "Idempotent-Replayed" not in response


def test_the_periodic_task_queues_the_cleanup_in_every_office(cast, agent_client, settings):
    """The public task fans out per office through tenant-schemas-celery (eager here, a real worker in prod)."""
    settings.CELERY_TASK_ALWAYS_EAGER = True

    app.conf.task_always_eager = True
    try:
        clients = [agent_client(cast.office_a), agent_client(cast.office_b)]
        for client in clients:
            client.api_post("batches", {"program": {"code": "optima"}}, key="sweep")
            with client.in_office():
                IdempotencyRecord.objects.filter(key="sweep").update(created_at=timezone.now() - timedelta(days=2))
        connection.set_schema_to_public()
        assert cleanup_idempotency_records_all_offices.apply().get() >= 2
        for client in clients:
            with client.in_office():
                assert not IdempotencyRecord.objects.filter(key="sweep").exists()
    finally:
        app.conf.task_always_eager = False


@pytest.fixture
def committed_agent(committed_cast):
    """An agent of office A committed to the database (visible to other threads); removed afterwards."""
    with schema_context(committed_cast.office_a.schema_name):
        agent, _token = create_agent(f"race-{uuid.uuid4().hex[:8]}")
    yield committed_cast.office_a, agent
    with schema_context(committed_cast.office_a.schema_name):
        IdempotencyRecord.objects.filter(agent=agent).delete()
        Agent.objects.filter(pk=agent.pk).delete()


def test_concurrent_claims_of_one_key_have_exactly_one_winner(committed_agent):
    office, agent = committed_agent
    request_hash = idempotency.fingerprint("batches", b"{}")
    outcomes, errors = [], []
    barrier = threading.Barrier(8)

    all_tried = threading.Barrier(8)

    def race():
        try:
            with schema_context(office.schema_name):
                barrier.wait()
                outcomes.append(idempotency.claim(agent, "race-key", "batches", request_hash).outcome)
                all_tried.wait()  # the winner holds its claim until everyone has tried
        except Exception as exc:  # noqa: BLE001 - reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=race) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors
    assert sorted(outcomes) == [idempotency.CLAIMED] + [idempotency.IN_FLIGHT] * 7
    with schema_context(office.schema_name):  # a claim writes nothing: the record comes with the data
        assert not IdempotencyRecord.objects.filter(agent=agent, key="race-key").exists()
