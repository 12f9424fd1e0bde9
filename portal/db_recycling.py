"""Bounding what a PostgreSQL backend caches about the catalogue.

A backend keeps the catalogue entries (relcache, catcache: CacheMemoryContext) of every table
and index it has ever touched, for its whole life. One office schema has ~30 tables and ~125
indexes, so a long-lived connection serving requests for thousands of offices grows by
hundreds of megabytes (docs/benchmarks.md measures it). A connection is therefore closed once
it has served ``DB_MAX_SCHEMAS_PER_CONNECTION`` distinct schemas; the next request or task opens
a fresh backend. Web requests are counted at ``request_finished`` (after a streamed response is
sent), Celery tasks at ``task_postrun`` (portal/celery.py).
"""

from django.conf import settings
from django.core.signals import request_finished
from django.db import connection
from django.db.backends.signals import connection_created
from django.dispatch import receiver


def schemas_served(conn=connection) -> set[str]:
    served = getattr(conn, "biurko_schemas_served", None)
    if served is None:
        served = conn.biurko_schemas_served = set()
    return served


def recycle_after(schema_name: str, conn=connection) -> bool:
    """Count ``schema_name`` as served by ``conn``, then ``recycle_if_over_bound``."""
    schemas_served(conn).add(schema_name)
    return recycle_if_over_bound(conn)


def recycle_if_over_bound(conn=connection) -> bool:
    """Close ``conn`` once it has served more distinct schemas than the bound. True if it was closed."""
    served = schemas_served(conn)
    if len(served) <= settings.DB_MAX_SCHEMAS_PER_CONNECTION or conn.in_atomic_block:
        return False
    conn.close()
    served.clear()
    return True


@receiver(connection_created)
def _fresh_backend_has_served_nothing(sender, connection, **kwargs):
    schemas_served(connection).clear()


class ConnectionRecyclingMiddleware:
    """Notes the schema each request ran in; past the bound the connection is closed once the response
    has been sent (``request_finished``: a streamed response may still read the database)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        schemas_served().add(connection.schema_name)
        return response


@receiver(request_finished)
def _recycle_when_finished(sender, **kwargs):
    recycle_if_over_bound()
