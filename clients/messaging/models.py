"""The outbox (docs/messaging.md).

One ``Message`` per person × channel × purpose, identified by a unique de-duplication key, so
a retried approval, a double click or two workers never produce a second message. A message
is created in the same transaction as the action that caused it and claimed by exactly one
worker (``status`` QUEUED → SENDING with a conditional UPDATE).
"""

from django.contrib.postgres.fields import ArrayField
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from clients.messaging.reasons import suppression_text, suspension_text, text_of


class Channel(models.TextChoices):
    SMS = "sms", _("SMS")
    EMAIL = "email", _("e-mail")


class Purpose(models.TextChoices):
    SUMMARY = "summary", _("monthly summary")
    CORRECTION = "correction", _("correction")
    REMINDER = "reminder", _("payment reminder")
    INVITATION = "invitation", _("invitation")
    OFFICE_ALERT = "office_alert", _("office alert")


class Status(models.TextChoices):
    QUEUED = "queued", _("queued")
    SENDING = "sending", _("sending")
    SENT = "sent", _("sent")
    DELIVERED = "delivered", _("delivered")
    FAILED = "failed", _("failed")
    # The provider may or may not have taken it (timeout, worker lost): reconciled, never resent blindly.
    UNKNOWN = "unknown", _("unknown")
    CANCELLED = "cancelled", _("cancelled")


#: Statuses a message never leaves by itself (a provider callback may still move SENT → DELIVERED/FAILED).
FINAL_STATUSES = (Status.DELIVERED, Status.FAILED, Status.CANCELLED)
#: The provider has (or may have) the message: a later summary of the same month is a correction.
SENT_STATUSES = (Status.SENT, Status.DELIVERED, Status.UNKNOWN)


class Message(models.Model):
    dedup_key = models.CharField(_("de-duplication key"), max_length=64, unique=True)
    purpose = models.CharField(_("purpose"), max_length=16, choices=Purpose.choices)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    company = models.ForeignKey("clients.Company", null=True, blank=True, on_delete=models.CASCADE,
                                related_name="messages", verbose_name=_("company"))
    period = models.DateField(_("period"), null=True, blank=True)
    person = models.ForeignKey("clients.Person", null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="messages", verbose_name=_("person"))
    # The phone number or e-mail address at the time the message was created.
    recipient = models.CharField(_("recipient"), max_length=254)
    # What a summary or correction showed: the approved revisions of the month (a correction compares them).
    revision_ids = ArrayField(models.BigIntegerField(), default=list, blank=True)
    subject = models.CharField(_("subject"), max_length=255, blank=True)
    body = models.TextField(_("text"))
    html = models.TextField(_("HTML"), blank=True)
    encoding = models.CharField(_("SMS encoding"), max_length=8, blank=True)
    segments = models.PositiveSmallIntegerField(_("SMS segments"), null=True, blank=True)

    send_at = models.DateTimeField(_("send at"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # When a send task was last put on the broker for it (the beat does not flood the broker).
    enqueued_at = models.DateTimeField(null=True, blank=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Times it was sent again although it may have left already (e-mail of unknown fate, "Send again").
    resends = models.PositiveSmallIntegerField(_("resends"), default=0)
    provider_id = models.CharField(_("provider's id"), max_length=64, blank=True)
    error_code = models.CharField(_("error code"), max_length=32, blank=True)
    # Why it is where it is: a code and its parameters (clients.messaging.reasons renders them in the reader's
    # language); ``reason`` keeps the English sentence for the operator's logs and rows from before the codes.
    reason_code = models.CharField(_("reason code"), max_length=40, blank=True)
    reason_params = models.JSONField(_("reason parameters"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["send_at"], condition=Q(status="queued"), name="message_due"),
            models.Index(fields=["claimed_at"], condition=Q(status__in=["sending", "unknown"]),
                         name="message_in_flight"),
            models.Index(fields=["company", "period"], name="message_company_period"),
            models.Index(fields=["provider_id"], condition=~Q(provider_id=""), name="message_provider_id"),
        ]

    def __str__(self):
        return f"{self.purpose} {self.channel} → {self.recipient} ({self.status})"

    @property
    def reason_text(self) -> str:
        return text_of(self)


class Suppression(models.Model):
    """An address the provider told us never to send to again (invalid number, opted out with STOP)."""

    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    address = models.CharField(_("address"), max_length=254)
    error_code = models.CharField(_("error code"), max_length=32, blank=True)
    # Why, as a code and parameters (clients.messaging.reasons, in the reader's language); ``reason`` keeps the
    # English sentence for the operator's logs.
    reason_code = models.CharField(_("reason code"), max_length=40, blank=True)
    reason_params = models.JSONField(_("reason parameters"), default=dict, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    created_at = models.DateTimeField(_("since"), auto_now_add=True)

    class Meta:
        verbose_name = _("suppressed address")
        verbose_name_plural = _("suppressed addresses")
        constraints = [models.UniqueConstraint(fields=["channel", "address"], name="suppression_unique")]

    def __str__(self):
        return f"{self.channel}:{self.address}"

    @property
    def reason_text(self) -> str:
        """Why the provider refused the address, in the reader's language (rows from before the codes: from
        the provider's error code)."""
        return suppression_text(self)


class OfficeMessaging(models.Model):
    """Per-office sending options and state (one row per office schema)."""

    singleton = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    sms_unicode = models.BooleanField(
        _("SMS with Polish letters"), default=False,
        help_text=_("Keep ą, ę, ł… in SMS (Unicode: 70 characters per part instead of 160, so up to twice the "
                    "cost). Off: letters are replaced by their plain forms."))
    messaging_service_sid = models.CharField(
        _("Twilio Messaging Service SID"), max_length=34, blank=True,
        validators=[RegexValidator(r"^MG[0-9a-fA-F]{32}$", _("A Messaging Service SID is MG and 32 hex digits."))],
        help_text=_("Used instead of the SMS sender name when set."))
    # Set when the provider rejected the credentials: no SMS leaves the office until an admin resumes it.
    sms_suspended_at = models.DateTimeField(_("SMS suspended"), null=True, blank=True)
    sms_suspended_reason = models.TextField(_("why SMS is suspended"), blank=True)  # English, for the logs
    sms_suspended_reason_code = models.CharField(_("why SMS is suspended (code)"), max_length=40, blank=True)
    sms_suspended_reason_params = models.JSONField(_("why SMS is suspended (parameters)"), default=dict,
                                                   blank=True)

    class Meta:
        verbose_name = _("messaging options")
        verbose_name_plural = _("messaging options")
        constraints = [models.CheckConstraint(condition=Q(singleton=1), name="office_messaging_singleton")]

    def __str__(self):
        return "messaging options"

    @property
    def sms_suspended_reason_text(self) -> str:
        """Why SMS is suspended, in the reader's language ('' when it is not)."""
        return suspension_text(self) if self.sms_suspended_at else ""

    @classmethod
    def load(cls) -> "OfficeMessaging":
        row, _created = cls.objects.get_or_create(singleton=1)
        return row
