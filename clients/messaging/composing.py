"""What a message says and when it may go: its de-duplication key, quiet hours, its rendered text.

No writes: ``clients.messaging.services`` builds the outbox rows from these.
"""

import datetime
import hashlib
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.template.loader import render_to_string
from django.utils import timezone, translation

from clients.messaging import gsm
from clients.messaging.models import Channel
from offices.accounts.branding import branding
from offices.accounts.models import OfficeSettings


def dedup_key(*parts) -> str:
    return hashlib.sha256("|".join(str(p) for p in (connection.schema_name, *parts)).encode()).hexdigest()


def shift_out_of_quiet_hours(moment: datetime.datetime, office_settings: OfficeSettings) -> datetime.datetime:
    """The first instant at or after ``moment`` outside the office's quiet hours (local time)."""
    local = timezone.localtime(moment)
    if not office_settings.in_quiet_hours(local.time().replace(tzinfo=None)):
        return moment
    end = office_settings.quiet_hours_end
    day = local.date() if local.time().replace(tzinfo=None) < end else local.date() + datetime.timedelta(days=1)
    return timezone.make_aware(datetime.datetime.combine(day, end))


@dataclass(frozen=True)
class Rendered:
    subject: str = ""
    body: str = ""
    html: str = ""
    encoding: str = ""
    segments: int | None = None


def render(channel: str, name: str, context: dict, *, sms_unicode: bool = False) -> Rendered:
    """Text of a message from ``templates/sms/{name}.txt`` or ``templates/emails/{name}-*``."""
    if "office" in context and "brand" not in context:
        context = {**context, "brand": branding(context["office"])}
    with translation.override(settings.LANGUAGE_CODE):
        if channel == Channel.SMS:
            sms = gsm.prepare(render_to_string(f"sms/{name}.txt", context), unicode=sms_unicode)
            return Rendered(body=sms.text, encoding=sms.encoding, segments=sms.segments)
        subject = " ".join(render_to_string(f"emails/{name}-subject.txt", context).split())
        body = render_to_string(f"emails/{name}-body.txt", context)
        html = render_to_string(f"emails/{name}-body.html", context)
        return Rendered(subject=subject[:255], body=body, html=html)
