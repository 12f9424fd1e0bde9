import re
import uuid

from django.conf import settings
from django.utils.cache import add_never_cache_headers

from portal.logging import current_office, current_request_id

# A proxy's request id is reused only when it looks like one (no log injection).
_SAFE_REQUEST_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")


class RequestIdMiddleware:
    """Gives every request an id, logged on every line and echoed as X-Request-ID."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        incoming = request.headers.get("X-Request-ID", "")
        request.id = incoming if _SAFE_REQUEST_ID.match(incoming) else uuid.uuid4().hex
        # Not reset on the way out: Django logs the response (e.g. "Not Found") after
        # the middleware returns, and that line must carry the ids too.
        current_request_id.set(request.id)
        current_office.set("-")
        response = self.get_response(request)
        response["X-Request-ID"] = request.id
        return response


# No inline scripts, styles or event handlers anywhere: an injected <script> or onerror= never runs.
# Static files come from our own origin; the QR codes and the logo are same-origin images.
CONTENT_SECURITY_POLICY = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self'",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


class SecurityHeadersMiddleware:
    """A strict Content-Security-Policy on every response and ``no-store`` on every dynamic one.

    A view that needs another policy (the agent API's Swagger UI) or its own caching (the logo, static
    files) sets the header itself; this only fills in what is missing. Dynamic pages show figures or
    personal data, so by default no browser or proxy keeps a copy.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        if "Cache-Control" not in response and not request.path_info.startswith(settings.STATIC_URL):
            add_never_cache_headers(response)
        return response
