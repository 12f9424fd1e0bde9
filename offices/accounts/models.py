from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


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


class OfficeSettings(models.Model):
    """Office-wide options, one row per office schema (the agent API reads them)."""

    singleton = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    update_basic_data = models.BooleanField(
        _("update basic data"), default=False,
        help_text=_("Synced basic data overwrites what the office entered, not only blanks."),
    )
    approve_on_sync = models.BooleanField(_("approve on sync"), default=False)
    send_activation = models.BooleanField(_("send activation e-mails"), default=False)
    copy_zus_from_previous = models.BooleanField(_("copy ZUS from previous months"), default=False)
    match_payers = models.BooleanField(_("match payers to companies"), default=True)
    auto_create_companies = models.BooleanField(_("create unknown companies"), default=True)
    sync_interval_minutes = models.PositiveIntegerField(_("sync interval (minutes)"), default=60)
    sms_sender = models.CharField(_("SMS sender name"), max_length=11, blank=True)
    email_from_name = models.CharField(_("e-mail sender name"), max_length=100, blank=True)
    reply_to_email = models.EmailField(_("reply-to address"), blank=True)

    class Meta:
        verbose_name = _("office settings")
        verbose_name_plural = _("office settings")
        constraints = [models.CheckConstraint(condition=models.Q(singleton=1), name="office_settings_singleton")]

    def __str__(self):
        return "office settings"

    @classmethod
    def load(cls) -> "OfficeSettings":
        settings_row, _created = cls.objects.get_or_create(singleton=1)
        return settings_row
