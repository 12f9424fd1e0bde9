"""Monthly summaries for a company's people. For now only the request is recorded; sending comes later."""

from datetime import date

from django.db import connection

from clients.models import Company, SummaryRequest


def queue_summary(company: Company, period: date) -> bool:
    """Record that the summary of ``company`` for ``period`` should be sent; True when newly queued.

    At most one outstanding request per company and period (a partial unique index), so a
    retried batch or a double click never queues a second summary.
    """
    table = SummaryRequest._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (company_id, period, requested_at) VALUES (%s, %s, now()) "  # noqa: S608
            "ON CONFLICT (company_id, period) WHERE sent_at IS NULL DO NOTHING",
            [company.pk, period],
        )
        return cursor.rowcount == 1
