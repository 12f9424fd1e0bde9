"""Findings 2, 3 and 6 of the penetration test: agent input PostgreSQL cannot store, or that breaks pages later.

- a NUL character anywhere in a body (a statement's ``totals`` key, a phone, NIP, tax type, amount, period, an
  event's text or details) is refused with its JSON Pointer and a 422, before anything is written;
- an event's time must be in years 2000–2100 with a real UTC offset (±14:00), and a JSON body at most
  ``MAX_JSON_DEPTH`` levels deep: ``9999-12-31T23:00:00-05:00`` once made ``/panel/events/`` a 500 for all staff;
- an error list is capped, with the count of the errors left out.
"""

import importlib

import orjson
import pytest
from django.db import IntegrityError, connection, transaction
from django_tenants.utils import schema_context

from clients.models import Company, Figure
from sync.batch import MAX_ERRORS_LISTED
from sync.events import MAX_DETAILS_DEPTH
from sync.models import Batch, ErrorReport, Event
from tests.clients.batches import make_nip
from tests.sync.conftest import assert_pointer, assert_problem

VALID_NIP, OTHER_NIP = make_nip(7001), make_nip(7002)
EVENT = {"at": "2026-11-20T10:00:00+01:00", "level": "warning", "code": "db_unreachable"}


def _batch(*companies):
    return {"program": {"code": "optima", "version": "2025.0.1"}, "companies": list(companies)}


def _company(nip=VALID_NIP, **fields):
    return {"nip": nip, "name": "Firma Testowa", **fields}


def _stored(client):
    with client.in_office():
        return (sorted(Company.objects.values_list("nip", flat=True)), Figure.objects.count(), Batch.objects.count(),
                Event.objects.count())


@pytest.mark.parametrize(("second", "pointer"), [
    (_company(OTHER_NIP, statements=[{"period": "2026-10", "revenue": "1.00", "costs": "0.00", "income": "1.00",
                                      "totals": {"vat\u0000due": "1.00"}}]),
     "/companies/1/statements/0/totals/vat\u0000due"),
    (_company(OTHER_NIP, phone="+48600\u0000100200"), "/companies/1/phone"),
    (_company(OTHER_NIP[:5] + "\u0000" + OTHER_NIP[5:]), "/companies/1/nip"),
    (_company(OTHER_NIP, taxes=[{"period": "2026-10", "type": "VAT-7\u0000", "amount": "1.00"}]),
     "/companies/1/taxes/0/type"),
    (_company(OTHER_NIP, taxes=[{"period": "2026-10", "type": "VAT-7", "amount": "1.00\u0000"}]),
     "/companies/1/taxes/0/amount"),
    (_company(OTHER_NIP, taxes=[{"period": "2026-1\u00000", "type": "VAT-7", "amount": "1.00"}]),
     "/companies/1/taxes/0/period"),
    (_company(OTHER_NIP, name="Firma\u0000"), "/companies/1/name"),
], ids=["totals-key", "phone", "nip", "tax-type", "amount", "period", "name"])
def test_a_nul_character_refuses_the_batch_with_its_pointer_and_stores_nothing(cast, agent_client, second, pointer):
    client = agent_client(cast.office_a)
    before = _stored(client)
    first = client.api_post("batches", _batch(_company(), second), key="nul-1")
    body = assert_problem(first, 422, "validation_error")
    assert assert_pointer(body, pointer, "invalid_characters")
    assert _stored(client) == before
    # the same key again: the same refusal, never a 500
    assert_problem(client.api_post("batches", _batch(_company(), second), key="nul-1"), 422, "validation_error")


def test_a_key_with_a_nul_is_pointed_at_escaped(cast, agent_client):
    body = assert_problem(agent_client(cast.office_a).api_post(
        "events", {"events": [{**EVENT, "details": {"a/b~\u0000": 1}}]}), 422, "validation_error")
    assert_pointer(body, "/events/0/details/a~1b~0\u0000", "invalid_characters")


@pytest.mark.parametrize(("path", "payload", "pointer"), [
    ("events", {"events": [{**EVENT, "message": "broken\u0000"}]}, "/events/0/message"),
    ("events", {"events": [{**EVENT, "details": {"sql": ["x\u0000"]}}]}, "/events/0/details/sql/0"),
    ("error-reports", {"message": "crash", "agent": {"hostname": "PC\u00001"}}, "/agent/hostname"),
    ("error-reports", {"message": "crash", "runtime": {"\u0000": 1}}, "/runtime/\u0000"),
])
def test_a_nul_character_in_events_and_error_reports_is_refused(cast, agent_client, path, payload, pointer):
    client = agent_client(cast.office_a)
    body = assert_problem(client.api_post(path, payload), 422, "validation_error")
    assert_pointer(body, pointer, "invalid_characters")
    with client.in_office():
        assert not Event.objects.filter(agent=client.agent).exists()
        assert not ErrorReport.objects.filter(agent=client.agent).exists()


def _nested(depth: int):
    value: object = 1
    for _level in range(depth):
        value = {"a": value}
    return value


@pytest.mark.parametrize("depth", [MAX_DETAILS_DEPTH + 1, 255, 1000])
def test_deeply_nested_details_are_refused_with_a_422(cast, agent_client, depth):
    # written by hand: orjson (and the test client) refuse to serialise more than 255 levels
    details = '{"a":' * depth + "1" + "}" * depth
    raw = orjson.dumps({"events": [EVENT]})[:-3] + b',"details":' + details.encode() + b"}]}"
    response = agent_client(cast.office_a).api_post("events", raw=raw)
    body = assert_problem(response, 422, "validation_error")
    [error] = body["errors"]
    assert error["code"] == "too_deep" and error["pointer"].startswith("/events/0/details/a/a")


def test_details_within_the_depth_limit_are_stored(cast, agent_client):
    details = _nested(MAX_DETAILS_DEPTH)
    client = agent_client(cast.office_a)
    assert client.api_post("events", {"events": [{**EVENT, "details": details}]}).status_code == 201


@pytest.mark.parametrize("at", [
    "9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+00:00", "1999-12-31T23:59:59Z", "2101-01-01T00:00:00Z",
    "2026-11-20T10:00:00+16:00", "2026-11-20T10:00:00-14:30", "2026-11-20T10:00:00+05:00:30",
])
def test_an_event_time_out_of_bounds_is_refused(cast, agent_client, at):
    client = agent_client(cast.office_a)
    body = assert_problem(client.api_post("events", {"events": [{**EVENT, "at": at}]}), 422, "validation_error")
    assert_pointer(body, "/events/0/at", "invalid_datetime")
    with client.in_office():
        assert not Event.objects.filter(agent=client.agent).exists()


@pytest.mark.parametrize("at", [
    "2000-01-01T00:00:00Z", "2100-12-31T23:59:59Z", "2026-06-01T12:00:00+14:00", "2026-06-01T12:00:00-14:00",
    "2026-06-01T12:00:00+05:45",
])
def test_event_times_at_the_bounds_are_accepted(cast, agent_client, at):
    assert agent_client(cast.office_a).api_post("events", {"events": [{**EVENT, "at": at}]}).status_code == 201


BAD_ROW = ("INSERT INTO sync_event (at, received_at, source, level, code, message, program, nip, details) "
           "VALUES ('9999-12-31T23:00:00-05:00', now(), 'agent', 'error', 'far_future', '', '', '', '{}')")


def test_the_database_refuses_an_event_time_out_of_bounds(cast):
    with schema_context(cast.office_a.schema_name), connection.cursor() as cursor:
        with pytest.raises(IntegrityError), transaction.atomic():
            cursor.execute(BAD_ROW)


def test_rows_stored_before_the_bounds_are_repaired_and_the_log_shows_them(office_client, cast):
    migration = importlib.import_module("sync.migrations.0004_event_time_bounds")
    with schema_context(cast.office_a.schema_name), connection.cursor() as cursor:
        cursor.execute("ALTER TABLE sync_event DROP CONSTRAINT sync_event_at_in_bounds")  # as before 0004
        cursor.execute(BAD_ROW)
        with connection.schema_editor() as editor:
            migration.repair_event_times(None, editor)
        repaired = Event.objects.get(code="far_future")
    assert repaired.at == repaired.received_at
    assert repaired.details["sent_at"].startswith("10000-01-01 04:00:00")
    response = office_client(cast.office_a, cast.alice).get("/panel/events/")
    assert response.status_code == 200
    assert "far_future" in response.content.decode()


def test_the_error_list_is_capped_with_a_count_of_the_rest(cast, agent_client):
    client = agent_client(cast.office_a)
    events = [{**EVENT, "code": "bad code"}] * (MAX_ERRORS_LISTED + 50)
    body = assert_problem(client.api_post("events", {"events": events}), 422, "validation_error")
    assert len(body["errors"]) == MAX_ERRORS_LISTED
    assert body["errors_omitted"] == 50
    assert len(orjson.dumps(body)) < 64 * 1024


def test_a_batchs_error_list_is_capped_too(cast, agent_client):
    client = agent_client(cast.office_a)
    response = client.api_post("batches", _batch(*[{} for _ in range(MAX_ERRORS_LISTED + 20)]))
    assert response.status_code in (200, 422), response.content[:300]
    body = orjson.loads(response.content)
    assert len(body["errors"]) == MAX_ERRORS_LISTED
    assert body["errors_omitted"] >= 20



@pytest.mark.parametrize("batch_id", ["%00", "b_%00", "x" * 300, "b_" + "0" * 25 + "%00"])
def test_a_malformed_batch_id_is_a_404_problem(cast, agent_client, batch_id):
    """Found by schemathesis: ``GET batches/%00`` was a 500 (PostgreSQL refused the NUL in the lookup)."""
    assert_problem(agent_client(cast.office_a).api_get(f"batches/{batch_id}"), 404, "not_found")
