"""A client's private calendar feed (iCalendar): what is still to pay, as all-day events on the due dates.

Calendar apps (Google, Outlook, Apple) fetch the feed themselves, without a session, so the URL carries
the secret: ``Person.calendar_token``, a long random value per client login. Rotating it makes the old
URL answer 404 at once. The events are ``clients.unpaid.unpaid_items`` of the person's companies whose
money they may see — approved values only, settled and paid items drop out — with a UID per item, so a
calendar updates an event instead of adding a second one.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from icalendar import Calendar, Event

from clients.access import is_client, memberships_of
from clients.models import Person
from clients.templatetags.client_views import money
from clients.unpaid import PaymentItem, unpaid_items

# 32 random bytes (43 URL-safe characters): unguessable, and short enough for any calendar app.
TOKEN_BYTES = 32
MIN_TOKEN_LENGTH = 40
PRODID = "-//Biurko//Client payments//PL"


@transaction.atomic
def rotate_calendar_token(person: Person) -> str:
    """Give the person a new feed secret (the first one, or a replacement: the old URL stops working)."""
    person.calendar_token = secrets.token_urlsafe(TOKEN_BYTES)
    person.save(update_fields=["calendar_token"])
    return person.calendar_token


def person_for_token(token: str) -> Person | None:
    """The person whose feed this is; None for an unknown or old token, or a login that is not an active client."""
    if not token or len(token) < MIN_TOKEN_LENGTH:
        return None
    person = Person.objects.filter(calendar_token=token).select_related("user").first()
    if person is None or not is_client(person.user):
        return None
    return person


def feed_items(person: Person, today: date) -> list[PaymentItem]:
    """What is still to pay in the person's companies whose money they may see, with a due date."""
    companies = [membership.company for membership in memberships_of(person.user) if membership.financial]
    return [item for item in unpaid_items(companies, today) if item.due_date is not None]


def event_uid(item: PaymentItem, host: str) -> str:
    """Stable per item (its anchor figure) and per office host, so a refetch updates the same event."""
    return f"payment-{item.figure_id}@{host}"


def _summary(item: PaymentItem) -> str:
    return _("%(item)s %(period)s — %(amount)s — %(company)s") % {
        "item": item.name, "period": item.period_label, "amount": money(item.left_to_pay),
        "company": item.company.name}


def _description(item: PaymentItem) -> str:
    if not item.account:
        return _("The account number is not known yet: please contact your office.")
    lines = [_("Recipient: %(recipient)s") % {"recipient": item.recipient},
             _("Account: %(account)s") % {"account": item.account_display},
             _("Transfer title: %(title)s") % {"title": item.title},
             _("Amount: %(amount)s") % {"amount": money(item.left_to_pay)}]
    if item.payer_label:
        lines.insert(0, _("Contributions of: %(payer)s") % {"payer": item.payer_label})
    return "\n".join(lines)


def _event(item: PaymentItem, host: str, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", event_uid(item, host))
    event.add("dtstamp", stamp)
    event.add("dtstart", item.due_date)
    event.add("dtend", item.due_date + timedelta(days=1))
    event.add("summary", _summary(item))
    event.add("description", _description(item))
    event.add("transp", "TRANSPARENT")
    return event


def render_feed(person: Person, *, today: date, host: str, office_name: str) -> bytes:
    """The person's feed as iCalendar bytes (in the active language)."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", _("Payments — %(office)s") % {"office": office_name})
    stamp = timezone.now()
    for item in feed_items(person, today):
        calendar.add_component(_event(item, host, stamp))
    return calendar.to_ical()
