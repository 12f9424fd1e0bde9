"""Where an office lives on the web: its host name and absolute URLs.

Here, in the base layer, so that activation e-mails (accounts) and provisioning
can both build links without accounts importing provisioning.
"""

from django.conf import settings


def office_host(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def office_url(slug: str, path: str = "/") -> str:
    port = f":{settings.PUBLIC_URL_PORT}" if settings.PUBLIC_URL_PORT else ""
    return f"{settings.PUBLIC_URL_SCHEME}://{office_host(slug)}{port}{path}"
