from django.conf import settings
from django.db import connection
from django.shortcuts import render
from django_tenants.middleware.main import TenantMainMiddleware

from portal.logging import current_office


class OfficeHostMiddleware(TenantMainMiddleware):
    """Routes ``{slug}.BASE_DOMAIN`` to the office's schema and ``BASE_DOMAIN`` to the public site.

    Any other host (an office that does not exist or was deactivated) gets a plain
    404 page, never the public site: a typo in an office address must not look
    like a working portal.
    """

    @staticmethod
    def hostname_from_request(request):
        # Host names are case-insensitive (RFC 4343): DEMO.localhost is the demo office.
        return TenantMainMiddleware.hostname_from_request(request).lower()

    def get_tenant(self, domain_model, hostname):
        tenant = super().get_tenant(domain_model, hostname)
        if not tenant.is_active:
            raise domain_model.DoesNotExist
        return tenant

    def process_request(self, request):
        response = super().process_request(request)
        if response is None and getattr(request, "tenant", None) is not None:
            current_office.set(request.tenant.schema_name)
        return response

    def no_tenant_found(self, request, hostname):
        if hostname == settings.BASE_DOMAIN:
            request.tenant = connection.tenant  # django-tenants' FakeTenant for "public"
            self.setup_url_routing(request, force_public=True)
            current_office.set("public")
            return None
        return render(request, "offices/no_such_office.html", {"hostname": hostname}, status=404)
