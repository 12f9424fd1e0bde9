import logging

from portal.logging import ContextFilter, JsonFormatter


def test_public_host_serves_the_landing_page(public_client):
    response = public_client.get("/")
    assert response.status_code == 200
    assert "Biurko" in response.content.decode()


def test_an_office_host_serves_that_office(office_client, cast):
    response = office_client(cast.office_a).get("/accounts/login/")
    assert response.status_code == 200
    assert cast.office_a.name in response.content.decode()
    assert cast.office_b.name not in response.content.decode()


def test_an_unknown_office_host_is_404_not_the_public_site(client, db):
    response = client.get("/", HTTP_HOST="no-such-office.localhost")
    assert response.status_code == 404
    assert "no-such-office.localhost" in response.content.decode()


def test_a_deactivated_office_is_not_served(office_client, cast):
    cast.office_b.__class__.objects.filter(pk=cast.office_b.pk).update(is_active=False)
    response = office_client(cast.office_b).get("/accounts/login/")
    assert response.status_code == 404


def test_a_host_outside_the_base_domain_is_refused(client, db):
    response = client.get("/", HTTP_HOST="evil.example.com")
    assert response.status_code in (400, 404)


def test_every_response_carries_a_request_id(public_client):
    first = public_client.get("/")["X-Request-ID"]
    second = public_client.get("/")["X-Request-ID"]
    assert len(first) == 32 and first != second


def test_a_safe_incoming_request_id_is_kept_and_an_unsafe_one_replaced(public_client):
    assert public_client.get("/", HTTP_X_REQUEST_ID="lb-1234abcd")["X-Request-ID"] == "lb-1234abcd"
    assert public_client.get("/", HTTP_X_REQUEST_ID="bad\nid injected")["X-Request-ID"] != "bad\nid injected"


def test_log_lines_carry_the_office_and_the_request_id(office_client, cast, caplog):
    caplog.handler.addFilter(ContextFilter())
    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = office_client(cast.office_a).get("/no-such-page/", HTTP_X_REQUEST_ID="req-abcdef12")
    assert response.status_code == 404
    record = next(r for r in caplog.records if r.name == "django.request")
    assert record.office == cast.office_a.schema_name
    assert record.request_id == "req-abcdef12"
    line = JsonFormatter().format(record)
    assert '"office": "office_alpha"' in line and '"request_id": "req-abcdef12"' in line
