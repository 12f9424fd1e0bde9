"""Experiment: the broker (the suite's own redis-server, nothing persisted) is stopped while an approval
queues 20 SMS, kept down ``OUTAGE_SECONDS``, started again.

Asserted: the approval returns although the broker is down (the rows wait in the outbox); every SMS reaches
the provider exactly once after the broker is back, with the beat's ``dispatch_office`` published every
``BEAT_SECONDS`` (production: 30 s). Reported: how long the approval took with the broker down, and the
time from the broker back to the last SMS at the provider (var/faults/results.json).
"""

import os
import subprocess
import time

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from clients.messaging.models import Message, Status
from clients.messaging.services import queue_summary
from clients.messaging.tasks import dispatch_office
from tests.faults.test_postgres_restart import record

pytestmark = pytest.mark.faults
OUTAGE_SECONDS = 5
BEAT_SECONDS = 10
PEOPLE = 20


def redis(*args: str) -> None:
    port = os.environ["FAULTS_REDIS_PORT"]
    if args == ("stop",):
        subprocess.run(["redis-cli", "-p", port, "shutdown", "nosave"], check=False, capture_output=True)
    else:
        directory = os.environ["FAULTS_DIR"]
        subprocess.run(["redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                        "--daemonize", "yes", "--pidfile", f"{directory}/redis.pid", "--dir", directory,
                        "--logfile", f"{directory}/redis.log"], check=True)
        deadline = time.monotonic() + 10
        while subprocess.run(["redis-cli", "-p", port, "ping"], capture_output=True).stdout.strip() != b"PONG":
            assert time.monotonic() < deadline, "redis did not start"
            time.sleep(0.05)


def test_broker_down_during_an_approval_then_every_sms_goes_out_once(peers, make_company, worker):
    if "FAULTS_REDIS_PORT" not in os.environ:
        pytest.skip("run by tests/faults/run.sh, with its own redis-server")
    twilio, _smtp = peers
    f = make_company(people=PEOPLE, email=False)
    redis("stop")
    try:
        started = time.monotonic()
        with schema_context(f.office.schema_name):
            assert queue_summary(f.company, f.period)
        approval_seconds = time.monotonic() - started
        time.sleep(OUTAGE_SECONDS)
    finally:
        redis("start")
    back = time.monotonic()
    deadline = back + 180
    next_beat = back
    while len(twilio.messages) < PEOPLE and time.monotonic() < deadline:
        if time.monotonic() >= next_beat:
            try:
                with schema_context(f.office.schema_name):
                    dispatch_office.apply_async(queue=settings.MESSAGING_QUEUE)
            except Exception:  # noqa: BLE001,S110 - the broker may refuse a moment longer: next beat
                pass
            next_beat += BEAT_SECONDS
        time.sleep(0.1)
    delivered_after = time.monotonic() - back
    time.sleep(2)  # nothing more arrives
    assert sorted(m["to"] for m in twilio.messages) == sorted(p.phone for p in f.people)
    with schema_context(f.office.schema_name):
        assert set(Message.objects.filter(company=f.company).values_list("status", flat=True)) == {Status.SENT}
    record("broker_down_during_approval", {
        "outage_s": OUTAGE_SECONDS, "beat_every_s": BEAT_SECONDS, "sms": PEOPLE,
        "approval_with_broker_down_s": round(approval_seconds, 3),
        "broker_back_to_all_delivered_s": round(delivered_after, 2)})
