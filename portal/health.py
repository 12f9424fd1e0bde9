"""``/healthz`` for load balancers: is the database reachable, is the broker?

Answered before host routing, so a balancer probing by IP address gets it too.
"""

import logging

from django.conf import settings
from django.db import connection
from django.http import JsonResponse

from portal.celery import app

logger = logging.getLogger(__name__)
BROKER_TIMEOUT_SECONDS = 2


def check_database() -> str | None:
    try:
        connection.set_schema_to_public()
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # noqa: BLE001 - any failure means "unhealthy"
        return f"{type(exc).__name__}: {exc}".strip()
    return None


def check_broker() -> str | None:
    try:
        with app.connection_for_write() as conn:
            conn.ensure_connection(max_retries=1, timeout=BROKER_TIMEOUT_SECONDS)
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}".strip()
    return None


def health_report() -> tuple[dict, int]:
    problems = {"database": check_database(), "broker": check_broker()}
    report = {name: ("ok" if problem is None else "error") for name, problem in problems.items()}
    errors = {name: problem for name, problem in problems.items() if problem}
    report["status"] = "ok" if not errors else "error"
    if errors:
        logger.error("health check failed: %s", errors)
        if settings.DEBUG:
            report["errors"] = errors
    return report, 200 if not errors else 503


class HealthCheckMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path in ("/healthz", "/healthz/"):
            report, status = health_report()
            response = JsonResponse(report, status=status)
            response["Cache-Control"] = "no-store"
            return response
        return self.get_response(request)
