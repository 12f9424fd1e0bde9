"""Tenancy helpers of the base layer: where an office lives (its host and URLs), which office the current
schema belongs to, and running periodic work once per office.

Everything above the base (clients, sync, the panel, commands) uses these instead of reaching into
``offices.provisioning``, which creates offices and sits above the base.
"""

from __future__ import annotations

from django.conf import settings
from django.db import connection
from django_tenants.utils import get_public_schema_name, schema_context

from offices.models import Office


def office_host(slug: str) -> str:
    return f"{slug}.{settings.BASE_DOMAIN}"


def office_url(slug: str, path: str = "/") -> str:
    port = f":{settings.PUBLIC_URL_PORT}" if settings.PUBLIC_URL_PORT else ""
    return f"{settings.PUBLIC_URL_SCHEME}://{office_host(slug)}{port}{path}"


def current_office() -> Office:
    """The office of the current schema (a request's tenant, or the Office row behind ``schema_context``)."""
    tenant = connection.tenant
    if isinstance(tenant, Office):
        return tenant
    return Office.objects.get(schema_name=connection.schema_name)


def active_office_schemas() -> list[str]:
    return list(Office.objects.filter(is_active=True).exclude(schema_name=get_public_schema_name())
                .order_by("schema_name").values_list("schema_name", flat=True))


def for_each_office(task, **options) -> int:
    """Queue the Celery ``task`` once per active office; returns how many were queued.

    Each is published inside the office's schema, so tenant-schemas-celery puts the schema in the task's
    headers and the worker runs it in that office. ``options`` go to ``apply_async`` (e.g. ``queue``).
    """
    schemas = active_office_schemas()
    for schema_name in schemas:
        with schema_context(schema_name):
            task.apply_async(**options)
    return len(schemas)
