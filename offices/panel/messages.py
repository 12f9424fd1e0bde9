"""The panel's side of messaging: a company's delivery log with undo and a one-click nudge,
"send summaries for month M" with a preview, invitations, and the office's SMS options.

The outbox itself is ``clients.messaging`` (docs/messaging.md); everything here reads it or calls its
services. Companies are fetched through ``access_review_company`` only, people through the company.

Every outbox row is created by ``clients.messaging.services`` (the nudge is its ``queue_nudge``); the
panel's own writes are the named functions in the first section (``send_summaries``,
``resend_invitation``, ``save_messaging_options``); views only call them.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from clients.messaging import content
from clients.messaging.models import Channel, Message, OfficeMessaging, Purpose, Status
from clients.messaging.services import (
    SUMMARY_PURPOSES,
    cancel_summary,
    delivery_log,
    queue_invitation,
    queue_nudge,
    queue_summary,
    recipients,
    resend_message,
    resume_sms,
    sms_disabled_reason,
)
from clients.models import CompanyPerson, Figure, Person, RevisionState, format_period
from clients.self_service import paid_marks_for
from offices.accounts.models import OfficeSettings
from offices.panel.companies import access_review_company, reviewable_companies
from offices.panel.companies_forms import period_or_none
from offices.panel.messages_forms import MessagingOptionsForm, MonthForm

#: A second "resend invitation" within this time is taken for a double click and refused.
INVITATION_RESEND_PAUSE = datetime.timedelta(minutes=10)


# --- Writes -----------------------------------------------------------------------------------------


@dataclass
class ChannelCounts:
    companies: int = 0
    people: int = 0
    email: int = 0
    sms: int = 0

    @property
    def messages(self) -> int:
        return self.email + self.sms


def _summary_candidates(user, period: datetime.date):
    """The companies this staff login reviews that have approved figures of ``period``."""
    return (reviewable_companies(user).filter(
        enabled=True, figures__period=period, figures__revisions__state=RevisionState.APPROVED)
        .distinct().order_by("name", "pk"))


def preview_summaries(user, period: datetime.date) -> ChannelCounts:
    """What "send summaries for ``period``" would queue: companies, people and messages per channel.

    A person × channel that already has (or is waiting for) exactly the approved figures of the month is
    not counted: the outbox would not queue it again.
    """
    companies = list(_summary_candidates(user, period))
    existing: dict[int, set[tuple[int, str, str]]] = defaultdict(set)
    for company_id, person_id, channel, revision_ids in Message.objects.filter(
            company__in=companies, period=period, purpose__in=SUMMARY_PURPOSES,
            status__in=[Status.QUEUED, Status.SENDING, Status.SENT, Status.DELIVERED, Status.UNKNOWN],
    ).values_list("company_id", "person_id", "channel", "revision_ids"):
        existing[company_id].add((person_id, channel, content.digest(revision_ids)))
    approved: dict[int, list[int]] = defaultdict(list)
    for company_id, revision_id in Figure.objects.filter(
            company__in=companies, period=period, revisions__state=RevisionState.APPROVED,
    ).values_list("company_id", "revisions__id"):
        approved[company_id].append(revision_id)
    counts = ChannelCounts()
    for company in companies:
        fingerprint = content.digest(approved[company.pk])
        people = set()
        for person, channel, _address in recipients(company):
            if (person.pk, channel, fingerprint) in existing[company.pk]:
                continue
            people.add(person.pk)
            if channel == Channel.SMS:
                counts.sms += 1
            else:
                counts.email += 1
        if people:
            counts.companies += 1
            counts.people += len(people)
    return counts


def _waiting_summaries(period: datetime.date, company_ids=None):
    queryset = Message.objects.filter(period=period, purpose__in=SUMMARY_PURPOSES, status=Status.QUEUED)
    if company_ids is not None:
        queryset = queryset.filter(company_id__in=company_ids)
    return queryset


@transaction.atomic
def send_summaries(user, period: datetime.date) -> ChannelCounts:
    """``queue_summary`` for every company of ``period`` this login reviews; what was newly queued.

    Idempotent through the outbox's de-duplication keys: a second run queues nothing new.
    """
    companies = list(_summary_candidates(user, period))
    ids = [company.pk for company in companies]
    before = set(_waiting_summaries(period, ids).values_list("pk", flat=True))
    for company in companies:
        queue_summary(company, period)
    fresh = list(_waiting_summaries(period, ids).exclude(pk__in=before).values_list("company_id", "person_id",
                                                                                   "channel"))
    counts = ChannelCounts(companies=len({row[0] for row in fresh}),
                           people=len({(row[0], row[1]) for row in fresh}))
    for _company_id, _person_id, channel in fresh:
        if channel == Channel.SMS:
            counts.sms += 1
        else:
            counts.email += 1
    return counts


def resend_invitation(person: Person) -> Message:
    """A new activation link for ``person`` by e-mail (the panel's button).

    Refused (ValidationError) when the person has no e-mail address, has already activated the account, or got
    an invitation a moment ago (a double click).
    """
    if not (person.email or "").strip():
        raise ValidationError(_("%(person)s has no e-mail address to send an invitation to.")
                              % {"person": person}, code="no_email")
    if person.user_id and person.user.has_usable_password():
        raise ValidationError(_("%(person)s has already activated the account; they can reset the password "
                                "on the login page.") % {"person": person}, code="already_active")
    recent = Message.objects.filter(person=person, purpose=Purpose.INVITATION,
                                    created_at__gte=timezone.now() - INVITATION_RESEND_PAUSE).exists()
    if recent:
        raise ValidationError(_("An invitation to %(person)s was queued less than %(minutes)d minutes ago.")
                              % {"person": person, "minutes": INVITATION_RESEND_PAUSE.seconds // 60},
                              code="too_soon")
    message = queue_invitation(person)
    if message is None:  # pragma: no cover - the e-mail was checked above
        raise ValidationError(_("%(person)s has no e-mail address to send an invitation to.")
                              % {"person": person}, code="no_email")
    return message


@transaction.atomic
def save_messaging_options(values: dict) -> bool:
    """Store the office's SMS options (Unicode, Messaging Service SID); True when something changed."""
    row = OfficeMessaging.load()
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    if changed:
        OfficeMessaging.objects.filter(singleton=1).update(**changed)
    return bool(changed)


# --- Delivery log -----------------------------------------------------------------------------------


def _log_url(company, period: datetime.date | None) -> str:
    url = reverse("panel:company_messages", args=[company.pk])
    return f"{url}?period={format_period(period)}" if period else url


def _log_months(company) -> list[datetime.date]:
    periods = set(Message.objects.filter(company=company, period__isnull=False)
                  .values_list("period", flat=True).distinct())
    periods |= set(Figure.objects.filter(company=company, revisions__state=RevisionState.APPROVED)
                   .values_list("period", flat=True).distinct())
    return sorted(periods, reverse=True)


@dataclass
class LogRow:
    message: Message
    seen_at: datetime.datetime | None
    paid: list[str]


def _log_rows(company, period: datetime.date | None) -> tuple[list[LogRow], list]:
    marks = list(paid_marks_for(company, period))
    paid_by_user: dict[int, list[str]] = defaultdict(list)
    for mark in marks:
        if mark.marked_by_id:
            paid_by_user[mark.marked_by_id].append(f"{content.label_for(mark.figure.kind)} "
                                                   f"{format_period(mark.figure.period)}")
    rows = []
    for message in delivery_log(company, period).select_related("person__user"):
        person = message.person
        user = person.user if person is not None and person.user_id else None
        since = message.sent_at or message.created_at
        seen = user.last_login if user is not None and user.last_login and user.last_login >= since else None
        rows.append(LogRow(message, seen, paid_by_user.get(user.pk, []) if user is not None else []))
    return rows, marks


@require_GET
def company_messages(request, company_id: int):
    company = access_review_company(request.user, company_id)
    months = _log_months(company)
    raw = request.GET.get("period")
    period = period_or_none(raw) if raw != "all" else None
    if raw is None and months:
        period = months[0]
    rows, marks = _log_rows(company, period)
    now = timezone.now()
    waiting = (_waiting_summaries(period, [company.pk]).filter(send_at__gt=now).order_by("send_at")
               if period else Message.objects.none())
    window_until = max((m.send_at for m in waiting), default=None)
    context = {
        "company": company, "months": months, "period": period, "period_label": format_period(period)
        if period else "", "rows": rows, "marks": marks, "window_until": window_until,
        "can_nudge": period is not None, "sms_problem": sms_disabled_reason(),
    }
    return render(request, "offices/panel/messages/log.html", context)


def _month_from_post(request):
    form = MonthForm(request.POST)
    return form.cleaned_data["period"] if form.is_valid() else None


@require_POST
def company_messages_cancel(request, company_id: int):
    """The undo button: cancel the month's summaries still waiting in the undo window."""
    company = access_review_company(request.user, company_id)
    period = _month_from_post(request)
    if period is None:
        messages.error(request, _("Choose a month."))
        return redirect(_log_url(company, None))
    month = content.format_month(period)
    if not _waiting_summaries(period, [company.pk]).filter(send_at__gt=timezone.now()).exists():
        messages.error(request, _("Nothing to cancel: the undo window of the %(month)s summaries has closed (or "
                                  "none was queued). What has been sent cannot be taken back.") % {"month": month})
        return redirect(_log_url(company, period))
    cancelled = cancel_summary(company, period)
    messages.success(request, ngettext("Cancelled %(count)d message of the %(month)s summary.",
                                       "Cancelled %(count)d messages of the %(month)s summary.", cancelled)
                     % {"count": cancelled, "month": month})
    return redirect(_log_url(company, period))


@require_POST
def company_message_resend(request, company_id: int, message_id: int):
    """The delivery log's "Send again" for a message whose fate is unknown or that failed."""
    company = access_review_company(request.user, company_id)
    message = get_object_or_404(Message, pk=message_id, company=company)
    if resend_message(message):
        messages.success(request, _("Queued to be sent again to %(recipient)s.") % {"recipient": message.recipient})
    else:
        messages.info(request, _("This message is not waiting for a decision (it was sent, or is on its way)."))
    return redirect(_log_url(company, message.period) + f"#message-{message.pk}")


@require_POST
def company_messages_nudge(request, company_id: int):
    """One click: a payment reminder to the company's people about the month's unpaid items."""
    company = access_review_company(request.user, company_id)
    period = _month_from_post(request)
    if period is None:
        messages.error(request, _("Choose a month."))
        return redirect(_log_url(company, None))
    month = content.format_month(period)
    result = queue_nudge(company, period)
    if not result.unpaid:
        messages.info(request, _("Nothing of %(month)s is left to pay: nobody to remind.") % {"month": month})
    elif not result.queued:
        messages.info(request, _("A reminder about %(month)s was already queued today; nothing new was queued.")
                      % {"month": month})
    else:
        messages.success(request, ngettext(
            "Reminder about %(month)s queued: %(messages)d message to %(people)d person.",
            "Reminder about %(month)s queued: %(messages)d messages to %(people)d people.", result.people)
            % {"month": month, "messages": len(result.queued), "people": result.people})
    return redirect(_log_url(company, period))


@require_POST
def company_person_invite(request, company_id: int, person_id: int):
    """The company page's "resend invitation" button for one of its people."""
    company = access_review_company(request.user, company_id)
    link = CompanyPerson.objects.filter(company=company, person_id=person_id).select_related("person__user").first()
    if link is None:
        raise Http404
    try:
        message = resend_invitation(link.person)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("An invitation to %(email)s was queued.") % {"email": message.recipient})
    return redirect(reverse("panel:company", args=[company.pk]))


# --- Send summaries for a month ---------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def send_page(request):
    """Step 1: choose the month (GET ?period=) → preview with counts; step 2: POST confirms."""
    undo_minutes = OfficeSettings.load().undo_window_minutes
    if request.method == "POST":
        form = MonthForm(request.POST)
        if form.is_valid():
            period = form.cleaned_data["period"]
            counts = send_summaries(request.user, period)
            month = content.format_month(period)
            if counts.messages:
                messages.success(request, ngettext(
                    "Summaries of %(month)s queued for %(companies)d company: %(messages)d messages "
                    "(%(email)d e-mail, %(sms)d SMS). They can be cancelled on each company's delivery log "
                    "for %(minutes)d minutes.",
                    "Summaries of %(month)s queued for %(companies)d companies: %(messages)d messages "
                    "(%(email)d e-mail, %(sms)d SMS). They can be cancelled on each company's delivery log "
                    "for %(minutes)d minutes.", counts.companies)
                    % {"month": month, "companies": counts.companies, "messages": counts.messages,
                       "email": counts.email, "sms": counts.sms, "minutes": undo_minutes})
            else:
                messages.info(request, _("Nothing new to send for %(month)s: every summary was already queued or "
                                         "sent.") % {"month": month})
            return redirect(reverse("panel:messages_send"))
        return render(request, "offices/panel/messages/send.html", {"form": form, "undo_minutes": undo_minutes},
                      status=400)
    form = MonthForm(request.GET or None)
    context = {"form": form, "undo_minutes": undo_minutes, "sms_problem": sms_disabled_reason()}
    if request.GET and form.is_valid():
        period = form.cleaned_data["period"]
        context.update(period=period, period_label=format_period(period), month=content.format_month(period),
                       counts=preview_summaries(request.user, period))
    return render(request, "offices/panel/messages/send.html", context, status=400 if form.errors else 200)


# --- Messaging options (administrators) -------------------------------------------------------------


@require_http_methods(["GET", "POST"])
def messaging_settings(request):
    row = OfficeMessaging.load()
    form = MessagingOptionsForm(request.POST or None, instance=OfficeMessaging.load())
    if request.method == "POST" and form.is_valid():
        changed = save_messaging_options({name: form.cleaned_data[name] for name in form.Meta.fields})
        messages.success(request, _("The messaging options were saved.") if changed else _("Nothing changed."))
        return redirect("panel:messages_settings")
    context = {"form": form, "state": row, "sms_problem": sms_disabled_reason(),
               "recent_failures": Message.objects.filter(status=Status.FAILED).filter(
                   ~Q(purpose=Purpose.OFFICE_ALERT)).select_related("person", "company")[:20]}
    return render(request, "offices/panel/messages/settings.html", context, status=400 if form.errors else 200)


@require_POST
def messaging_resume_sms(request):
    state = OfficeMessaging.load()
    if not state.sms_suspended_at:
        messages.info(request, _("SMS is not suspended."))
    else:
        waiting = resume_sms()
        messages.success(request, ngettext(
            "SMS resumed; %(count)d waiting message is being sent.",
            "SMS resumed; %(count)d waiting messages are being sent.", len(waiting)) % {"count": len(waiting)})
    return redirect("panel:messages_settings")
