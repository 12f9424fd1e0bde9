from allauth.account.adapter import DefaultAccountAdapter
from django.core.exceptions import PermissionDenied

from offices.accounts.network import client_ip


class OfficeAccountAdapter(DefaultAccountAdapter):
    """Offices invite their staff and clients; nobody signs up on an office host."""

    def is_open_for_signup(self, request):
        return False

    def get_client_ip(self, request) -> str:
        # allauth's own reading raises ImproperlyConfigured (a 500) for a short X-Forwarded-For;
        # ours falls back to the socket's address. Every rate limit "per ip" uses this.
        ip = client_ip(request)
        if not ip:
            raise PermissionDenied("Unable to determine the client's IP address.")
        return ip

    def _get_login_attempts_cache_key(self, request, **credentials) -> str:
        # The "per key" login limit counts failures per account *and* address: a stranger failing on
        # someone's account from elsewhere never locks its owner out (the "per ip" limit stops the stranger).
        return f"{super()._get_login_attempts_cache_key(request, **credentials)}:{self.get_client_ip(request)}"
