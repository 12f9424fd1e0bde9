from django.db import models
from django.utils.translation import gettext_lazy as _
from django_tenants.models import DomainMixin, TenantMixin


class Office(TenantMixin):
    """An accounting office (biuro rachunkowe): one PostgreSQL schema of its own."""

    slug = models.SlugField(_("address"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=200)
    owner_email = models.EmailField(_("owner e-mail"))
    created_at = models.DateTimeField(auto_now_add=True)
    is_active = models.BooleanField(default=True)
    # A copy of the office settings' logo name (``OfficeSettings.logo``, kept by ``update_office_settings``), so
    # every page's header and the login page can show the logo from the row the host routing already loaded,
    # without reading the office's schema. "" when the office has no logo.
    logo_file = models.CharField(_("logo file"), max_length=200, blank=True, default="")

    # The schema is cloned from the template by provisioning, never on a bare save().
    auto_create_schema = False
    auto_drop_schema = False

    class Meta:
        verbose_name = _("office")
        verbose_name_plural = _("offices")

    def __str__(self):
        return self.name

    @property
    def logo_version(self) -> str:
        """Changes with every new logo: added to the logo's URL, which browsers may cache for a day."""
        return self.logo_file.rsplit("/", 1)[-1].split(".")[0] if self.logo_file else ""


class Domain(DomainMixin):
    class Meta:
        verbose_name = _("domain")
        verbose_name_plural = _("domains")
