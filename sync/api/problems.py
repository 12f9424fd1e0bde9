"""RFC 9457 problem responses for the agent API.

Every refusal under ``/api/agent/v1/`` is ``application/problem+json`` with ``type``,
``title``, ``status``, ``detail``, our extension member ``code`` (stable, for programs)
and, for validation, ``errors: [{"pointer", "code", "detail"}]`` (JSON Pointers into the
request body). ``type`` is ``urn:biurko:problem:<code>``: stable, never fetched.
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable

import orjson
from django.http import HttpResponse
from django.utils.translation import gettext_lazy as _

from sync.batch import FieldError, listed_errors

PROBLEM_CONTENT_TYPE = "application/problem+json"
JSON_CONTENT_TYPE = "application/json"
API_PREFIX = "/api/agent/v1/"
# Retry-After of a 503 says what the portal knows. Every request probes the database, and an outage is
# mostly a restart: while it is recent, retry soon; the longer it lasts, the longer the wait (a quarter of
# the time it has been down, so an agent waits at most ~25 % past its end); a 503 whose cause the portal
# did not see gets the longest. A fixed 30 s made clients wait ~13 s past a 15 s outage.
RETRY_AFTER_MIN_SECONDS = 2
RETRY_AFTER_MAX_SECONDS = 30
RETRY_AFTER_OUTAGE_FRACTION = 4


class DatabaseOutage:
    """When this process first saw the database unreachable, since it last reached it (per process:
    each web process probes the database on its own requests)."""

    def __init__(self):
        self.since: float | None = None

    def seen_down(self, now: float | None = None) -> None:
        if self.since is None:
            self.since = time.monotonic() if now is None else now

    def seen_up(self) -> None:
        self.since = None

    def retry_after(self, now: float | None = None) -> int:
        """Whole seconds for ``Retry-After``; the longest when no outage was seen (the cause is unknown)."""
        if self.since is None:
            return RETRY_AFTER_MAX_SECONDS
        down_for = (time.monotonic() if now is None else now) - self.since
        return int(min(RETRY_AFTER_MAX_SECONDS, max(RETRY_AFTER_MIN_SECONDS,
                                                     math.ceil(down_for / RETRY_AFTER_OUTAGE_FRACTION))))


database_outage = DatabaseOutage()

# code -> (HTTP status, title). Titles are short and generic; ``detail`` says what exactly happened.
PROBLEMS: dict[str, tuple[int, object]] = {
    "malformed_json": (400, _("Malformed JSON")),
    "invalid_body": (400, _("Invalid request body")),
    "invalid_gzip": (400, _("Invalid gzip body")),
    "invalid_parameter": (400, _("Invalid query parameter")),
    "idempotency_key_missing": (400, _("Idempotency-Key required")),
    "idempotency_key_invalid": (400, _("Invalid Idempotency-Key")),
    "not_authenticated": (401, _("Authentication required")),
    "invalid_token": (401, _("Invalid token")),
    "permission_denied": (403, _("Permission denied")),
    "not_found": (404, _("Not found")),
    "method_not_allowed": (405, _("Method not allowed")),
    "not_acceptable": (406, _("Not acceptable")),
    "idempotency_request_in_flight": (409, _("Request in progress")),
    "body_too_large": (413, _("Request body too large")),
    "batch_too_large": (413, _("Batch too large")),
    "uri_too_long": (414, _("URI too long")),
    "unsupported_media_type": (415, _("Unsupported media type")),
    "unsupported_content_encoding": (415, _("Unsupported content encoding")),
    "validation_error": (422, _("Validation failed")),
    "idempotency_key_reused": (422, _("Idempotency-Key reused")),
    "import_rejected": (422, _("File rejected")),
    "rate_limited": (429, _("Too many requests")),
    "server_error": (500, _("Server error")),
    "not_implemented": (501, _("Not implemented")),
    "service_unavailable": (503, _("Service unavailable")),
}
# Each problem's status as a plain dict, for the OpenAPI schema and tests.
PROBLEM_STATUS = {code: status for code, (status, _title) in PROBLEMS.items()}


def is_api_path(path: str) -> bool:
    return path.startswith(API_PREFIX) or path == API_PREFIX.rstrip("/")


def problem_body(code: str, detail, *, status: int | None = None, errors: Iterable[FieldError | dict] | None = None,
                 extra: dict | None = None) -> dict:
    default_status, title = PROBLEMS[code]
    body = {
        "type": f"urn:biurko:problem:{code}",
        "title": str(title),
        "status": status or default_status,
        "detail": str(detail),
        "code": code,
    }
    if errors is not None:
        body.update(listed_errors(errors))
    if extra:
        body.update(extra)
    return body


def problem(code: str, detail, *, status: int | None = None, errors: Iterable[FieldError | dict] | None = None,
            headers: dict | None = None, extra: dict | None = None) -> HttpResponse:
    body = problem_body(code, detail, status=status, errors=errors, extra=extra)
    response = HttpResponse(orjson.dumps(body), status=body["status"], content_type=PROBLEM_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    response["Cache-Control"] = "no-store"
    return response


def unavailable(detail=None, *, database_down: bool = True) -> HttpResponse:
    """503; ``database_down``: the portal has just failed to reach the database (else the cause is unknown)."""
    if database_down:
        database_outage.seen_down()
    return problem(
        "service_unavailable",
        detail or _("The service is temporarily unavailable (database unreachable). Retry later."),
        headers={"Retry-After": str(database_outage.retry_after() if database_down else RETRY_AFTER_MAX_SECONDS)},
    )


def json_response(data, status: int = 200, headers: dict | None = None) -> HttpResponse:
    response = HttpResponse(orjson.dumps(data), status=status, content_type=JSON_CONTENT_TYPE)
    for name, value in (headers or {}).items():
        response[name] = value
    return response


class ProblemError(Exception):
    """Raised anywhere below a view to answer with a problem; turned into the response by the views."""

    def __init__(self, code: str, detail, *, errors=None, headers=None, status=None, extra=None):
        super().__init__(str(detail))
        self.code = code
        self.detail = detail
        self.errors = errors
        self.headers = headers
        self.status = status
        self.extra = extra

    def response(self) -> HttpResponse:
        return problem(self.code, self.detail, errors=self.errors, headers=self.headers, status=self.status,
                       extra=self.extra)
