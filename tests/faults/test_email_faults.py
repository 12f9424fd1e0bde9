"""Experiments on e-mail delivery (issue "Faults without losses", finding 2): SMTP is the one channel that
cannot be asked afterwards whether a message arrived, so nothing may be dropped on the way.

1. The SMTP server (the local aiosmtpd peer) is down while an approval queues ``PEOPLE`` e-mails, for
   ``OUTAGE_SECONDS``, then back; the beat (``dispatch_office``) runs every ``BEAT_SECONDS``. Asserted:
   every e-mail arrives exactly once, all rows ``sent``. Reported: time from SMTP back to all delivered.
2. ``kill -9`` of the Celery worker in the middle of a bulk send of ``PEOPLE`` e-mails (one e-mail is
   mid-DATA at the kill: that copy never arrives), then a new worker and the beat. Asserted: every person
   gets the e-mail; a second copy exists only as a marked resend (``X-Biurko-Resend``, same ``Message-ID``);
   the resent rows say so. Reported: time from the new worker ready to all delivered.
"""

import collections
import time

import pytest
from django.conf import settings
from django_tenants.utils import schema_context

from clients.messaging.models import Channel, Message, Status
from clients.messaging.services import queue_summary
from clients.messaging.tasks import dispatch_office
from clients.messaging.transports import RESEND_HEADER
from tests.faults.test_postgres_restart import record

pytestmark = pytest.mark.faults
PEOPLE = 30
OUTAGE_SECONDS = 10
BEAT_SECONDS = 5
KILL_AFTER = 10  # e-mails delivered before the worker is killed (the next one hangs in DATA)


def beat_until(f, smtp, count: int, timeout: float = 180) -> float:
    """Publishes ``dispatch_office`` every ``BEAT_SECONDS`` until ``count`` e-mails arrived; the time taken."""
    started = time.monotonic()
    next_beat = started
    while len(smtp.messages) < count and time.monotonic() < started + timeout:
        if time.monotonic() >= next_beat:
            with schema_context(f.office.schema_name):
                dispatch_office.apply_async(queue=settings.MESSAGING_QUEUE)
            next_beat += BEAT_SECONDS
        time.sleep(0.05)
    return time.monotonic() - started


def email_statuses(f) -> list[str]:
    with schema_context(f.office.schema_name):
        return list(Message.objects.filter(company=f.company, channel=Channel.EMAIL).values_list("status", flat=True))


def test_smtp_down_during_an_approval_then_every_email_arrives_once(peers, make_company, worker):
    _twilio, smtp = peers
    f = make_company(people=PEOPLE, sms=False)
    smtp.stop()
    try:
        with schema_context(f.office.schema_name):
            assert queue_summary(f.company, f.period)
        time.sleep(OUTAGE_SECONDS)  # every e-mail is attempted and retried meanwhile (connection refused)
        with schema_context(f.office.schema_name):
            attempts = sorted(Message.objects.filter(company=f.company).values_list("attempts", flat=True))
    finally:
        smtp.start()
    delivered_after = beat_until(f, smtp, PEOPLE)
    time.sleep(2)  # nothing more arrives
    addresses = collections.Counter(str(m["To"]) for m in smtp.messages)
    assert sorted(addresses) == sorted(p.email for p in f.people) and set(addresses.values()) == {1}, addresses
    assert set(email_statuses(f)) == {Status.SENT}
    record("smtp_outage", {
        "outage_s": OUTAGE_SECONDS, "beat_every_s": BEAT_SECONDS, "emails": PEOPLE,
        "attempts_during_outage": [attempts[0], attempts[-1]],
        "smtp_back_to_all_delivered_s": round(delivered_after, 2)})


def test_worker_killed_during_a_bulk_email_send_then_every_email_arrives(peers, make_company, worker_pool, settings):
    _twilio, smtp = peers
    smtp.script.extend([None] * KILL_AFTER + [("hang", 10)])
    settings.MESSAGING_QUEUE = own_queue = f"{settings.MESSAGING_QUEUE}-bulk-kill"  # away from the session's worker
    victim = worker_pool.start("bulk-victim", queue=own_queue)
    f = make_company(people=PEOPLE, sms=False)
    with schema_context(f.office.schema_name):
        assert queue_summary(f.company, f.period)
    assert smtp.received.wait(60), victim.log_file.read_text()[-2000:]
    victim.kill()
    worker_pool.running.remove(victim)
    before_kill = len(smtp.messages)
    in_flight = email_statuses(f).count(Status.SENDING)
    time.sleep(1.2)  # MESSAGING_EMAIL_RESEND_AFTER in the tests: 1 s
    rescuer = worker_pool.start("bulk-rescuer", queue=own_queue)
    try:
        delivered_after = beat_until(f, smtp, PEOPLE)
        deadline = time.monotonic() + 30
        while set(email_statuses(f)) != {Status.SENT} and time.monotonic() < deadline:
            time.sleep(0.2)
    finally:
        rescuer.stop()
        worker_pool.running.remove(rescuer)
    copies = collections.defaultdict(list)
    for mail in smtp.messages:
        copies[str(mail["To"])].append(mail)
    assert sorted(copies) == sorted(p.email for p in f.people)  # nobody is left without the summary
    for mails in copies.values():
        assert all(m[RESEND_HEADER] for m in mails[1:]), "a second copy only as a marked resend"
        assert len({m["Message-ID"] for m in mails}) == 1
    assert set(email_statuses(f)) == {Status.SENT}
    with schema_context(f.office.schema_name):
        resent = Message.objects.filter(company=f.company, resends__gt=0)
        assert resent.exists() and all(m.reason.startswith("Sent again") for m in resent)
        resent_count = resent.count()
    record("worker_killed_during_bulk_email", {
        "emails": PEOPLE, "delivered_before_kill": before_kill, "sending_at_kill": in_flight,
        "resent": resent_count, "duplicates_marked": sum(len(m) - 1 for m in copies.values()),
        "worker_back_to_all_delivered_s": round(delivered_after, 2)})
