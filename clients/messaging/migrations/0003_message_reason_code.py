"""Delivery reasons as codes + parameters (clients.messaging.reasons), rendered in the reader's language.

Rows written before hold an English sentence in ``reason``; the sentences the code wrote are turned into their
codes here (the sentence stays in ``reason``). Anything not recognised keeps no code and is shown as stored.
"""

import re

from django.db import migrations, models

#: The exact sentences the outbox used to store, and their codes.
EXACT = {
    "The worker was lost while sending; asking the provider.": "lost_sms",
    "The worker was lost while sending; the e-mail will be sent again.": "lost_email",
    "Sent again: the e-mail may not have left when the worker was lost (the same Message-ID lets mail systems "
    "recognise a second copy).": "resent_email",
    "The e-mail may or may not have left (SMTP cannot be asked). It was already sent again automatically; use "
    "“Send again” if the person did not get it.": "gave_up_email",
    "Found at the provider after the worker was lost.": "found_at_provider",
    "The provider never got it; sending again.": "provider_never_got_it",
    "Superseded by a newer summary of the same month.": "superseded",
    "Cancelled by the office within the undo window.": "cancelled_by_office",
    "Paid before the reminder went out.": "paid_before_reminder",
    "The provider refused this address earlier (invalid number or opted out).": "suppressed",
    "SMS is suspended for the office.": "sms_suspended",
    "SMS is disabled: TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN are not set.": "sms_disabled",
    "The office has no SMS sender name, number or Messaging Service.": "sms_no_sender",
}
RESENT = re.compile(r"^Sent again \((\d+)×\): ")
TWILIO = re.compile(r"^Twilio (\d{3})(?: error (\d+))?: ")
TWILIO_REPORT = re.compile(r"^Twilio reported the message (\w+)(?: \(error (\w+)\))?\.$")
ATTEMPT = re.compile(r"^Attempt (\d+) failed: (.*)$", re.S)
GAVE_UP = re.compile(r"^Gave up after (\d+) attempts\. Last error: (.*)$", re.S)


def code_of(text: str) -> tuple[str, dict] | None:
    if text in EXACT:
        return EXACT[text], {}
    if match := RESENT.match(text):
        return "resent_email_sent", {"count": int(match[1])}
    if match := TWILIO.match(text):
        return "twilio_error", {"status": int(match[1]), "code": match[2] or ""}
    if match := TWILIO_REPORT.match(text):
        return "twilio_report", {"state": match[1], "code": match[2] or ""}
    if text.startswith("Twilio unreachable"):
        return "twilio_unreachable", {}
    if text.startswith("No answer from Twilio"):
        return "twilio_no_answer", {}
    if text.startswith("The SMTP conversation broke off"):
        return "smtp_broke_off", {}
    if text.startswith("SMTP server unreachable"):
        return "smtp_unreachable", {}
    for pattern, code, key in ((ATTEMPT, "attempt_failed", "attempt"), (GAVE_UP, "gave_up", "attempts")):
        if match := pattern.match(text):
            inner = code_of(match[2])
            if inner is None:
                return None
            return code, {key: int(match[1]), "error": inner[0], "error_params": inner[1]}
    return None


def forwards(apps, schema_editor):
    Message = apps.get_model("messaging", "Message")
    for message in Message.objects.exclude(reason="").filter(reason_code="").only("pk", "reason").iterator():
        found = code_of(message.reason)
        if found is not None:
            Message.objects.filter(pk=message.pk).update(reason_code=found[0], reason_params=found[1])


class Migration(migrations.Migration):

    dependencies = [
        ("messaging", "0002_message_resends"),
    ]

    operations = [
        migrations.AddField(
            model_name="message",
            name="reason_code",
            field=models.CharField(blank=True, max_length=40, verbose_name="reason code"),
        ),
        migrations.AddField(
            model_name="message",
            name="reason_params",
            field=models.JSONField(blank=True, default=dict, verbose_name="reason parameters"),
        ),
        migrations.RunPython(forwards, migrations.RunPython.noop),
    ]
