from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OfficesConfig(AppConfig):
    """The platform side of an office: Office and Domain in the public schema."""

    name = "offices"
    label = "offices"
    verbose_name = _("Offices")
    default_auto_field = "django.db.models.BigAutoField"
