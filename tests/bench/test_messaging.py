"""The outbox's speed against the local peers (fake Twilio over HTTP, aiosmtpd), with real Celery workers.

1. Throughput: messages per second per worker (solo pool, one process), SMS only and e-mail only, to
   the 100 people of one company (so the month's PDF is rendered once per worker process and then
   cached; its cost per company is measured on its own). Baseline in the same run: the same sends done
   in-process, one after another (``dispatch.send``), which is the worker minus the broker round trips.
2. Latency: from "approve with summary" (``approve_company_period`` + ``queue_summary``, undo window 0)
   to the e-mail arriving at the SMTP server, one company per sample.

Run: ``python3 dev.py bench -k messaging``.
"""

import time

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from clients.approval import approve_company_period
from clients.messaging import dispatch
from clients.messaging.models import Message, Status
from clients.messaging.services import queue_summary
from clients.messaging.tasks import send_message
from clients.pdf import render_month_pdf
from offices.accounts.models import OfficeSettings, User
from tests.bench.conftest import timed
from tests.clients.messaging.conftest import (  # noqa: F401 - fixtures
    fake_twilio,
    make_company,
    office_a_committed,
    peers,
    smtp_sink,
    worker_pool,
)
from tests.clients.messaging.peers import wait_for

pytestmark = pytest.mark.bench

N_PEOPLE = 100


def _queued_ids(f, channel):
    with schema_context(f.office.schema_name):
        return list(Message.objects.filter(company=f.company, channel=channel).values_list("pk", flat=True))


def _settled(f, ids):
    with schema_context(f.office.schema_name):
        return not Message.objects.filter(pk__in=ids).exclude(status__in=[Status.SENT, Status.FAILED]).exists()


def _hold(f, channel):
    """Queue the summary with the messages held back (send_at in the future) so timing starts at publish."""
    with schema_context(f.office.schema_name):
        OfficeSettings.objects.filter(singleton=1).update(undo_window_minutes=60)
        queue_summary(f.company, f.period)
        OfficeSettings.objects.filter(singleton=1).update(undo_window_minutes=0)
    return _queued_ids(f, channel)


def _release_and_publish(f, ids):
    with schema_context(f.office.schema_name):
        Message.objects.filter(pk__in=ids).update(send_at=time_now())
        started = time.perf_counter()
        for pk in ids:
            send_message.apply_async((pk,), queue=settings.MESSAGING_QUEUE)
    return started


def time_now():
    return timezone.now()


def test_messaging_throughput_and_latency(peers, make_company, worker_pool, bench_report):  # noqa: F811
    twilio, smtp = peers
    report = bench_report("messaging")
    report.note(f"broker: {settings.CELERY_BROKER_URL.split('://')[0]}; worker: solo pool, 1 process; "
                f"{N_PEOPLE} people per run")

    # --- the month's PDF, rendered once per company and month per worker process (then cached)

    f = make_company(people=1)
    with schema_context(f.office.schema_name):
        report.add("render_month_pdf (WeasyPrint), one company", [timed(render_month_pdf, f.company, f.period)
                                                                   for _ in range(5)])

    # --- baseline: in-process sends, no broker
    for channel in ("sms", "email"):
        f = make_company(people=N_PEOPLE, sms=channel == "sms", email=channel == "email")
        ids = _hold(f, channel)
        with schema_context(f.office.schema_name):
            Message.objects.filter(pk__in=ids).update(send_at=time_now())
            started = time.perf_counter()
            outcomes = [dispatch.send(pk) for pk in ids]
            elapsed = time.perf_counter() - started
        assert outcomes == ["sent"] * len(ids)
        report.add(f"in-process {channel}: {len(ids)} messages", [elapsed],
                   messages_per_s=round(len(ids) / elapsed, 1))

    # --- one worker, then two
    for workers in (1, 2):
        running = [worker_pool.start(f"bench{workers}-{i}") for i in range(workers)]
        try:
            for channel in ("sms", "email"):
                f = make_company(people=N_PEOPLE, sms=channel == "sms", email=channel == "email")
                ids = _hold(f, channel)
                started = _release_and_publish(f, ids)
                wait_for(lambda f=f, ids=ids: _settled(f, ids), timeout=600, interval=0.02,
                         message=f"{channel} sent")
                elapsed = time.perf_counter() - started
                rate = len(ids) / elapsed
                report.add(f"{workers} worker(s) {channel}: {len(ids)} messages", [elapsed],
                           messages_per_s=round(rate, 1), messages_per_s_per_worker=round(rate / workers, 1))
        finally:
            for worker in running:
                worker.stop()
                worker_pool.running.remove(worker)
    assert len(twilio.messages) == 3 * N_PEOPLE and len(smtp.messages) == 3 * N_PEOPLE

    # --- approval → e-mail at the SMTP server
    worker = worker_pool.start("latency")
    try:
        samples = []
        for i in range(15):
            f = make_company(people=1, sms=False, approve=False)
            smtp.reset()
            with schema_context(f.office.schema_name):
                alice = User.objects.get(email="alice@alpha.test")
                started = time.time()  # the SMTP sink stamps arrivals with time.time()
                approve_company_period(f.company, f.period, by_user=alice)
                queue_summary(f.company, f.period)
            wait_for(lambda: smtp.messages, timeout=60, interval=0.005, message=f"e-mail {i} arrived")
            samples.append(smtp.inbox.arrived_at[0] - started)
        report.add("approve with summary -> e-mail at the SMTP server", samples)
    finally:
        worker.stop()
        worker_pool.running.remove(worker)
