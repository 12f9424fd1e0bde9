"""Every exception under the agent API becomes a problem response (never an HTML page, never a bare 500)."""

from __future__ import annotations

import logging

import psycopg
from django.core.exceptions import PermissionDenied
from django.db import InterfaceError, OperationalError
from django.http import Http404, UnreadablePostError
from django.utils.translation import gettext as _
from rest_framework import exceptions

from sync.api.authentication import AUTH_REALM
from sync.api.problems import ProblemError, problem, unavailable

logger = logging.getLogger("sync.api")


def api_exception_handler(exc, context):
    if isinstance(exc, ProblemError):
        return exc.response()
    # psycopg's own errors too: the bulk writer (clients.bulk) talks to psycopg directly.
    if isinstance(exc, (OperationalError, InterfaceError, psycopg.OperationalError, psycopg.InterfaceError)):
        logger.warning("agent API: database unavailable (answered 503): %s", str(exc).splitlines()[0] if str(exc)
                       else type(exc).__name__)
        return unavailable()
    if isinstance(exc, UnreadablePostError):
        # The client stopped sending or went away mid-body (gunicorn cut a slow one off): nobody reads the
        # answer, and it is no error of ours.
        logger.warning("agent API: the request body could not be read: %s", exc)
        return problem("invalid_body", _("The request could not be read."))
    if isinstance(exc, (exceptions.NotAuthenticated, exceptions.AuthenticationFailed)):
        code = "invalid_token" if isinstance(exc, exceptions.AuthenticationFailed) else "not_authenticated"
        detail = exc.detail if code == "invalid_token" else _(
            "Send the agent token as “Authorization: Bearer <token>”.")
        return problem(code, detail, headers={"WWW-Authenticate": AUTH_REALM})
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        return problem("rate_limited", _("Too many requests from this agent; retry in %(seconds)d s.")
                       % {"seconds": wait}, headers={"Retry-After": str(wait)})
    if isinstance(exc, exceptions.MethodNotAllowed):
        view = context.get("view")
        allowed = ", ".join(view.allowed_methods) if view is not None else ""
        return problem("method_not_allowed", _("Method %(method)s is not allowed here.")
                       % {"method": getattr(context.get("request"), "method", "")}, headers={"Allow": allowed})
    if isinstance(exc, (Http404, exceptions.NotFound)):
        return problem("not_found", _("Not found."))
    if isinstance(exc, (PermissionDenied, exceptions.PermissionDenied)):
        return problem("permission_denied", _("You may not do this."))
    if isinstance(exc, exceptions.UnsupportedMediaType):
        return problem("unsupported_media_type", exc.detail)
    if isinstance(exc, exceptions.NotAcceptable):
        return problem("not_acceptable", exc.detail)
    if isinstance(exc, exceptions.ParseError):
        return problem("malformed_json", exc.detail)
    if isinstance(exc, exceptions.APIException):
        return problem("server_error", exc.detail, status=exc.status_code)
    logger.exception("agent API: unexpected error", exc_info=exc)
    return problem("server_error", _("Something went wrong on our side; the request may be retried."))
