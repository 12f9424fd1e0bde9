from django.conf import settings
from django.db import models
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
