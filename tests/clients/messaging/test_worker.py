"""Real Celery workers (subprocesses on the test database and this run's own queue) against the peers.

Works on whatever broker the suite runs with: Redis or RabbitMQ (CELERY_BROKER_URL) or, with none,
kombu's filesystem transport.
"""

import datetime
import time

import pytest
from django.conf import settings
from django.utils import timezone
from django_tenants.utils import schema_context

from clients.messaging import dispatch
from clients.messaging.models import Channel, Message, Status
from clients.messaging.services import queue_summary, resend_message
from clients.messaging.tasks import dispatch_office, send_message
from clients.messaging.transports import RESEND_HEADER, message_id_header
from sync.ingest import apply_batch
from tests.clients import batches as b
from tests.clients.messaging.peers import wait_for
from tests.clients.messaging.test_callbacks import post_callback

pytestmark = pytest.mark.slow


def statuses(f) -> list[str]:
    with schema_context(f.office.schema_name):
        return list(Message.objects.filter(company=f.company).order_by("pk").values_list("status", flat=True))


def all_settled(f, count: int):
    def check():
        current = statuses(f)
        return len(current) == count and all(s in (Status.SENT, Status.DELIVERED, Status.FAILED) for s in current)
    return check


def publish(f, message_ids, times: int = 1):
    with schema_context(f.office.schema_name):
        for _ in range(times):
            for pk in message_ids:
                send_message.apply_async((pk,), queue=settings.MESSAGING_QUEUE)


def test_approval_with_summary_sends_exactly_one_email_and_one_sms_per_person(peers, make_company, worker):
    twilio, smtp = peers
    f = make_company(people=2, approve=False, vat="1000")
    with schema_context(f.office.schema_name):
        # the agent posts the month again, approved, asking for the summary (twice: a retried batch)
        data = b.company(0, f.company.nip, taxes=[b.tax(0, "2026-01", "VAT-7", "1234.50")])
        apply_batch(b.batch(data, approve=True, send_summary=True), None)
        apply_batch(b.batch(data, approve=True, send_summary=True), None)
        ids = list(Message.objects.filter(company=f.company).values_list("pk", flat=True))
    assert len(ids) == 4
    wait_for(all_settled(f, 4), message="4 messages sent")
    publish(f, ids, times=2)  # the broker delivers every task again, twice
    time.sleep(1.0)
    assert statuses(f) == [Status.SENT] * 4
    for person in f.people:
        [mail] = smtp.to(person.email)
        assert "1 234,50 zł" in mail.get_body(("plain",)).get_content()
        assert [p.get_content_type() for p in mail.iter_attachments()] == ["application/pdf"]
        [text] = twilio.bodies_to(person.phone)
        assert "VAT-7 1 234,50 zl" in text
    assert len(smtp.messages) == 2 and len(twilio.messages) == 2


def test_two_workers_and_repeated_tasks_send_each_message_once(peers, make_company, worker, worker_pool):
    twilio, smtp = peers
    second = worker_pool.start("second")
    try:
        f = make_company(people=10, email=False)
        with schema_context(f.office.schema_name):
            queue_summary(f.company, f.period)
            ids = list(Message.objects.filter(company=f.company).values_list("pk", flat=True))
        publish(f, ids, times=3)
        wait_for(all_settled(f, 10), message="10 SMS sent")
        time.sleep(1.0)
        assert statuses(f) == [Status.SENT] * 10
        assert sorted(m["to"] for m in twilio.messages) == sorted(p.phone for p in f.people)
    finally:
        second.stop()
        worker_pool.running.remove(second)


def test_provider_errors_500_three_times_then_201_give_one_delivered_message(peers, make_company, worker):
    twilio, _smtp = peers
    twilio.script.extend([500, 503, 429])
    f = make_company(email=False)
    with schema_context(f.office.schema_name):
        queue_summary(f.company, f.period)
        message = Message.objects.get(company=f.company)
    wait_for(all_settled(f, 1), message="SMS sent after retries")
    with schema_context(f.office.schema_name):
        message.refresh_from_db()
    assert message.status == Status.SENT and message.attempts == 4 and twilio.requests == 4
    assert len(twilio.messages) == 1
    # Twilio's delivery report, signed, to the URL it was given
    post_callback(f.office, message.pk, {"MessageSid": message.provider_id, "MessageStatus": "delivered"})
    assert statuses(f) == [Status.DELIVERED]


def test_provider_down_nothing_lost_nothing_duplicated_once_back(peers, make_company, worker):
    twilio, _smtp = peers
    f = make_company(people=3, email=False)
    twilio.stop()  # connection refused
    try:
        with schema_context(f.office.schema_name):
            queue_summary(f.company, f.period)
        wait_for(lambda: _min_attempts(f) >= 3, timeout=30, message="three attempts each")
        assert set(statuses(f)) <= {Status.QUEUED, Status.SENDING}
    finally:
        twilio.start()
    # retries already scheduled go out; the beat's sweep is the safety net for any lost on the way
    deadline = time.monotonic() + 40
    while not all_settled(f, 3)() and time.monotonic() < deadline:
        with schema_context(f.office.schema_name):
            dispatch_office.apply_async(queue=settings.MESSAGING_QUEUE)
        time.sleep(1.0)
    assert statuses(f) == [Status.SENT] * 3
    assert sorted(m["to"] for m in twilio.messages) == sorted(p.phone for p in f.people)


def _min_attempts(f) -> int:
    with schema_context(f.office.schema_name):
        return min(Message.objects.filter(company=f.company).values_list("attempts", flat=True))


def test_worker_killed_mid_send_is_reconciled_not_resent(peers, make_company, worker_pool, settings):
    twilio, _smtp = peers
    twilio.script.append(("hang", 4))  # Twilio takes the message but answers slowly
    settings.MESSAGING_QUEUE = own_queue = f"{settings.MESSAGING_QUEUE}-kill"  # away from the session's worker
    victim = worker_pool.start("victim", queue=own_queue)
    f = make_company(email=False)
    with schema_context(f.office.schema_name):
        queue_summary(f.company, f.period)
        message = Message.objects.get(company=f.company)
    assert twilio.received.wait(30), victim.log()[-2000:]
    victim.kill()
    worker_pool.running.remove(victim)
    assert statuses(f) == [Status.SENDING]
    time.sleep(1.2)  # MESSAGING_SENDING_TIMEOUT in the tests: 1 s
    rescuer = worker_pool.start("rescuer", queue=own_queue)
    try:
        with schema_context(f.office.schema_name):
            dispatch_office.apply_async(queue=settings.MESSAGING_QUEUE)  # what the beat does every 30 s
        wait_for(lambda: statuses(f) == [Status.SENT], timeout=30, message="reconciled")
    finally:
        rescuer.stop()
        worker_pool.running.remove(rescuer)
    with schema_context(f.office.schema_name):
        message.refresh_from_db()
    assert len(twilio.messages) == 1 and message.provider_id == twilio.messages[0]["sid"]
    assert "Found at the provider" in message.reason


def test_worker_killed_mid_email_is_sent_again_with_the_same_message_id(peers, make_company, worker_pool, settings):
    """SMTP cannot be asked whether an e-mail arrived: one whose worker died is sent again, marked, same id."""
    _twilio, smtp = peers
    smtp.script.append(("hang", 3))  # the worker is killed in the middle of DATA: that copy never arrives
    settings.MESSAGING_QUEUE = own_queue = f"{settings.MESSAGING_QUEUE}-kill"
    victim = worker_pool.start("victim", queue=own_queue)
    f = make_company(sms=False)
    with schema_context(f.office.schema_name):
        queue_summary(f.company, f.period)
        message = Message.objects.get(company=f.company, channel=Channel.EMAIL)
    assert smtp.received.wait(30), victim.log()[-2000:]
    victim.kill()
    worker_pool.running.remove(victim)
    assert statuses(f) == [Status.SENDING]
    time.sleep(1.2)  # MESSAGING_EMAIL_RESEND_AFTER in the tests: 1 s
    rescuer = worker_pool.start("rescuer", queue=own_queue)
    try:
        with schema_context(f.office.schema_name):
            dispatch_office.apply_async(queue=settings.MESSAGING_QUEUE)  # what the beat does every 30 s
        wait_for(lambda: statuses(f) == [Status.SENT], timeout=30, message="sent again")
    finally:
        rescuer.stop()
        worker_pool.running.remove(rescuer)
    with schema_context(f.office.schema_name):
        message.refresh_from_db()
        expected_id = message_id_header(message)
    [mail] = smtp.to(f.people[0].email)
    assert mail["Message-ID"] == expected_id and mail[RESEND_HEADER] == "1"
    assert message.resends == 1 and message.reason.startswith("Sent again (1×)")


def test_email_of_unknown_fate_is_resent_at_most_twice_then_waits_for_a_person(peers, make_company):
    _twilio, smtp = peers
    f = make_company(sms=False)
    with schema_context(f.office.schema_name):
        queue_summary(f.company, f.period)
        message = Message.objects.get(company=f.company, channel=Channel.EMAIL)
        for _ in range(dispatch.MAX_AUTOMATIC_RESENDS):  # lost again and again (SMTP broke off, worker died)
            Message.objects.filter(pk=message.pk).update(status=Status.UNKNOWN,
                                                         claimed_at=timezone.now() - datetime.timedelta(minutes=1))
            assert dispatch.reconcile()["resent"] == 1
            assert dispatch.send(message.pk) == "sent"
        Message.objects.filter(pk=message.pk).update(status=Status.UNKNOWN,
                                                     claimed_at=timezone.now() - datetime.timedelta(minutes=1))
        assert dispatch.reconcile()["resent"] == 0
        message.refresh_from_db()
        assert message.status == Status.UNKNOWN and "Send again" in message.reason
        assert resend_message(message) and dispatch.send(message.pk) == "sent"
        message.refresh_from_db()
    assert message.resends == dispatch.MAX_AUTOMATIC_RESENDS + 1
    assert [m[RESEND_HEADER] for m in smtp.to(f.people[0].email)] == ["1", "2", "3"]


def test_lost_before_reaching_the_provider_is_sent_once_after_reconciling(peers, make_company, shared_worker):
    """The worker died after claiming, before Twilio heard of it: the provider has nothing, so it is resent.

    A worker is running (``shared_worker``) and must not take this test's message: the test publishes to its
    own queue."""
    twilio, _smtp = peers
    f = make_company(email=False)
    with schema_context(f.office.schema_name):
        queue_summary(f.company, f.period)
        message = Message.objects.get(company=f.company, channel=Channel.SMS)
        # a claim with no send after it: exactly what a worker killed between the two leaves behind
        Message.objects.filter(pk=message.pk).update(status=Status.SENDING,
                                                     claimed_at=message.created_at - datetime.timedelta(minutes=1))
        assert dispatch.reconcile() == {"lost": 1, "found": 0, "requeued": 1, "resent": 0}
        assert dispatch.send(message.pk) == "sent"
        assert dispatch.reconcile() == {"lost": 0, "found": 0, "requeued": 0, "resent": 0}
    assert len(twilio.messages) == 1
