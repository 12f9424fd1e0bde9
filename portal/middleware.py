import re
import uuid

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
