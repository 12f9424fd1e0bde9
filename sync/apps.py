from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SyncConfig(AppConfig):
    """The agent side: tokens, ingestion API, batches, idempotency, event log, importers."""

    name = "sync"
    verbose_name = _("Synchronisation")
    default_auto_field = "django.db.models.BigAutoField"
