"""A safety net for everything under ``/api/agent/v1/`` that happens before our views.

The office is chosen from the host by the tenant middleware, which queries the
database before any view runs: an unknown office gives an HTML 404 page and a
database that is down raises out of the middleware (Django then renders its
HTML 500). Under the API prefix this middleware turns any such non-problem error
response into ``application/problem+json`` — a database error into
``503`` with ``Retry-After``. Install it *before* the tenant middleware::

    MIDDLEWARE = ["portal.middleware.RequestIdMiddleware", "sync.api.middleware.AgentApiErrorMiddleware", ...]
"""

from __future__ import annotations

import logging
import sys

from django.core.signals import got_request_exception
from django.db import InterfaceError, OperationalError
from django.utils.translation import gettext as _

from sync.api.problems import PROBLEM_CONTENT_TYPE, database_outage, is_api_path, problem, unavailable

_CODES = {
    400: "invalid_body", 401: "not_authenticated", 403: "permission_denied", 404: "not_found",
    405: "method_not_allowed", 406: "not_acceptable", 413: "body_too_large", 414: "uri_too_long",
    415: "unsupported_media_type", 429: "rate_limited", 501: "not_implemented", 503: "service_unavailable",
}
_DETAILS = {
    400: lambda: _("The request could not be read."),
    404: lambda: _("Not found: check the office address (host) and the path."),
    405: lambda: _("This method is not allowed here."),
    413: lambda: _("The request body is too large."),
}


def _remember_exception(sender, request=None, **kwargs):
    if request is not None and getattr(request, "_agent_api", False):
        request._agent_api_exception = sys.exc_info()[1]


got_request_exception.connect(_remember_exception, dispatch_uid="sync.api.middleware.remember_exception")


#: An error answered before the body was read: the body is read (and dropped) up to this size, so the
#: kept-alive connection stays usable for the client's next request (gunicorn itself drains only 64 KiB
#: and then closes a connection it declared keep-alive). Behind the proxy nginx has read it already.
DRAIN_LIMIT_BYTES = 16 * 1024 * 1024


def drain_unread_body(request) -> None:
    if getattr(request, "_read_started", True):
        return
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if 0 < length <= DRAIN_LIMIT_BYTES:
        try:
            while request.read(256 * 1024):
                pass
        except OSError:  # the client went away or stalled: nothing to keep alive
            pass


class HandledUnavailableFilter(logging.Filter):
    """``django.request`` logs a database outage under the API as "Internal Server Error" with a traceback,
    then the 503 this middleware answered as an error: for a handled condition that pages nobody, it
    becomes one warning naming the cause (installed on ``django.request`` by ``portal/settings.py``)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if getattr(record, "biurko_rewritten", False):
            return True  # rewritten by another instance (configuring logging twice installs the filter twice)
        request = getattr(record, "request", None)
        status = getattr(record, "status_code", None)
        if request is None or not getattr(request, "_agent_api", False) or status not in (500, 503):
            return True
        exc = record.exc_info[1] if record.exc_info else getattr(request, "_agent_api_exception", None)
        database_down = isinstance(exc, (OperationalError, InterfaceError))
        if status == 500 and not database_down:
            return True  # a real internal error stays an error, with its traceback
        if record.exc_info is None and database_down:
            return False  # the final "Service Unavailable" line of an outage already logged as a warning
        record.levelno, record.levelname = logging.WARNING, logging.getLevelName(logging.WARNING)
        record.biurko_rewritten = True
        if database_down:
            cause = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            record.msg, record.args = "agent API: database unavailable (answered 503): %s %s: %s", (
                request.method, request.path, cause)
            record.exc_info, record.exc_text = None, None
        return True  # a 503 the API answered itself (its cause is logged by sync.api): a warning


class AgentApiErrorMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not is_api_path(request.path_info):
            return self.get_response(request)
        request._agent_api = True
        response = self.get_response(request)
        if response.status_code < 500:
            database_outage.seen_up()  # the request went through the tenant middleware: the database answered
        if response.status_code >= 400:
            drain_unread_body(request)
        if response.status_code < 400 or response.get("Content-Type", "").startswith(PROBLEM_CONTENT_TYPE):
            return response
        exc = getattr(request, "_agent_api_exception", None)
        if isinstance(exc, (OperationalError, InterfaceError)):
            return unavailable()
        if response.status_code == 503:
            return unavailable(database_down=False)
        status = response.status_code
        code = _CODES.get(status, "server_error" if status >= 500 else "invalid_body")
        detail = _DETAILS.get(status, lambda: _("The request failed (HTTP %(status)d).") % {"status": status})()
        headers = {name: response[name] for name in ("Allow", "Retry-After", "WWW-Authenticate") if name in response}
        return problem(code, detail, status=status, headers=headers)
