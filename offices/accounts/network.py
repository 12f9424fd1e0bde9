"""The client's real IP address, behind a configured number of trusted reverse proxies.

Each proxy we run appends the address it received the request from to ``X-Forwarded-For``. With
``TRUSTED_PROXY_COUNT = n`` the n-th entry from the right is the address our outermost proxy saw: the
client. Anything further left was written by the client and is never believed. With no trusted proxies
(or a header shorter than the chain, i.e. a request that bypassed it) the socket's address counts.
"""

import ipaddress

from django.conf import settings


def client_ip(request) -> str | None:
    """The client's IP address (normalised), or ``None`` if there is no valid one."""
    candidates = []
    trusted = settings.TRUSTED_PROXY_COUNT
    if trusted:
        hops = [hop.strip() for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= trusted:
            candidates.append(hops[-trusted])
    candidates.append(request.META.get("REMOTE_ADDR", ""))
    for candidate in candidates:
        try:
            return str(ipaddress.ip_address(candidate))
        except ValueError:
            continue
    return None
