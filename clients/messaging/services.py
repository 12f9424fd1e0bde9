"""Writes to the outbox. Every message is created here, inside the caller's transaction, and put on
the broker once that transaction commits (docs/messaging.md).

- ``queue_summary(company, period)``: the month's summary (or, when one was already sent, a
  correction showing old → new) for every person of the company on each of their channels;
- ``queue_corrections(company, period)``: a correction, only where a summary already went out
  (``queue_corrections_for(months)``: the same after an approval, ``clients.publishing.publish``);
- ``cancel_summary(company, period)``: undo within the office's undo window;
- ``queue_reminders(today)``: payment reminders N days before the due dates; ``queue_nudge(company,
  period)``: the panel's one-click reminder about a month's unpaid items (both read ``clients.unpaid``);
- ``queue_invitation(person, url)`` (a client), ``queue_staff_invitation(user)`` (a staff login),
  ``queue_office_alert(kind, ...)``;
- ``delivery_log(company, period)``: what was sent to whom, for the panel.

A message's text, de-duplication key and quiet hours come from ``clients.messaging.composing``.
"""

import datetime
import hashlib
import logging
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext
from django_tenants.utils import schema_context

from clients.activation import invite_person
from clients.expected_items import missing_for_month
from clients.messaging import broker, content
from clients.messaging.composing import dedup_key, render, shift_out_of_quiet_hours
from clients.messaging.links import current_office, portal_url, unsubscribe_url
from clients.messaging.models import (
    SENT_STATUSES,
    Channel,
    Message,
    OfficeMessaging,
    Purpose,
    Status,
    Suppression,
)
from clients.messaging.reasons import NONE, Reason, english
from clients.messaging.reasons import render as render_reason
from clients.models import Company, CompanyPerson, Figure, Person, PersonRole, add_months
from clients.unpaid import unpaid_items
from offices.accounts.activation import activation_url
from offices.accounts.branding import branding
from offices.accounts.models import ADMIN_ROLES, OfficeSettings, User

logger = logging.getLogger(__name__)

SUMMARY_PURPOSES = (Purpose.SUMMARY, Purpose.CORRECTION)
#: Reminders go out from this local hour on (never at midnight when the beat first sees the day).
REMINDER_HOUR = 9


# --- the office ------------------------------------------------------------------------------------


def sms_disabled_reason() -> str:
    """Why no SMS can leave this office now, for the office's people ('' when SMS works)."""
    if not (settings.TWILIO_ACCOUNT_SID and settings.TWILIO_AUTH_TOKEN):
        # The office cannot fix this itself: the platform has no SMS provider configured (the operator's
        # TWILIO_* settings, see the README).
        return gettext("SMS cannot be sent: the portal has no SMS provider configured. E-mails are sent as usual; "
                       "ask the portal's operator to enable SMS.")
    state = OfficeMessaging.load()
    if state.sms_suspended_at:
        return gettext("SMS sending has been suspended since %(when)s. %(reason)s") % {
            "when": timezone.localtime(state.sms_suspended_at).strftime("%Y-%m-%d %H:%M"),
            "reason": state.sms_suspended_reason_text}
    return ""


@transaction.atomic
def unsubscribe(person: Person) -> bool:
    """Turn off the person's e-mail notifications; True when they were on."""
    return bool(Person.objects.filter(pk=person.pk, notify_email=True).update(notify_email=False))


# --- creating messages ------------------------------------------------------------------------------


def enqueue_on_commit(message_ids) -> None:
    """After the current transaction commits, put a send task on the broker for each message that is due.

    Messages due later (undo window, quiet hours) are left to the beat (``dispatch_due``); a broker that
    is down loses nothing either: the rows are in the database and the beat picks them up.
    """
    message_ids = list(message_ids)
    if not message_ids:
        return
    schema = connection.schema_name

    def publish_after_commit():
        with schema_context(schema):
            try:
                broker.publish(message_ids)
            except broker.BrokerUnavailableError as error:  # the outbox is the queue of record; the beat sends them
                logger.warning("could not publish %d message(s) (%s); the beat will send them",
                               len(message_ids), error)

    transaction.on_commit(publish_after_commit)


def _create(rows: list[Message], *, revive_cancelled: bool = False) -> list[Message]:
    """Insert the rows whose de-duplication key is new; returns the messages created (or revived) now.

    A concurrent insert of the same key waits on the unique index and then inserts nothing.
    """
    if not rows:
        return []
    keys = [row.dedup_key for row in rows]
    existing = set(Message.objects.filter(dedup_key__in=keys).values_list("dedup_key", flat=True))
    fresh_keys = {row.dedup_key for row in rows if row.dedup_key not in existing}
    Message.objects.bulk_create([row for row in rows if row.dedup_key in fresh_keys], ignore_conflicts=True)
    if revive_cancelled and existing:
        by_key = {row.dedup_key: row for row in rows}
        for message in Message.objects.filter(dedup_key__in=existing, status=Status.CANCELLED):
            row = by_key[message.dedup_key]
            if Message.objects.filter(pk=message.pk, status=Status.CANCELLED).update(
                    status=Status.QUEUED, send_at=row.send_at, error_code="", enqueued_at=None,
                    **NONE.as_fields()):
                fresh_keys.add(message.dedup_key)
    fresh = list(Message.objects.filter(dedup_key__in=fresh_keys).order_by("pk"))
    now = timezone.now()
    enqueue_on_commit([m.pk for m in fresh if m.status == Status.QUEUED and m.send_at <= now])
    return fresh


def recipients(company: Company):
    """(person, channel, address) of everyone who should hear about the company's money."""
    memberships = (CompanyPerson.objects.filter(company=company).select_related("person")
                   .order_by("person_id"))
    for membership in memberships:
        person = membership.person
        if membership.role == PersonRole.PARTNER and not company.share_with_partners:
            continue
        if getattr(person, "opted_out", False):
            continue
        if person.notify_email and person.email:
            yield person, Channel.EMAIL, person.email.strip().lower()
        if person.notify_sms and person.phone:
            yield person, Channel.SMS, person.phone.strip()


def _failed_reason(channel: str, address: str, suppressed: set) -> tuple[str, Reason]:
    if (channel, address) in suppressed:
        return "suppressed", Reason("suppressed")
    return "", NONE


def _suppressed() -> set[tuple[str, str]]:
    return set(Suppression.objects.values_list("channel", "address"))


def _last_sent(company: Company, period: datetime.date) -> dict[tuple[int, str], Message]:
    """The newest summary or correction each (person, channel) got for the month."""
    newest: dict[tuple[int, str], Message] = {}
    for message in (Message.objects.filter(company=company, period=period, purpose__in=SUMMARY_PURPOSES,
                                           status__in=SENT_STATUSES, person__isnull=False)
                    .order_by("created_at", "id")):
        newest[(message.person_id, message.channel)] = message
    return newest


def queue_summary(company: Company, period: datetime.date) -> bool:
    """Queue the summary of ``company`` for ``period`` to its people; True when something was newly queued.

    One outbox message per person × channel (a correction, old → new, where a summary of the month already
    went out), sent after the office's undo window. Idempotent: the de-duplication key holds the approved
    revisions, so a retried batch, a double click or calling it again with nothing newly approved queues
    nothing. A summary still waiting in the undo window for an older set of revisions is cancelled
    (superseded) in favour of the new one.
    """
    return bool(_queue_month(company, period))


@transaction.atomic
def _queue_month(company: Company, period: datetime.date, *, only_corrections: bool = False) -> list[Message]:
    """The messages of ``queue_summary`` (or, ``only_corrections``, only where a summary already went out)."""
    revisions = list(content.approved_revisions(company, period))
    if not revisions:
        return []
    revision_ids = [r.pk for r in revisions]
    fingerprint = content.digest(revision_ids)
    office_settings = OfficeSettings.load()
    state = OfficeMessaging.load()
    office = current_office()
    now = timezone.now()
    send_at = now + datetime.timedelta(minutes=office_settings.undo_window_minutes)
    lines = content.with_payments(content.lines_for(revisions, company), company, period, timezone.localdate(now))
    last_sent = _last_sent(company, period)
    suppressed = _suppressed()
    base = {"office": office, "company": company, "period": period, "month": content.format_month(period),
            "lines": [line for line in lines if line.payable], "statements": [li for li in lines if not li.payable],
            "waiting": missing_for_month(company, period),
            "portal_url": portal_url("/"), "brand": branding(office, office_settings)}
    rows, superseded = [], []
    for person, channel, address in recipients(company):
        previous = last_sent.get((person.pk, channel))
        if previous is not None and content.digest(previous.revision_ids) == fingerprint:
            continue  # this person already has exactly this
        purpose, changes = Purpose.SUMMARY, []
        if previous is not None:
            changes = content.changes_between(previous.revision_ids, revisions, company)
            if not changes:
                continue  # re-approved, same amounts: nothing new to tell
            changes = content.with_payments(changes, company, period, timezone.localdate(now))
            purpose = Purpose.CORRECTION
        elif only_corrections:
            continue
        key = dedup_key(purpose, company.pk, period, fingerprint, person.pk, channel)
        superseded.append(Q(person=person, channel=channel) & ~Q(dedup_key=key))
        context = {**base, "person": person, "changes": changes}
        if channel == Channel.EMAIL:
            context["unsubscribe_url"] = unsubscribe_url(person)
        rendered = render(channel, purpose, context, sms_unicode=state.sms_unicode)
        when = shift_out_of_quiet_hours(send_at, office_settings) if channel == Channel.SMS else send_at
        code, reason = _failed_reason(channel, address, suppressed)
        rows.append(Message(
            dedup_key=key, purpose=purpose, channel=channel, company=company, period=period, person=person,
            recipient=address, revision_ids=revision_ids, subject=rendered.subject, body=rendered.body,
            html=rendered.html, encoding=rendered.encoding, segments=rendered.segments, send_at=when,
            status=Status.FAILED if code else Status.QUEUED, error_code=code, **reason.as_fields()))
    if superseded:
        condition = superseded[0]
        for extra in superseded[1:]:
            condition |= extra
        (Message.objects.filter(condition, company=company, period=period, purpose__in=SUMMARY_PURPOSES,
                                status=Status.QUEUED)
         .update(status=Status.CANCELLED, **Reason("superseded").as_fields()))
    return _create(rows, revive_cancelled=True)


def queue_corrections(company: Company, period: datetime.date) -> list[Message]:
    """After an approval: a correction to everyone who already got this month's summary (old → new)."""
    return _queue_month(company, period, only_corrections=True)


def queue_corrections_for(months) -> list[Message]:
    """After an approval of these ``(company id, period)`` months: the corrections of those already told.

    One query finds the months whose summary (or correction) already went out; only those are rendered,
    so approving months nobody was told about costs that one query. Called by ``clients.publishing``.
    """
    months = set(months)
    if not months:
        return []
    told = set(Message.objects.filter(
        company_id__in={company_id for company_id, _period in months},
        period__in={period for _company_id, period in months},
        purpose__in=SUMMARY_PURPOSES, status__in=SENT_STATUSES)
        .order_by().values_list("company_id", "period").distinct())
    told &= months
    if not told:
        return []
    companies = Company.objects.in_bulk({company_id for company_id, _period in told})
    queued = []
    for company_id, period in sorted(told):
        queued += queue_corrections(companies[company_id], period)
    return queued


@transaction.atomic
def cancel_summary(company: Company, period: datetime.date) -> int:
    """Cancel the month's summaries and corrections nobody has sent yet (the undo window); how many."""
    return (Message.objects.filter(company=company, period=period, purpose__in=SUMMARY_PURPOSES,
                                   status=Status.QUEUED)
            .update(status=Status.CANCELLED, **Reason("cancelled_by_office").as_fields()))


# --- reminders --------------------------------------------------------------------------------------


def _reminder_items(today: datetime.date, days: int):
    """Unpaid payment items due exactly ``days`` after ``today``, per company."""
    due = today + datetime.timedelta(days=days)
    first = add_months(due.replace(day=1), -4)
    companies = Company.objects.filter(
        enabled=True, figures__period__gte=first, figures__period__lt=due.replace(day=1),
        figures__revisions__state="approved").distinct()
    for company in companies:
        unpaid = [item for item in unpaid_items(company, today, since=first, before=due) if item.due_date == due]
        if unpaid:
            yield company, due, unpaid


def _reminder_rows(company: Company, period, items, *, due, days: int, send_at, key_parts: tuple) -> list[Message]:
    """A payment reminder about ``items`` to each recipient of the company (not yet saved)."""
    office_settings = OfficeSettings.load()
    state = OfficeMessaging.load()
    suppressed = _suppressed()
    context = {"office": current_office(), "brand": branding(current_office(), office_settings), "company": company,
               "due_date": content.format_date(due) if due else "",
               "days": days, "portal_url": portal_url("/"),
               "items": [{"label": content.label_for(item.figure.kind), "name": item.name,
                          "amount_text": content.format_amount(item.left_to_pay), "period": item.period_label}
                         for item in items]}
    rows = []
    for person, channel, address in recipients(company):
        extra = {"person": person}
        if channel == Channel.EMAIL:
            extra["unsubscribe_url"] = unsubscribe_url(person)
        rendered = render(channel, "reminder", {**context, **extra}, sms_unicode=state.sms_unicode)
        when = shift_out_of_quiet_hours(send_at, office_settings) if channel == Channel.SMS else send_at
        code, reason = _failed_reason(channel, address, suppressed)
        rows.append(Message(
            dedup_key=dedup_key(Purpose.REMINDER, *key_parts, person.pk, channel), purpose=Purpose.REMINDER,
            channel=channel, company=company, period=period, person=person, recipient=address,
            revision_ids=[item.figure_id for item in items], subject=rendered.subject, body=rendered.body,
            html=rendered.html, encoding=rendered.encoding, segments=rendered.segments, send_at=when,
            status=Status.FAILED if code else Status.QUEUED, error_code=code, **reason.as_fields()))
    return rows


@transaction.atomic
def queue_reminders(today: datetime.date | None = None) -> list[Message]:
    """Reminders for the unpaid items due in N days (``OfficeSettings.reminder_days``). Idempotent per day."""
    now = timezone.now()
    today = today or timezone.localdate(now)
    earliest = timezone.make_aware(datetime.datetime.combine(today, datetime.time(REMINDER_HOUR)))
    send_at = max(now, earliest)
    rows = []
    for days in sorted(set(OfficeSettings.load().reminder_days or [])):
        for company, due, items in _reminder_items(today, days):
            periods = {item.period for item in items}
            period = next(iter(periods)) if len(periods) == 1 else None
            rows += _reminder_rows(company, period, items, due=due, days=days, send_at=send_at,
                                   key_parts=(company.pk, due, days))
    return _create(rows)


@dataclass
class NudgeResult:
    unpaid: int = 0  # payment items of the month still to pay
    queued: list[Message] = field(default_factory=list)

    @property
    def people(self) -> int:
        return len({m.person_id for m in self.queued})


@transaction.atomic
def queue_nudge(company: Company, period: datetime.date, today: datetime.date | None = None) -> NudgeResult:
    """A payment reminder now to the company's people about the month's items nobody marked paid (the panel).

    Paid marks are per item, not per person, so an unpaid item is unpaid for all of them: every recipient
    of the company (the same rule as summaries) gets it. Idempotent per day: the de-duplication key holds
    the day, so a second click the same day queues nothing. A reminder whose items are all marked paid
    before it leaves is cancelled by the dispatcher (``reminder_still_due``).
    """
    now = timezone.now()
    today = today or timezone.localdate(now)
    items = unpaid_items(company, today, period=period)
    result = NudgeResult(unpaid=len(items))
    if items:
        due = min((item.due_date for item in items if item.due_date), default=None)
        rows = _reminder_rows(company, period, items, due=due, days=(due - today).days if due else 0, send_at=now,
                              key_parts=("nudge", company.pk, period, today))
        result.queued = _create(rows)
    return result


def reminder_still_due(message: Message) -> bool:
    """False once every item of a reminder is paid (``revision_ids`` holds the items' anchor figures)."""
    if message.company_id is None or not message.revision_ids:
        return True
    periods = set(Figure.objects.filter(pk__in=message.revision_ids).values_list("period", flat=True))
    anchors = set(message.revision_ids)
    return any(item.figure_id in anchors
               for item in unpaid_items(message.company, timezone.localdate(), periods=periods))


# --- invitations and office alerts -----------------------------------------------------------------


@transaction.atomic
def queue_invitation(person: Person, url: str | None = None) -> Message | None:
    """An e-mail with the person's activation link (``clients.activation.invite_person`` when no url)."""
    if url is None:
        url = invite_person(person)
    address = (person.email or "").strip().lower()
    if not address:
        return None
    context = {"office": current_office(), "person": person, "activation_url": url}
    rendered = render(Channel.EMAIL, "invitation", context)
    key = dedup_key(Purpose.INVITATION, person.pk, hashlib.sha256(url.encode()).hexdigest())
    created = _create([Message(dedup_key=key, purpose=Purpose.INVITATION, channel=Channel.EMAIL, person=person,
                               recipient=address, subject=rendered.subject, body=rendered.body, html=rendered.html,
                               send_at=timezone.now())])
    return created[0] if created else Message.objects.filter(dedup_key=key).first()


@transaction.atomic
def queue_staff_invitation(user: User, *, invited_by: User | None = None) -> Message:
    """An e-mail to a staff login of the office with the link where they set their password.

    Each call is a new invitation (a resend is asked for explicitly; the panel refuses it once the login is
    active): the de-duplication key counts the invitations this address already has.
    """
    office = current_office()
    address = user.email.strip().lower()
    earlier = Message.objects.filter(purpose=Purpose.INVITATION, person__isnull=True, recipient=address).count()
    url = activation_url(office, user)
    context = {"office": office, "user": user, "invited_by": invited_by, "role": user.get_role_display(),
               "activation_url": url}
    rendered = render(Channel.EMAIL, "staff_invitation", context)
    key = dedup_key(Purpose.INVITATION, "staff", user.pk, earlier)
    created = _create([Message(dedup_key=key, purpose=Purpose.INVITATION, channel=Channel.EMAIL, recipient=address,
                               subject=rendered.subject, body=rendered.body, html=rendered.html,
                               send_at=timezone.now())])
    return created[0] if created else Message.objects.get(dedup_key=key)


@transaction.atomic
def queue_office_alert(kind: str, occurrence: str, context: dict) -> list[Message]:
    """E-mail every active owner and administrator of the office (``templates/emails/office_alert_{kind}``)."""
    admins = User.objects.filter(role__in=ADMIN_ROLES, is_active=True).order_by("pk")
    rows = []
    for admin in admins:
        rendered = render(Channel.EMAIL, f"office_alert_{kind}",
                          {"office": current_office(), "user": admin, "portal_url": portal_url("/"), **context})
        rows.append(Message(dedup_key=dedup_key(Purpose.OFFICE_ALERT, kind, occurrence, admin.pk),
                            purpose=Purpose.OFFICE_ALERT, channel=Channel.EMAIL, recipient=admin.email,
                            subject=rendered.subject, body=rendered.body, html=rendered.html,
                            send_at=timezone.now()))
    return _create(rows)


# --- SMS suspension ---------------------------------------------------------------------------------


@transaction.atomic
def suspend_sms(reason: Reason) -> bool:
    """Stop SMS for this office (the provider rejected the credentials) and alert its admins, once.

    The reason is kept as a code and parameters (shown in the reader's language) and in English for the logs."""
    now = timezone.now()
    OfficeMessaging.load()
    if not OfficeMessaging.objects.filter(singleton=1, sms_suspended_at__isnull=True).update(
            sms_suspended_at=now, sms_suspended_reason=english(reason), sms_suspended_reason_code=reason.code,
            sms_suspended_reason_params=reason.params):
        return False
    queue_office_alert("sms_suspended", now.isoformat(), {"reason": render_reason(reason.code, reason.params)})
    return True


@transaction.atomic
def resume_sms() -> list[int]:
    """Lift the suspension (after the credentials were fixed); queued SMS go out with the next beat."""
    OfficeMessaging.objects.filter(singleton=1).update(sms_suspended_at=None, sms_suspended_reason="",
                                                       sms_suspended_reason_code="", sms_suspended_reason_params={})
    due = list(Message.objects.filter(channel=Channel.SMS, status=Status.QUEUED, send_at__lte=timezone.now())
               .values_list("pk", flat=True))
    enqueue_on_commit(due)
    return due


@transaction.atomic
def resend_message(message: Message) -> bool:
    """A person's decision to send again a message whose fate is unknown (or that failed for a fixed reason)."""
    updated = Message.objects.filter(pk=message.pk, status__in=[Status.UNKNOWN, Status.FAILED]).update(
        status=Status.QUEUED, send_at=timezone.now(), error_code="", provider_id="", enqueued_at=None,
        resends=F("resends") + 1, **NONE.as_fields())
    if updated:
        enqueue_on_commit([message.pk])
    return bool(updated)


# --- reading ----------------------------------------------------------------------------------------


def delivery_log(company: Company, period: datetime.date | None = None):
    """Every message about the company (and month), newest first, with the person: for the panel."""
    messages = Message.objects.filter(company=company).select_related("person").order_by("-created_at", "-id")
    if period is not None:
        messages = messages.filter(period=period)
    return messages
