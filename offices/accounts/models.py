import datetime
import uuid

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.contrib.postgres.fields import ArrayField
from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _

from offices.accounts.validators import (
    LOGO_CONTENT_TYPES,
    MAX_DAYS_BEFORE_DUE,
    validate_sms_sender,
    validate_smtp_host,
)


class Role(models.TextChoices):
    OWNER = "owner", _("Owner")
    ADMIN = "admin", _("Administrator")
    BOOKKEEPER = "bookkeeper", _("Bookkeeper")
    CLIENT = "client", _("Client")


STAFF_ROLES = (Role.OWNER, Role.ADMIN, Role.BOOKKEEPER)
ADMIN_ROLES = (Role.OWNER, Role.ADMIN)


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create(self, email, password, **fields):
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **fields):
        fields.setdefault("is_staff", False)
        fields.setdefault("is_superuser", False)
        return self._create(email, password, **fields)

    def create_superuser(self, email, password=None, **fields):
        fields.update(is_staff=True, is_superuser=True, role=Role.OWNER)
        return self._create(email, password, **fields)


class User(AbstractUser):
    """A login of one office. The same e-mail in two offices is two unrelated users."""

    username = None
    email = models.EmailField(_("e-mail address"), unique=True)
    role = models.CharField(_("role"), max_length=20, choices=Role.choices, default=Role.CLIENT)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []
    objects = UserManager()

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")

    def __str__(self):
        return self.get_full_name() or self.email

    def save(self, *args, **kwargs):
        # E-mail is the login: one case-insensitive spelling per office.
        self.email = (self.email or "").strip().lower()
        super().save(*args, **kwargs)

    @property
    def is_office_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_office_admin(self) -> bool:
        return self.role in ADMIN_ROLES


class SmtpSecurity(models.TextChoices):
    STARTTLS = "starttls", _("STARTTLS (usually port 587)")
    SSL = "ssl", _("SSL/TLS (usually port 465)")
    NONE = "none", _("none (unencrypted)")


def default_reminder_days() -> list[int]:
    return [3, 1]


def logo_upload_to(instance, filename: str) -> str:
    # The default (tenant-aware) storage puts this under MEDIA_ROOT/<schema>/; a fresh name per upload
    # so browsers and proxies never show a stale logo. The service names the file after its detected
    # format; any other extension (a name chosen by an uploader) is never kept.
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if extension not in LOGO_CONTENT_TYPES:
        extension = "bin"
    return f"branding/logo-{uuid.uuid4().hex[:12]}.{extension}"


class OfficeSettings(models.Model):
    """Office-wide options, one row per office schema (the agent API reads them)."""

    singleton = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    # --- Synchronisation (read by the agent API) ---
    update_basic_data = models.BooleanField(
        _("update basic data"), default=False,
        help_text=_("Synced basic data overwrites what the office entered, not only blanks."),
    )
    approve_on_sync = models.BooleanField(
        _("approve on sync"), default=False,
        help_text=_("Figures from the programs are published to clients at once, without a bookkeeper's approval."),
    )
    send_activation = models.BooleanField(
        _("send activation e-mails"), default=False,
        help_text=_("People synced with an e-mail address get an invitation to activate their client account."),
    )
    # Payments (clients.payment_status): approved items of months before it are history, not debts.
    go_live_month = models.DateField(
        _("go-live month"), null=True, blank=True,
        help_text=_("Items of earlier months count as settled (without payment confirmation) unless a settlement "
                    "or the client's mark says otherwise. Empty: every month counts."))
    copy_zus_from_previous = models.BooleanField(
        _("copy ZUS from previous months"), default=False,
        help_text=_("When a month has no ZUS contributions yet, show the previous month's amounts as a forecast."),
    )
    match_payers = models.BooleanField(
        _("match payers to companies"), default=True,
        help_text=_("ZUS data of a payer (e.g. from Płatnik) is attached to the company with the same NIP "
                    "or owner's PESEL."),
    )
    auto_create_companies = models.BooleanField(
        _("create unknown companies"), default=True,
        help_text=_("A company the portal does not know yet is created when an agent sends it."),
    )
    sync_interval_minutes = models.PositiveIntegerField(
        _("sync interval (minutes)"), default=60, validators=[MinValueValidator(5), MaxValueValidator(1440)],
        help_text=_("How often the agents send data, from 5 minutes to once a day."),
    )
    # --- Branding and sending ---
    logo = models.FileField(_("logo"), upload_to=logo_upload_to, blank=True)
    sms_sender = models.CharField(
        _("SMS sender name"), max_length=16, blank=True, validators=[validate_sms_sender],
        help_text=_("Up to 11 letters and digits (at least one letter), or a phone number with the country code."),
    )
    email_from_name = models.CharField(
        _("e-mail sender name"), max_length=100, blank=True,
        help_text=_("The name clients see as the sender; the office's name when empty."),
    )
    reply_to_email = models.EmailField(
        _("reply-to address"), blank=True,
        help_text=_("Where clients' replies to the portal's e-mails go."),
    )
    brand_color = models.CharField(
        _("brand colour"), max_length=7, blank=True,
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", _("Enter a colour as # and six hex digits, e.g. #1f4e79."))],
        help_text=_("The colour of the header and buttons in e-mails, e.g. #1f4e79. Empty: the portal's colour."))
    contact_phone = models.CharField(
        _("office phone"), max_length=40, blank=True,
        help_text=_("Shown in the footer of e-mails, with the reply-to address."))
    # --- The office's own SMTP server (offices.accounts.mail); empty host: the platform's ---
    smtp_host = models.CharField(
        _("SMTP server"), max_length=255, blank=True, validators=[validate_smtp_host],
        help_text=_("E.g. smtp.example.com. Empty: e-mails leave through the portal's server."))
    smtp_port = models.PositiveIntegerField(
        _("SMTP port"), default=587, validators=[MinValueValidator(1), MaxValueValidator(65535)],
        help_text=_("Usually 587 with STARTTLS, 465 with SSL/TLS."))
    smtp_security = models.CharField(_("connection security"), max_length=8, choices=SmtpSecurity.choices,
                                     default=SmtpSecurity.STARTTLS)
    smtp_username = models.CharField(_("SMTP user"), max_length=254, blank=True)
    # Fernet token (offices.accounts.encryption), never the password itself; never shown back in a form.
    smtp_password_encrypted = models.TextField(_("SMTP password (encrypted)"), blank=True, editable=False)
    smtp_from_email = models.EmailField(
        _("sender address"), blank=True,
        help_text=_("The From address of e-mails sent through the office's server (one it may send as)."))
    reminder_days = ArrayField(
        models.PositiveSmallIntegerField(validators=[MaxValueValidator(MAX_DAYS_BEFORE_DUE)]),
        size=5, default=default_reminder_days, blank=True,
        verbose_name=_("reminders before the due date (days)"),
    )
    quiet_hours_start = models.TimeField(_("no SMS from"), default=datetime.time(21, 0))
    quiet_hours_end = models.TimeField(_("no SMS until"), default=datetime.time(8, 0))
    undo_window_minutes = models.PositiveSmallIntegerField(
        _("undo window (minutes)"), default=5, validators=[MaxValueValidator(60)],
        help_text=_("How long after an approval the summary waits before it is sent, so it can be undone."),
    )
    # --- Access ---
    bookkeepers_see_assigned_only = models.BooleanField(
        _("bookkeepers see only their companies"), default=False,
        help_text=_("A bookkeeper sees only the companies assigned to them; owners and administrators see all."),
    )
    require_mfa_for_admins = models.BooleanField(
        _("require two-factor authentication for owners and administrators"), default=False,
        help_text=_("Owners and administrators must set up an authenticator app before they use the panel."),
    )
    # --- Privacy (clients/privacy.py, docs/privacy.md) ---
    retention_months = models.PositiveSmallIntegerField(
        _("erase departed companies' personal data after (months)"), null=True, blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(1200)],
        help_text=_("Months after a company left the office (synchronisation switched off); empty: never "
                    "automatically. The figures are kept as long as the tax law requires."),
    )

    class Meta:
        verbose_name = _("office settings")
        verbose_name_plural = _("office settings")
        constraints = [models.CheckConstraint(condition=models.Q(singleton=1), name="office_settings_singleton")]

    def __str__(self):
        return "office settings"

    @property
    def uses_own_smtp(self) -> bool:
        return bool(self.smtp_host)

    @property
    def has_smtp_password(self) -> bool:
        return bool(self.smtp_password_encrypted)

    @classmethod
    def load(cls) -> "OfficeSettings":
        settings_row, _created = cls.objects.get_or_create(singleton=1)
        return settings_row

    def in_quiet_hours(self, moment: datetime.time) -> bool:
        """True when an SMS must wait (the window may wrap past midnight, as 21:00–08:00 does)."""
        start, end = self.quiet_hours_start, self.quiet_hours_end
        if start == end:
            return False
        if start < end:
            return start <= moment < end
        return moment >= start or moment < end


class AuditAction(models.TextChoices):
    SETTINGS_CHANGED = "settings_changed", _("changed the office settings")
    STAFF_INVITED = "staff_invited", _("invited a staff member")
    ROLE_CHANGED = "role_changed", _("changed a role")
    USER_DEACTIVATED = "user_deactivated", _("deactivated a login")
    USER_REACTIVATED = "user_reactivated", _("reactivated a login")
    AGENT_REGISTERED = "agent_registered", _("registered an agent")
    AGENT_REVOKED = "agent_revoked", _("revoked an agent")
    PERSONAL_DATA_EXPORTED = "personal_data_exported", _("exported a person's personal data")
    PERSONAL_DATA_ERASED = "personal_data_erased", _("erased a person's personal data")
    RETENTION_ERASED = "retention_erased", _("erased a departed company's personal data")


class AuditEntry(models.Model):
    """Who changed what in the office's administration (settings, staff, agents), and when."""

    created_at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                              related_name="+", verbose_name=_("who"))
    # Kept even if the login is later removed.
    actor_email = models.EmailField(_("who (e-mail)"), blank=True)
    action = models.CharField(_("what"), max_length=30, choices=AuditAction.choices)
    target = models.CharField(_("target"), max_length=254, blank=True)
    details = models.JSONField(_("details"), default=dict, blank=True)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.actor_email} {self.action} {self.target}"

    @property
    def details_text(self) -> str:
        """The details in the reader's language: settings by their labels, roles by their names."""
        return audit_details_text(self.details or {})


def _role_name(value) -> str:
    return str(Role(value).label) if value in Role.values else str(value)


def _setting_label(name: str) -> str:
    try:
        return str(capfirst(OfficeSettings._meta.get_field(name).verbose_name))
    except FieldDoesNotExist:
        return {"smtp_password": str(_("SMTP password"))}.get(name, name.replace("_", " ").capitalize())


def audit_details_text(details: dict) -> str:
    """One line for an audit entry's details (``{"role": "bookkeeper"}`` → "rola: księgowy")."""
    parts = []
    for key, value in details.items():
        if key == "changed":
            parts.append(", ".join(_setting_label(name) for name in value))
        elif key == "role":
            parts.append(_("role: %(role)s") % {"role": _role_name(value)})
        elif key == "from":
            parts.append(_("before: %(role)s") % {"role": _role_name(value)})
        elif key == "to":
            parts.append(_("now: %(role)s") % {"role": _role_name(value)})
        elif key == "resent":
            parts.append(str(_("sent again")) if value else "")
        elif key == "companies":
            parts.append(_("companies: %(count)s") % {"count": len(value or ())})
        elif key == "people":
            parts.append(_("people: %(count)s") % {"count": value})
        elif key == "deleted":
            parts.append(str(_("company deleted")) if value else "")
        else:
            parts.append(f"{key.replace('_', ' ').capitalize()}: {value}")
    return "; ".join(part for part in parts if part)
