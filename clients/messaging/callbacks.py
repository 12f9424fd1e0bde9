"""Twilio's status callbacks: validate the signature, then move the message forward (never back).

The callback URL carries our message id (``?m=42``) and is part of what Twilio signs, so a report
can be matched even when it overtakes the worker's own write of the provider id. A report for
another office's message cannot reach this one: the host selects the schema, and the host is part
of the signed URL.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from twilio.request_validator import RequestValidator

from clients.messaging.links import portal_url
from clients.messaging.models import Channel, Message, Status, Suppression
from clients.messaging.reasons import NONE, Reason
from clients.messaging.transports import SUPPRESS_CODES

logger = logging.getLogger(__name__)

# Twilio's message statuses → ours. Others (queued, accepted, sending, scheduled, read) change nothing.
DELIVERED_STATES = {"delivered", "read"}
FAILED_STATES = {"failed", "undelivered", "canceled"}
SENT_STATES = {"sent"}


def _candidate_urls(request) -> list[str]:
    """The URL Twilio signed: the one we gave it, or how this request arrived (proxies may rewrite)."""
    urls = [request.build_absolute_uri()]
    query = request.META.get("QUERY_STRING", "")
    ours = portal_url(reverse("messaging:twilio_status")) + (f"?{query}" if query else "")
    if ours not in urls:
        urls.append(ours)
    return urls


def signature_valid(request) -> bool:
    token = settings.TWILIO_AUTH_TOKEN
    signature = request.headers.get("X-Twilio-Signature", "")
    if not token or not signature:
        return False
    validator = RequestValidator(token)
    params = {key: request.POST.get(key) for key in request.POST}
    return any(validator.validate(url, params, signature) for url in _candidate_urls(request))


def twilio_status(request) -> str:
    """Apply one status report. Returns what happened (``ignored:…`` or the new status)."""
    if not signature_valid(request):
        logger.warning("Twilio status callback with a bad or missing signature ignored")
        return "ignored:signature"
    sid = request.POST.get("MessageSid") or request.POST.get("SmsSid") or ""
    state = (request.POST.get("MessageStatus") or request.POST.get("SmsStatus") or "").lower()
    error_code = request.POST.get("ErrorCode") or ""
    try:
        message_id = int(request.GET.get("m", ""))
    except ValueError:
        message_id = None
    return apply_status(message_id, sid, state, error_code)


@transaction.atomic
def apply_status(message_id: int | None, sid: str, state: str, error_code: str = "") -> str:
    messages = Message.objects.select_for_update().filter(channel=Channel.SMS)
    message = messages.filter(pk=message_id).first() if message_id is not None else None
    if message is None and sid:
        message = messages.filter(provider_id=sid).first()
    if message is None or not sid or (message.provider_id and message.provider_id != sid):
        return "ignored:unknown_message"
    now = timezone.now()
    changes: dict = {"provider_id": sid}
    if state in DELIVERED_STATES:
        if message.status == Status.DELIVERED:
            return "delivered"
        changes.update(status=Status.DELIVERED, delivered_at=now, error_code="", **NONE.as_fields())
    elif state in FAILED_STATES:
        if message.status in (Status.DELIVERED, Status.FAILED):
            return message.status
        reason = Reason("twilio_report", {"state": state, "code": error_code})
        changes.update(status=Status.FAILED, error_code=error_code[:32], **reason.as_fields())
        if error_code.isdigit() and int(error_code) in SUPPRESS_CODES:
            Suppression.objects.get_or_create(channel=Channel.SMS, address=message.recipient,
                                              defaults={"error_code": error_code, **reason.as_fields()})
    elif state in SENT_STATES:
        if message.status not in (Status.SENDING, Status.UNKNOWN, Status.QUEUED):
            return message.status
        changes.update(status=Status.SENT)
    else:
        return "ignored:state"
    if message.sent_at is None:
        changes["sent_at"] = now
    Message.objects.filter(pk=message.pk).update(**changes)
    return changes.get("status", message.status)
