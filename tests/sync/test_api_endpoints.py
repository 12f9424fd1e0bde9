"""GET companies (cursor pagination, program filter), POST events, POST error-reports, POST files."""

import orjson
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext

from clients.models import Company
from sync.models import Batch, ErrorReport, Event
from tests.clients.batches import make_nip
from tests.sync.conftest import assert_pointer, assert_problem
from tests.sync.importers.conftest import jpk_xml

# --- GET companies ---------------------------------------------------------------------------------


def post_companies(client, program, nips):
    response = client.api_post("batches", {"program": {"code": program}, "companies": [
        {"nip": nip, "name": f"Firma {nip}"} for nip in nips]})
    assert response.status_code == 200, response.content


def all_pages(client, query=""):
    pages, url = [], "companies" + query
    while url:
        response = client.api_get(url)
        assert response.status_code == 200, response.content
        page = orjson.loads(response.content)
        pages.append(page)
        url = page["next"].split("/api/agent/v1/", 1)[1] if page["next"] else None
    return pages


def test_companies_are_paginated_by_cursor_in_nip_order(cast, agent_client):
    client = agent_client(cast.office_a)
    post_companies(client, "symfonia", [make_nip(800 + i) for i in range(5)])
    with client.in_office():
        expected = list(Company.objects.order_by("nip").values_list("nip", flat=True))
    pages = all_pages(client, "?limit=2")
    assert [len(page["results"]) for page in pages][:-1] == [2] * (len(pages) - 1)
    assert [c["nip"] for page in pages for c in page["results"]] == expected
    assert pages[-1]["next"] is None and pages[-1]["next_cursor"] is None
    assert pages[0]["next"].startswith("http://alpha.") and "limit=2" in pages[0]["next"]
    first = pages[0]["results"][0]
    assert set(first) == {"nip", "name", "enabled", "sources"}
    assert set(first["sources"]) == {"basic_data", "zus", "taxes", "statements"}


def test_companies_of_another_office_are_not_listed(cast, agent_client):
    nips = {c["nip"] for page in all_pages(agent_client(cast.office_b)) for c in page["results"]}
    assert cast.company_b.nip in nips
    assert cast.company_x.nip not in nips and cast.company_y.nip not in nips


def test_companies_filtered_by_program(cast, agent_client):
    client = agent_client(cast.office_a)
    post_companies(client, "raks", [make_nip(811), make_nip(812)])
    results = [c for page in all_pages(client, "?program=raks") for c in page["results"]]
    assert sorted(c["nip"] for c in results) == [make_nip(811), make_nip(812)]
    assert all(c["sources"]["taxes"] == "raks" for c in results)
    assert all_pages(client, "?program=ognik")[0]["results"] == []


@pytest.mark.parametrize("query, parameter", [("?program=excel", "program"), ("?cursor=%%%", "cursor"),
                                              ("?cursor=bjoxMjM", "cursor"), ("?limit=0", "limit"),
                                              ("?limit=5000", "limit"), ("?limit=abc", "limit")])
def test_bad_query_parameters_are_400(cast, agent_client, query, parameter):
    body = assert_problem(agent_client(cast.office_a).api_get("companies" + query), 400, "invalid_parameter")
    assert body["errors"][0]["parameter"] == parameter


def test_companies_page_costs_a_constant_number_of_queries(cast, agent_client):
    client = agent_client(cast.office_a)
    post_companies(client, "optima", [make_nip(820 + i) for i in range(30)])
    client.api_get("companies?limit=5")  # warm up (last seen, settings row)
    with CaptureQueriesContext(connection) as small:
        client.api_get("companies?limit=5")
    with CaptureQueriesContext(connection) as large:
        client.api_get("companies?limit=1000")
    assert len(small) == len(large) <= 6


# --- POST events -----------------------------------------------------------------------------------

EVENT = {"at": "2026-11-20T10:00:00+01:00", "level": "warning", "code": "db_unreachable",
         "message": "Optima database unreachable", "program": "optima", "nip": None, "details": {"retry": 3}}


def test_events_are_stored_in_the_office_event_log(cast, agent_client):
    client = agent_client(cast.office_a)
    second = {"at": "2026-11-20T08:00:00Z", "code": "sync_done", "nip": cast.company_x.nip}
    response = client.api_post("events", {"events": [EVENT, second]}, key=None)
    assert response.status_code == 201, response.content
    assert orjson.loads(response.content) == {"accepted": 2}
    with client.in_office():
        stored = list(Event.objects.filter(agent=client.agent).order_by("at"))
    assert [(e.code, e.level, e.nip, e.source) for e in stored] == [
        ("sync_done", "info", cast.company_x.nip, "agent"), ("db_unreachable", "warning", "", "agent")]
    assert stored[1].details == {"retry": 3} and stored[1].program == "optima"
    assert stored[1].at.isoformat() == "2026-11-20T09:00:00+00:00"  # 10:00+01:00
    with agent_client(cast.office_b).in_office():
        assert not Event.objects.filter(code="db_unreachable").exists()


def test_events_with_an_idempotency_key_are_stored_once(cast, agent_client):
    client = agent_client(cast.office_a)
    first = client.api_post("events", {"events": [EVENT]}, key="ev-1")
    again = client.api_post("events", {"events": [EVENT]}, key="ev-1")
    assert again["Idempotent-Replayed"] == "true" and again.content == first.content
    with client.in_office():
        assert Event.objects.filter(agent=client.agent).count() == 1


@pytest.mark.parametrize("event, pointer, code", [
    ({**EVENT, "at": "2026-11-20T10:00:00"}, "/events/1/at", "invalid_datetime"),
    ({**EVENT, "at": "yesterday"}, "/events/1/at", "invalid_datetime"),
    ({**EVENT, "level": "fatal"}, "/events/1/level", "invalid_choice"),
    ({**EVENT, "code": ""}, "/events/1/code", "invalid_code"),
    ({**EVENT, "code": "has space"}, "/events/1/code", "invalid_code"),
    ({**EVENT, "program": "excel"}, "/events/1/program", "invalid_choice"),
    ({**EVENT, "nip": "123"}, "/events/1/nip", "invalid_nip"),
    ({**EVENT, "details": [1]}, "/events/1/details", "invalid_type"),
    ({**EVENT, "details": {"x": "y" * 70000}}, "/events/1/details", "too_large"),
    ({**EVENT, "message": 5}, "/events/1/message", "invalid_type"),
    ("text", "/events/1", "invalid_type"),
])
def test_an_invalid_event_refuses_the_request_and_stores_nothing(cast, agent_client, event, pointer, code):
    client = agent_client(cast.office_a)
    body = assert_problem(client.api_post("events", {"events": [EVENT, event]}), 422, "validation_error")
    assert_pointer(body, pointer, code)
    with client.in_office():
        assert not Event.objects.filter(agent=client.agent).exists()


@pytest.mark.parametrize("payload, pointer", [({}, "/events"), ({"events": {}}, "/events"), ([], ""),
                                              ({"events": [EVENT] * 1001}, "/events")])
def test_events_request_shape(cast, agent_client, payload, pointer):
    body = assert_problem(agent_client(cast.office_a).api_post("events", payload), 422, "validation_error")
    assert body["errors"][0]["pointer"] == pointer


# --- POST error-reports ------------------------------------------------------------------------------

REPORT = {"message": "NullReferenceException in Sync()", "stacktrace": "at Biurko.Agent.Sync()\n  at Main()",
          "agent": {"version": "1.4.0", "os": "Windows 11", "hostname": "BIURO-PC1"},
          "runtime": {"os": "Windows 11 Pro 23H2", "dotnet": "8.0.4"}}


def test_error_reports_are_stored_with_the_client_ip(cast, agent_client):
    client = agent_client(cast.office_a)
    response = client.api_post("error-reports", REPORT, key=None, REMOTE_ADDR="203.0.113.7",
                               HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert response.status_code == 201, response.content
    report_id = orjson.loads(response.content)["id"]
    with client.in_office():
        report = ErrorReport.objects.get(pk=report_id)
    assert report.client_ip == "203.0.113.7"  # X-Forwarded-For ignored: no proxy configured
    assert report.agent_id == client.agent.pk and report.message == REPORT["message"]
    assert (report.agent_version, report.agent_os, report.agent_hostname) == ("1.4.0", "Windows 11", "BIURO-PC1")
    assert report.runtime == REPORT["runtime"] and "Main()" in report.stacktrace


def test_behind_the_proxy_the_forwarded_ip_is_used(cast, agent_client, settings):
    settings.BEHIND_TLS_PROXY = True
    client = agent_client(cast.office_a)
    response = client.api_post("error-reports", REPORT, REMOTE_ADDR="10.0.0.2",
                               HTTP_X_FORWARDED_FOR="6.6.6.6, 2001:db8::1")
    with client.in_office():
        report = ErrorReport.objects.get(pk=orjson.loads(response.content)["id"])
    # The last hop is what our proxy saw; earlier entries are the client's own claim.
    assert report.client_ip == "2001:db8::1"
    response = client.api_post("error-reports", REPORT, REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="garbage")
    with client.in_office():
        assert ErrorReport.objects.get(pk=orjson.loads(response.content)["id"]).client_ip == "10.0.0.2"


@pytest.mark.parametrize("payload, pointer, code", [
    ({"stacktrace": "x"}, "/message", "required"),
    ({"message": "   "}, "/message", "required"),
    ({"message": "x" * 10001}, "/message", "too_long"),
    ({"message": "m", "agent": "v1"}, "/agent", "invalid_type"),
    ({"message": "m", "runtime": [1]}, "/runtime", "invalid_type"),
])
def test_invalid_error_reports_are_422(cast, agent_client, payload, pointer, code):
    client = agent_client(cast.office_a)
    assert_pointer(assert_problem(client.api_post("error-reports", payload), 422, "validation_error"), pointer, code)
    with client.in_office():
        assert not ErrorReport.objects.exists()


# --- POST files ----------------------------------------------------------------------------------

def upload(client, data: dict, key="auto", **extra):
    if key == "auto":
        key = "file-key-1"
    if key is not None:
        extra["HTTP_IDEMPOTENCY_KEY"] = key
    return client.post("/api/agent/v1/files", data, **extra)


JPK_NIP, OTHER_JPK_NIP = "5213017228", "1132853869"  # valid NIPs the JPK schema's pattern accepts


def jpk_file(nip=JPK_NIP, name="jpk.xml"):
    xml = jpk_xml(nip=nip, year=2026, month=1, declaration={"P_51": "1234"})
    return SimpleUploadedFile(name, xml, content_type="application/xml")


def test_files_need_the_idempotency_key(cast, agent_client):
    client = agent_client(cast.office_a)
    assert_problem(upload(client, {"kind": "jpk_v7m", "file": jpk_file()}, key=None), 400,
                   "idempotency_key_missing")


def test_files_must_be_multipart(cast, agent_client):
    client = agent_client(cast.office_a)
    assert_problem(client.api_post("files", {"kind": "jpk_v7m"}), 415, "unsupported_media_type")


@pytest.mark.parametrize("data, pointer, code", [
    ({"file": "placeholder"}, "/kind", "required"),
    ({"kind": "pdf", "file": "placeholder"}, "/kind", "invalid_choice"),
    ({"kind": "kedu"}, "/file", "required"),
])
def test_file_fields_are_validated(cast, agent_client, data, pointer, code):
    if data.get("file") == "placeholder":
        data = {**data, "file": jpk_file()}
    body = assert_problem(upload(agent_client(cast.office_a), data), 422, "validation_error")
    assert_pointer(body, pointer, code)


def test_a_jpk_file_is_applied_like_a_batch(cast, agent_client):
    client = agent_client(cast.office_a)
    response = upload(client, {"kind": "jpk_v7m", "file": jpk_file()})
    assert response.status_code == 200, response.content
    body = orjson.loads(response.content)
    assert body["batch"].startswith("b_") and body["status"] in ("applied", "partially_applied")
    with client.in_office():
        record = Batch.objects.get(public_id=body["batch"])
        assert record.source == "file" and record.program == "file_import"
        assert Company.objects.filter(nip=JPK_NIP).exists()
    again = upload(client, {"kind": "jpk_v7m", "file": jpk_file()})
    assert again["Idempotent-Replayed"] == "true" and orjson.loads(again.content) == body
    other = upload(client, {"kind": "jpk_v7m", "file": jpk_file(OTHER_JPK_NIP)})
    assert_problem(other, 422, "idempotency_key_reused")


@pytest.mark.parametrize("content", [b"<not xml", b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>',
                                     b"%PDF-1.4"])
def test_hostile_or_malformed_files_are_refused_with_a_problem(cast, agent_client, content):
    client = agent_client(cast.office_a)
    response = upload(client, {"kind": "jpk_v7m", "file": SimpleUploadedFile("x.xml", content)})
    body = assert_problem(response, 422, "import_rejected")
    assert body["errors"][0]["pointer"] == "/file"
    # A refused file does not hold the key: a corrected file can use it.
    assert upload(client, {"kind": "jpk_v7m", "file": jpk_file()}).status_code == 200


def test_an_oversized_file_is_413(cast, agent_client, settings):
    settings.AGENT_API_MAX_BODY_BYTES = 2048
    big = SimpleUploadedFile("big.xml", b"<x>" + b" " * 4096 + b"</x>")
    assert_problem(upload(agent_client(cast.office_a), {"kind": "kedu", "file": big}), 413, "body_too_large")


@pytest.mark.parametrize("content_type, raw", [
    ("multipart/form-data; boundary=xyz", b"\x00\xffgarbage that is no multipart at all\r\n"),
    ("multipart/form-data", b"--xyz\r\nContent-Disposition: form-data; name=\"kind\"\r\n\r\njpk_v7m\r\n--xyz--\r\n"),
    ("multipart/form-data; boundary=xyz", b"--xyz\r\nno headers, no end"),
])
def test_garbage_multipart_is_400_invalid_body(cast, agent_client, content_type, raw):
    client = agent_client(cast.office_a)
    response = client.generic("POST", "/api/agent/v1/files", raw, content_type=content_type,
                              HTTP_IDEMPOTENCY_KEY="garbage-1")
    assert_problem(response, 400, "invalid_body")
