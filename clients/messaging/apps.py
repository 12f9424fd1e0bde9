from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MessagingConfig(AppConfig):
    """The outbox: summaries, corrections, reminders and invitations by SMS and e-mail, sent exactly once."""

    name = "clients.messaging"
    label = "messaging"
    verbose_name = _("Messages")
    default_auto_field = "django.db.models.BigAutoField"
