import datetime
import secrets
import time

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Agent(models.Model):
    """A desktop agent of the office, authenticated by a bearer token stored only as a hash."""

    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    token_prefix = models.CharField(_("token starts with"), max_length=12, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+")
    last_seen_at = models.DateTimeField(_("last seen"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    version = models.CharField(_("agent version"), max_length=50, blank=True)
    os = models.CharField(_("operating system"), max_length=100, blank=True)
    hostname = models.CharField(_("computer"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("agent")
        verbose_name_plural = _("agents")
        ordering = ["name", "id"]

    def __str__(self):
        return self.name

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None


# --- Batches, idempotency, event log, error reports ----------------------------------------------

# Event times are stored and shown in local time: both must stay within what PostgreSQL and Python hold.
EVENT_TIME_MIN = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
EVENT_TIME_MAX = datetime.datetime(2101, 1, 1, tzinfo=datetime.UTC)  # exclusive: 2100 is the last year

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_ulid() -> str:
    """A ULID: 48-bit millisecond timestamp + 80 random bits, Crockford base32, 26 characters.

    Sorts by creation time, unique without coordination between processes.
    """
    value = (int(time.time() * 1000) << 80) | secrets.randbits(80)
    chars = []
    for _i in range(26):
        chars.append(_CROCKFORD[value & 31])
        value >>= 5
    return "".join(reversed(chars))


def new_batch_id() -> str:
    return "b_" + new_ulid()


class BatchStatus(models.TextChoices):
    APPLIED = "applied", _("applied")
    PARTIALLY_APPLIED = "partially_applied", _("partially applied")
    REJECTED = "rejected", _("rejected")


class Batch(models.Model):
    """One accepted ``POST batches`` (or exchange file): what came in and the response it got."""

    class Source(models.TextChoices):
        API = "api", _("agent API")
        FILE = "file", _("exchange file")

    public_id = models.CharField(_("batch"), max_length=28, unique=True, default=new_batch_id, editable=False)
    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="batches",
                              verbose_name=_("agent"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.API)
    program = models.CharField(_("program"), max_length=20)
    program_version = models.CharField(_("program version"), max_length=50, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=BatchStatus.choices)
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    duration_ms = models.PositiveIntegerField(_("processing time (ms)"), default=0)
    body_bytes = models.PositiveBigIntegerField(_("size (bytes)"), default=0)
    # The exact 200 body the agent got, served again by GET batches/{id}.
    response = models.JSONField(_("response"), default=dict)

    class Meta:
        verbose_name = _("batch")
        verbose_name_plural = _("batches")
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return self.public_id


class IdempotencyRecord(models.Model):
    """One ``Idempotency-Key`` of one agent: claimed (in flight), then holding the stored response."""

    class State(models.TextChoices):
        IN_FLIGHT = "in_flight", _("in flight")
        DONE = "done", _("done")

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    endpoint = models.CharField(max_length=30)
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=10, choices=State.choices, default=State.IN_FLIGHT)
    # Changes on every (re-)claim: only the current owner may store the response.
    claim_token = models.UUIDField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    claimed_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The exact JSON text that was sent, so a replay is byte-for-byte the same (jsonb would reorder keys).
    response_body = models.TextField(null=True, blank=True)
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["agent", "key"], name="sync_idempotency_agent_key")]

    def __str__(self):
        return f"{self.agent_id}:{self.key}"


class EventLevel(models.TextChoices):
    INFO = "info", _("information")
    WARNING = "warning", _("warning")
    ERROR = "error", _("error")


class Event(models.Model):
    """The office's event log (dziennik zdarzeń): what agents reported and what the portal did with batches."""

    class Source(models.TextChoices):
        AGENT = "agent", _("agent")
        PORTAL = "portal", _("portal")

    at = models.DateTimeField(_("time"), db_index=True)
    received_at = models.DateTimeField(_("received"), default=timezone.now)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.AGENT)
    level = models.CharField(_("level"), max_length=10, choices=EventLevel.choices, default=EventLevel.INFO)
    code = models.CharField(_("code"), max_length=64)
    message = models.TextField(_("message"), blank=True)
    program = models.CharField(_("program"), max_length=20, blank=True)
    nip = models.CharField(_("NIP"), max_length=10, blank=True, db_index=True)
    details = models.JSONField(_("details"), default=dict, blank=True)
    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="events",
                              verbose_name=_("agent"))
    batch = models.ForeignKey(Batch, null=True, blank=True, on_delete=models.SET_NULL, related_name="events",
                              verbose_name=_("batch"))

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("event log")
        ordering = ["-at", "-id"]
        constraints = [
            # Python and the page must be able to show every stored time (sync.events validates the same).
            models.CheckConstraint(condition=models.Q(at__gte=EVENT_TIME_MIN, at__lt=EVENT_TIME_MAX),
                                   name="sync_event_at_in_bounds"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.level} {self.code}"


class ErrorReport(models.Model):
    """*Zgłoś błąd*: a crash or problem report sent by an agent, shown to the office admins."""

    agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="error_reports",
                              verbose_name=_("agent"))
    received_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)
    message = models.TextField(_("message"))
    stacktrace = models.TextField(_("stack trace"), blank=True)
    agent_version = models.CharField(_("agent version"), max_length=50, blank=True)
    agent_os = models.CharField(_("operating system"), max_length=100, blank=True)
    agent_hostname = models.CharField(_("computer"), max_length=100, blank=True)
    runtime = models.JSONField(_("runtime"), default=dict, blank=True)
    client_ip = models.GenericIPAddressField(_("IP address"), null=True, blank=True)

    class Meta:
        verbose_name = _("error report")
        verbose_name_plural = _("error reports")
        ordering = ["-received_at", "-id"]

    def __str__(self):
        return f"{self.received_at:%Y-%m-%d %H:%M} {self.message[:50]}"
