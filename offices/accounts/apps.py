from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    """Inside an office's schema: its logins (staff and clients), roles and settings.

    A separate Django app from ``offices`` because django-tenants decides per app
    which schemas get its tables (docs/architecture.md).
    """

    name = "offices.accounts"
    label = "accounts"
    verbose_name = _("Office accounts")
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self):
        # Django's way to connect receivers: the app registry must be ready before the module imports models.
        from offices.accounts import signals  # noqa: F401, PLC0415
