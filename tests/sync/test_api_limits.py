"""Agent API limits and failures: gzip, body size (413), rate limit (429), database down (503), wrong hosts."""

import gzip
import logging
import socket
import zlib

import orjson
import pytest
from django.db import connection
from django.http import HttpResponse, UnreadablePostError

from clients.models import Company
from sync.api.exceptions import api_exception_handler
from sync.api.middleware import AgentApiErrorMiddleware
from sync.api.problems import RETRY_AFTER_MAX_SECONDS, RETRY_AFTER_MIN_SECONDS, DatabaseOutage, database_outage
from tests.clients.batches import make_nip
from tests.sync.conftest import API, AgentClient, assert_problem, make_agent

MIDDLEWARE = "sync.api.middleware.AgentApiErrorMiddleware"


@pytest.fixture
def api_error_middleware(settings):
    """The API's error middleware, first after the request id (see sync/api/middleware.py)."""
    if MIDDLEWARE not in settings.MIDDLEWARE:
        settings.MIDDLEWARE = [settings.MIDDLEWARE[0], MIDDLEWARE, *settings.MIDDLEWARE[1:]]
    assert settings.MIDDLEWARE.index(MIDDLEWARE) < settings.MIDDLEWARE.index("offices.middleware.OfficeHostMiddleware")


NIP = make_nip(701)


def batch(nip=NIP, name="Gzip"):
    return {"program": {"code": "optima"}, "companies": [
        {"nip": nip, "name": name, "taxes": [{"period": "2026-10", "type": "VAT-7", "amount": "1.00"}]}]}


def test_gzip_bodies_are_accepted(cast, agent_client):
    client = agent_client(cast.office_a)
    response = client.api_post("batches", batch(), compress=True)
    assert response.status_code == 200, response.content
    assert orjson.loads(response.content)["companies"]["created"] == 1
    with client.in_office():
        assert Company.objects.filter(nip=make_nip(701), name="Gzip").exists()


def test_concatenated_gzip_members_are_one_body(cast, agent_client):
    client = agent_client(cast.office_a)
    raw = orjson.dumps(batch())
    wire = gzip.compress(raw[:20]) + gzip.compress(raw[20:])
    response = client.api_post("batches", raw=wire, HTTP_CONTENT_ENCODING="gzip")
    assert response.status_code == 200, response.content


@pytest.mark.parametrize("wire", [b"not gzip at all", gzip.compress(b'{"program": {}}')[:-6], b"\x1f\x8b",
                                  gzip.compress(b"{}") + b"garbage"])
def test_bad_gzip_is_400(cast, agent_client, wire):
    client = agent_client(cast.office_a)
    assert_problem(client.api_post("batches", raw=wire, HTTP_CONTENT_ENCODING="gzip"), 400, "invalid_gzip")


@pytest.mark.parametrize("encoding", ["br", "deflate", "zstd", "gzip, br"])
def test_other_content_encodings_are_415(cast, agent_client, encoding):
    client = agent_client(cast.office_a)
    response = client.api_post("batches", batch(), HTTP_CONTENT_ENCODING=encoding)
    assert_problem(response, 415, "unsupported_content_encoding")


def test_a_gzip_bomb_stops_at_the_default_limit_with_413(cast, agent_client, settings):
    """64 MiB + 1 byte of JSON whitespace inflates from ~65 KiB on the wire; the limit is in the message."""
    assert settings.AGENT_API_MAX_BODY_BYTES == 64 * 1024 * 1024
    compressor = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)
    chunk = b" " * (1024 * 1024)
    wire = b"".join(compressor.compress(chunk) for _ in range(64)) + compressor.compress(b" " * 1)
    wire += compressor.compress(b"{}") + compressor.flush()
    assert len(wire) < 200_000
    client = agent_client(cast.office_a)
    body = assert_problem(client.api_post("batches", raw=wire, HTTP_CONTENT_ENCODING="gzip"), 413, "body_too_large")
    assert "67108864" in body["detail"] and "64" in body["detail"]


def test_exactly_the_limit_is_accepted_one_more_byte_is_413(cast, agent_client, settings):
    settings.AGENT_API_MAX_BODY_BYTES = 4096
    client = agent_client(cast.office_a)
    raw = orjson.dumps({"program": {"code": "optima"}})
    exact = raw + b" " * (4096 - len(raw))
    assert client.api_post("batches", raw=exact).status_code == 200
    assert client.api_post("batches", raw=exact, compress=True).status_code == 200
    body = assert_problem(client.api_post("batches", raw=exact + b" "), 413, "body_too_large")
    assert "4096" in body["detail"]
    assert_problem(client.api_post("batches", raw=exact + b" ", compress=True), 413, "body_too_large")


def test_a_too_large_plain_body_changes_nothing(cast, agent_client, settings):
    settings.AGENT_API_MAX_BODY_BYTES = 2048
    client = agent_client(cast.office_a)
    big = batch(name="x" * 3000)
    assert_problem(client.api_post("batches", big), 413, "body_too_large")
    with client.in_office():
        assert not Company.objects.filter(nip=make_nip(701)).exists()


def test_the_rate_limit_is_per_agent_with_retry_after(cast, agent_client, settings):
    settings.AGENT_API_RATE_LIMIT_PER_MINUTE = 3
    client, other = agent_client(cast.office_a, "PC1"), agent_client(cast.office_a, "PC2")
    # A minute boundary may reset the window once, so allow for two windows' worth of requests.
    statuses = []
    for _ in range(7):
        response = client.api_get("config")
        statuses.append(response.status_code)
        if response.status_code == 429:
            break
    assert statuses[-1] == 429, statuses
    assert statuses.count(200) >= 3
    body = assert_problem(response, 429, "rate_limited")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert response["Retry-After"] in body["detail"]
    assert other.api_get("config").status_code == 200


def _dead_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # closed on exit: nothing listens there


def test_database_unavailable_is_503_with_retry_after(committed_cast, api_error_middleware):
    """A real unreachable database: the connection is pointed at a closed port for one request."""
    client = AgentClient(committed_cast.office_a, "bk_token-does-not-matter", raise_request_exception=False)
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_dead_port()))
    try:
        responses = [client.api_get("config"), client.api_post("batches", batch())]
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)
    for response in responses:
        body = assert_problem(response, 503, "service_unavailable")
        assert int(response["Retry-After"]) > 0
        assert "<html" not in response.content.decode().lower()
        assert body["detail"]
    with connection.cursor() as cursor:  # and the database is back for everyone else
        cursor.execute("SELECT 1")


def test_retry_after_is_short_while_an_outage_is_recent_and_grows_with_it():
    outage = DatabaseOutage()
    assert outage.retry_after(now=100.0) == RETRY_AFTER_MAX_SECONDS  # no outage seen: the cause is unknown
    outage.seen_down(now=100.0)
    outage.seen_down(now=104.0)  # still the same outage: it began at 100
    assert [outage.retry_after(now=100.0 + t) for t in (0, 5, 15, 60, 600)] == [2, 2, 4, 15, 30]
    outage.seen_up()
    outage.seen_down(now=700.0)
    assert outage.retry_after(now=701.0) == RETRY_AFTER_MIN_SECONDS


def test_a_real_outage_answers_a_short_retry_after_then_resets_once_the_database_answers(
        committed_cast, api_error_middleware):
    database_outage.seen_up()
    client = AgentClient(committed_cast.office_a, "bk_token-does-not-matter", raise_request_exception=False)
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_dead_port()))
    try:
        first = client.api_get("config")
        database_outage.since -= 58  # the same outage, about a minute on (58 s + this test's own: ceil(~58.1 / 4))
        later = client.api_get("config")
    finally:
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)
    assert (first.status_code, first["Retry-After"]) == (503, str(RETRY_AFTER_MIN_SECONDS))
    assert (later.status_code, later["Retry-After"]) == (503, "15")
    assert client.api_get("config").status_code == 401  # the database answered (an unknown token)
    assert database_outage.since is None


def test_a_503_of_unknown_cause_gets_the_longest_retry_after(rf):
    response = AgentApiErrorMiddleware(lambda request: HttpResponse("busy", status=503))(rf.get(API + "config"))
    assert_problem(response, 503, "service_unavailable")
    assert response["Retry-After"] == str(RETRY_AFTER_MAX_SECONDS)


def test_a_database_outage_is_logged_as_one_warning_per_request_not_an_error(committed_cast, api_error_middleware):
    records: list[logging.LogRecord] = []
    handler = logging.Handler()
    handler.emit = records.append
    logger = logging.getLogger("django.request")
    logger.addHandler(handler)
    client = AgentClient(committed_cast.office_a, "bk_token-does-not-matter", raise_request_exception=False)
    original = dict(connection.settings_dict)
    connection.close()
    connection.settings_dict.update(HOST="127.0.0.1", PORT=str(_dead_port()))
    try:
        response = client.api_get("config")
    finally:
        logger.removeHandler(handler)
        connection.close()
        connection.settings_dict.clear()
        connection.settings_dict.update(original)
    assert_problem(response, 503, "service_unavailable")
    shown = [(r.levelname, r.getMessage(), r.exc_info) for r in records]  # what passed the logger's filters
    # One warning (where the outage struck decides its wording: before the view, or in it), no traceback.
    assert [(level, exc) for level, _message, exc in shown] == [("WARNING", None)]
    assert "/api/agent/v1/config" in shown[0][1]


def test_an_unknown_office_host_is_a_404_problem(db, api_error_middleware):
    client = AgentClient(None, "bk_x")
    client.defaults["HTTP_HOST"] = "no-such-office.localhost"
    response = client.get(API + "config")
    assert_problem(response, 404, "not_found")


def test_the_public_host_has_no_agent_api(db, api_error_middleware, public_client):
    assert_problem(public_client.get(API + "config"), 404, "not_found")


def test_non_api_paths_are_left_alone(cast, office_client, api_error_middleware):
    response = office_client(cast.office_a).get("/no-such-page/")
    assert response.status_code == 404
    assert not response["Content-Type"].startswith("application/problem+json")


def test_only_the_office_host_decides_the_office(cast, agent_client):
    """The agent of office A posting to office B's host is refused; nothing lands in either office."""
    client = agent_client(cast.office_a)
    _agent, b_token = make_agent(cast.office_b)
    on_b = AgentClient(cast.office_b, client.token)
    assert_problem(on_b.api_post("batches", batch(make_nip(702))), 401, "invalid_token")
    for office in (cast.office_a, cast.office_b):
        with AgentClient(office, b_token).in_office():
            assert not Company.objects.filter(nip=make_nip(702)).exists()


def test_an_unreachable_cache_does_not_take_the_api_down(cast, agent_client, settings):
    """The rate limit fails open: a real Redis cache on a closed port, every request still served."""
    settings.CACHES = {"default": {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": f"redis://127.0.0.1:{_dead_port()}/0",
        "KEY_FUNCTION": "django_tenants.cache.make_key",
        "REVERSE_KEY_FUNCTION": "django_tenants.cache.reverse_key",
    }}
    settings.AGENT_API_RATE_LIMIT_PER_MINUTE = 1
    client = agent_client(cast.office_a)
    assert [client.api_get("config").status_code for _ in range(3)] == [200, 200, 200]


def many(companies: int, taxes: int) -> dict:
    return {"program": {"code": "optima"}, "companies": [
        {"nip": make_nip(7400 + i), "name": f"Firma {i}",
         "taxes": [{"period": f"20{10 + j // 12:02d}-{j % 12 + 1:02d}", "type": "VAT-7", "amount": "1"}
                   for j in range(taxes)]} for i in range(companies)]}


def test_batch_maxima_are_in_config_and_a_batch_over_them_is_413_naming_the_limit(cast, agent_client, settings):
    settings.AGENT_API_MAX_COMPANIES_PER_BATCH = 3
    settings.AGENT_API_MAX_FIGURES_PER_BATCH = 100
    client = agent_client(cast.office_a)
    limits = orjson.loads(client.get(f"{API}config").content)["limits"]
    assert limits["max_companies_per_batch"] == 3 and limits["max_figures_per_batch"] == 100
    with client.in_office():
        before = Company.objects.count()
    too_many_companies = client.api_post("batches", many(4, 1))
    body = assert_problem(too_many_companies, 413, "batch_too_large")
    assert body["limit"] == {"name": "max_companies_per_batch", "value": 3} and "3" in body["detail"]
    too_many_figures = client.api_post("batches", many(2, 51))  # 102 figures
    body = assert_problem(too_many_figures, 413, "batch_too_large")
    assert body["limit"] == {"name": "max_figures_per_batch", "value": 100} and "102" in body["detail"]
    with client.in_office():
        assert Company.objects.count() == before
    # exactly at the maxima: applied
    assert client.api_post("batches", many(2, 50)).status_code == 200


def test_a_body_the_client_stopped_sending_is_a_warning_and_a_400_not_an_internal_error(caplog):
    """What gunicorn's waiting budget (portal/gunicorn_conf.py) leaves the view when it cuts a slow client off."""
    response = api_exception_handler(UnreadablePostError("client too slow: cut off"), {})
    assert_problem(response, 400, "invalid_body")
    assert [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "sync.api"] == [
        ("WARNING", "agent API: the request body could not be read: client too slow: cut off")]
