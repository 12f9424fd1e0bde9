"""Sending: the one entry point (``send``), the beat's sweep (``dispatch_due``) and reconciliation.

``send(message_id)`` claims the row (QUEUED → SENDING, one conditional UPDATE, so of two workers
exactly one wins), hands it to its transport and records the outcome. The row always says where a
message is; the broker only carries "look at message 42" and may lose or repeat that freely:

- a repeated task finds the row no longer QUEUED and does nothing;
- a lost task (broker restart, worker killed) leaves the row QUEUED or SENDING; the beat's
  ``dispatch_due`` re-publishes QUEUED rows and turns rows stuck in SENDING into UNKNOWN, which
  ``reconcile`` settles by asking the provider (SMS) instead of resending blindly, or — e-mail, where
  nobody can be asked — by sending again with the same Message-ID, marked as a resend.
"""

import datetime
import logging
import random

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from clients.messaging.broker import BrokerUnavailableError, publish, tasks_on_broker
from clients.messaging.models import Channel, Message, OfficeMessaging, Purpose, Status, Suppression
from clients.messaging.reasons import NONE, Reason
from clients.messaging.services import reminder_still_due, suspend_sms
from clients.messaging.transports import TransportError, transport_for

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 10
RETRY_CAP_SECONDS = 3600
#: A retry due within this many seconds goes straight back on the broker; later ones wait for the beat.
COUNTDOWN_LIMIT_SECONDS = 60

#: What a row says while its fate is being settled, and after: codes the delivery log renders in the reader's
#: language (clients.messaging.reasons), with the English sentence kept in ``reason`` for the logs.
LOST_SMS = Reason("lost_sms")
LOST_EMAIL = Reason("lost_email")
RESENT_EMAIL = Reason("resent_email")
GAVE_UP_EMAIL = Reason("gave_up_email")
#: Automatic resends of one e-mail whose fate is unknown; after that it waits for a person (the delivery log).
MAX_AUTOMATIC_RESENDS = 2


def retry_delay(attempt: int) -> float:
    """Exponential backoff with jitter: about base, 2×base, 4×base… (capped), each 50–100 % of that."""
    base = settings.MESSAGING_RETRY_BASE_SECONDS
    delay = min(RETRY_CAP_SECONDS, base * 2 ** max(0, attempt - 1))
    return delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not cryptography


#: A row published this long ago and still queued is looked for on the broker (see ``dispatch_due``).
RECHECK_SECONDS = 20
def send(message_id: int) -> str:
    """Send one message if it is due and nobody else has it. Returns what happened (for logs and tests)."""
    now = timezone.now()
    claimed = Message.objects.filter(pk=message_id, status=Status.QUEUED, send_at__lte=now).update(
        status=Status.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return "not_claimed"
    message = Message.objects.select_related("person", "company").get(pk=message_id)
    if message.channel == Channel.SMS and OfficeMessaging.load().sms_suspended_at:
        _back_to_queue(message, now, Reason("sms_suspended"), count_attempt=False)
        return "suspended"
    if Suppression.objects.filter(channel=message.channel, address=message.recipient).exists():
        _finish(message, Status.FAILED, error_code="suppressed", reason=Reason("suppressed"))
        return "failed"
    if message.purpose == Purpose.REMINDER:
        if not reminder_still_due(message):
            _finish(message, Status.CANCELLED, reason=Reason("paid_before_reminder"))
            return "cancelled"
    try:
        provider_id = transport_for(message.channel).send(message)
    except TransportError as error:
        return _record_error(message, error)
    except Exception as error:  # a bug or an unexpected library error: keep the row honest
        logger.exception("message %s: unexpected error while sending", message.pk)
        return _record_error(message, TransportError(f"Unexpected error: {error!r}", unknown=True,
                                                     reason=Reason("unexpected")))
    sent_at = timezone.now()
    Message.objects.filter(pk=message.pk, status__in=[Status.SENDING, Status.UNKNOWN]).update(
        status=Status.SENT, provider_id=provider_id, sent_at=sent_at, error_code="",
        **_sent_reason(message).as_fields())
    # A status callback may have overtaken us (DELIVERED already): complete what it could not know.
    Message.objects.filter(pk=message.pk, sent_at__isnull=True).update(sent_at=sent_at)
    Message.objects.filter(pk=message.pk, provider_id="").update(provider_id=provider_id)
    return "sent"


def _sent_reason(message: Message) -> Reason:
    """What the delivery log keeps about a sent message: nothing, or that it is a resend (the trail)."""
    if message.resends and message.channel == Channel.EMAIL:
        return Reason("resent_email_sent", {"count": message.resends})
    return NONE


def _finish(message: Message, status: str, *, error_code: str = "", reason: Reason = NONE) -> None:
    Message.objects.filter(pk=message.pk, status=Status.SENDING).update(
        status=status, error_code=str(error_code)[:32], **reason.as_fields())


def _back_to_queue(message: Message, send_at: datetime.datetime, reason: Reason, *, count_attempt: bool = True,
                   error_code: str = "") -> None:
    changes = {"status": Status.QUEUED, "send_at": send_at, "error_code": str(error_code)[:32],
               **reason.as_fields()}
    if not count_attempt:
        changes["attempts"] = F("attempts") - 1
    Message.objects.filter(pk=message.pk, status=Status.SENDING).update(**changes)


def _record_error(message: Message, error: TransportError) -> str:
    logger.warning("message %s (%s to %s): %s", message.pk, message.channel, message.recipient, error.message)
    if error.credentials:
        _back_to_queue(message, timezone.now(), error.reason, count_attempt=False, error_code=error.code)
        suspend_sms(error.reason)
        return "suspended"
    if error.unknown:
        _finish(message, Status.UNKNOWN, error_code=error.code, reason=error.reason)
        return "unknown"
    if error.permanent:
        with transaction.atomic():
            _finish(message, Status.FAILED, error_code=error.code, reason=error.reason)
            if error.suppress:
                Suppression.objects.get_or_create(channel=message.channel, address=message.recipient,
                                                  defaults={"error_code": error.code, **error.reason.as_fields()})
        return "failed"
    attempts = Message.objects.filter(pk=message.pk).values_list("attempts", flat=True).first() or 0
    if attempts >= MAX_ATTEMPTS:
        _finish(message, Status.FAILED, error_code=error.code, reason=Reason("gave_up", {
            "attempts": attempts, "error": error.reason.code, "error_params": error.reason.params}))
        return "failed"
    delay = retry_delay(attempts)
    _back_to_queue(message, timezone.now() + datetime.timedelta(seconds=delay),
                   Reason("attempt_failed", {"attempt": attempts, "error": error.reason.code,
                                             "error_params": error.reason.params}), error_code=error.code)
    if delay <= COUNTDOWN_LIMIT_SECONDS:
        try:
            publish([message.pk], countdown=delay)
        except BrokerUnavailableError as error:  # the beat is the safety net
            logger.warning("message %s: could not publish the retry (%s); the beat will", message.pk, error)
    return "retry"


def reconcile(now: datetime.datetime | None = None) -> dict:
    """Settle messages whose fate is unknown.

    SMS: ask the provider rather than send twice. E-mail: SMTP cannot be asked, so an e-mail whose worker
    was lost (or whose SMTP conversation broke off) is sent again after ``MESSAGING_EMAIL_RESEND_AFTER`` —
    at least once beats never (docs/messaging.md) — at most ``MAX_AUTOMATIC_RESENDS`` times; then it stays
    ``unknown`` with a reason the office sees, next to a "Send again" button.
    """
    now = now or timezone.now()
    stuck_after = datetime.timedelta(seconds=settings.MESSAGING_SENDING_TIMEOUT)
    resend_after = datetime.timedelta(seconds=settings.MESSAGING_EMAIL_RESEND_AFTER)
    sending = Message.objects.filter(status=Status.SENDING)
    lost = sending.filter(channel=Channel.SMS, claimed_at__lt=now - stuck_after).update(
        status=Status.UNKNOWN, **LOST_SMS.as_fields())
    lost += sending.filter(channel=Channel.EMAIL, claimed_at__lt=now - resend_after).update(
        status=Status.UNKNOWN, **LOST_EMAIL.as_fields())
    settled = {"lost": lost, "found": 0, "requeued": 0, "resent": _resend_lost_emails(now, resend_after)}
    ask_after = datetime.timedelta(seconds=settings.MESSAGING_RECONCILE_AFTER)
    unknown = Message.objects.filter(status=Status.UNKNOWN, channel=Channel.SMS, claimed_at__lt=now - ask_after)
    for message in unknown.order_by("claimed_at")[:100]:
        try:
            provider_id = transport_for(message.channel).lookup(message)
        except TransportError as error:
            logger.info("message %s stays unknown: %s", message.pk, error.message)
            continue
        if provider_id:
            settled["found"] += Message.objects.filter(pk=message.pk, status=Status.UNKNOWN).update(
                status=Status.SENT, provider_id=provider_id, sent_at=F("claimed_at"), error_code="",
                **Reason("found_at_provider").as_fields())
        elif Message.objects.filter(pk=message.pk, status=Status.UNKNOWN).update(
                status=Status.QUEUED, send_at=now, enqueued_at=None,
                **Reason("provider_never_got_it").as_fields()):
            settled["requeued"] += 1
    return settled


def _resend_lost_emails(now: datetime.datetime, resend_after: datetime.timedelta) -> int:
    unknown = Message.objects.filter(status=Status.UNKNOWN, channel=Channel.EMAIL,
                                     claimed_at__lt=now - resend_after)
    resent = unknown.filter(resends__lt=MAX_AUTOMATIC_RESENDS).update(
        status=Status.QUEUED, send_at=now, enqueued_at=None, resends=F("resends") + 1, **RESENT_EMAIL.as_fields())
    if resent:
        logger.warning("%d e-mail(s) of unknown fate sent again (same Message-ID)", resent)
    unknown.filter(resends__gte=MAX_AUTOMATIC_RESENDS).exclude(reason_code=GAVE_UP_EMAIL.code).update(
        **GAVE_UP_EMAIL.as_fields())
    return resent


def dispatch_due(now: datetime.datetime | None = None, limit: int = 1000) -> dict:
    """The beat's work for one office: reconcile, then publish every due message not on the broker.

    "Not on the broker": never published, published more than ``MESSAGING_REENQUEUE_SECONDS`` ago, or
    published more than ``RECHECK_SECONDS`` ago while the broker's queue holds fewer tasks than such rows —
    the broker lost them (a restart, or a worker's reserved tasks dropped when its connection broke), so they
    go out again within one beat of the broker's return instead of minutes later (repeats are harmless).
    """
    now = now or timezone.now()
    result = reconcile(now)
    again_after = datetime.timedelta(seconds=settings.MESSAGING_REENQUEUE_SECONDS)
    due = Message.objects.filter(status=Status.QUEUED, send_at__lte=now)
    if OfficeMessaging.load().sms_suspended_at:
        due = due.exclude(channel=Channel.SMS)
    due = due.order_by("send_at", "pk").values_list("pk", flat=True)
    ids = list(due.filter(Q(enqueued_at__isnull=True) | Q(enqueued_at__lt=now - again_after))[:limit])
    waiting = list(due.filter(enqueued_at__gte=now - again_after,
                              enqueued_at__lt=now - datetime.timedelta(seconds=RECHECK_SECONDS))[:limit])
    if waiting and tasks_on_broker() < len(waiting):
        ids += waiting
    publish(ids)
    result["published"] = len(ids)
    return result


