"""The broker is not the queue of record: a broker that is down never holds up an approval, and tasks the
broker lost go out again at the next beat (clients/messaging/dispatch.py).

Works on whatever broker the suite runs with (Redis, RabbitMQ or kombu's filesystem transport); the "down"
broker is a local TCP port that accepts and hangs up, counting the attempts.
"""

import datetime
import socket
import threading
import time

import pytest
from django.db import transaction
from django.utils import timezone
from django_tenants.utils import schema_context

from clients.messaging import broker, dispatch
from clients.messaging.models import Message, Status
from clients.messaging.services import queue_summary
from clients.messaging.tasks import send_message


class HangingUpBroker:
    """A port where a broker should be: every connection is accepted and closed at once (counted)."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.connections = 0
        self.url = f"redis://127.0.0.1:{self.sock.getsockname()[1]}/0"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _addr = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            conn.close()

    def close(self):
        self.sock.close()


@pytest.fixture
def broker_down(monkeypatch):
    """The Celery app pointed at a broker that hangs up, for the test; the real one restored after (and the
    process's "broker down" pause forgotten, as it would be a few seconds later)."""
    monkeypatch.setattr(broker, "_broker_down_until", 0.0)
    app = send_message.app
    saved = app.conf.broker_url, app.conf.broker_write_url, app.conf.broker_transport_options
    down = HangingUpBroker()

    def point_at(url, write_url, options):
        app.conf.broker_url, app.conf.broker_write_url, app.conf.broker_transport_options = url, write_url, options
        app._pool = None  # noqa: SLF001 - Celery caches the connection pool of the first broker URL
        app.amqp._producer_pool = None  # noqa: SLF001 - and the producers bound to it

    point_at(down.url, None, {})
    # Celery reads CELERY_BROKER_URL from the environment before its configuration (CI sets it).
    monkeypatch.setenv("CELERY_BROKER_URL", down.url)
    monkeypatch.delenv("CELERY_BROKER_WRITE_URL", raising=False)
    try:
        yield down
    finally:
        monkeypatch.undo()
        point_at(*saved)
        down.close()


def _queued_rows(fixtures):
    with schema_context(fixtures[0].office.schema_name):
        return list(Message.objects.filter(company__in=[f.company for f in fixtures])
                    .values_list("status", "enqueued_at"))


def test_with_the_broker_down_an_approval_tries_it_once_and_the_beat_publishes_later(peers, make_company,
                                                                                     broker_down, monkeypatch):
    monkeypatch.setattr(broker, "BROKER_PAUSE_SECONDS", 0.5)
    companies = [make_company(email=False) for _ in range(5)]
    with schema_context(companies[0].office.schema_name):
        with transaction.atomic():  # one approval of five companies: five publishes after the commit
            for f in companies:
                assert queue_summary(f.company, f.period)
    # One refused connection, not five companies × Celery's publish retries; the rows wait in the outbox.
    assert broker_down.connections == 1
    assert _queued_rows(companies) == [(Status.QUEUED, None)] * 5
    time.sleep(0.6)
    with schema_context(companies[0].office.schema_name), pytest.raises(broker.BrokerUnavailableError):
        dispatch.dispatch_due()  # the beat while the broker is still down: nothing marked as published
    assert _queued_rows(companies) == [(Status.QUEUED, None)] * 5


def test_tasks_the_broker_lost_are_published_again_at_the_next_beat(peers, make_company, settings):
    f = make_company(email=False)
    with schema_context(f.office.schema_name):
        queue_summary(f.company, f.period)  # published to this test's queue, which no worker consumes
        message = Message.objects.get(company=f.company)
        assert message.enqueued_at is not None and broker.tasks_on_broker() == 1
        half_a_minute_ago = timezone.now() - datetime.timedelta(seconds=30)
        Message.objects.filter(pk=message.pk).update(enqueued_at=half_a_minute_ago)
        # still on the broker: left alone (no flood of repeats while a worker is busy)
        assert dispatch.dispatch_due()["published"] == 0
        # the broker restarts empty (or a worker's reserved task was dropped with its connection)
        with send_message.app.connection_for_write() as conn:
            conn.default_channel.queue_purge(settings.MESSAGING_QUEUE)
        assert broker.tasks_on_broker() == 0
        assert dispatch.dispatch_due()["published"] == 1
        assert broker.tasks_on_broker() == 1
        assert dispatch.send(message.pk) == "sent"

