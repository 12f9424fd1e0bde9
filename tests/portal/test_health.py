import logging

import pytest

from portal.celery import app


def test_healthz_reports_database_and_broker(public_client):
    response = public_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"database": "ok", "broker": "ok", "status": "ok"}
    assert response["Cache-Control"] == "no-store"


def test_healthz_answers_on_any_host_for_load_balancers(client, db):
    response = client.get("/healthz", HTTP_HOST="10.0.0.7:8000")
    assert response.status_code == 200


@pytest.fixture
def unreachable_broker():
    # broker_write_url is what connection_for_write() uses; it is fixed once a broker URL was configured.
    original = (app.conf.broker_url, app.conf.broker_write_url, app.conf.broker_transport_options)
    app.conf.broker_url = app.conf.broker_write_url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    app.conf.broker_transport_options = {}
    yield
    app.conf.broker_url, app.conf.broker_write_url, app.conf.broker_transport_options = original


def test_healthz_is_503_when_the_broker_is_unreachable(public_client, unreachable_broker, caplog):
    with caplog.at_level(logging.ERROR):
        response = public_client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["status"] == "error"
    assert body["broker"] == "error"
    assert body["database"] == "ok"
    assert "health check failed" in caplog.text
