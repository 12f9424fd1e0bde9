"""Monthly summaries for a company's people: recorded and put in the outbox (``clients.messaging``)."""

from datetime import date

from django.db import connection, transaction

from clients.messaging.services import queue_summary_messages
from clients.models import Company, SummaryRequest


@transaction.atomic
def queue_summary(company: Company, period: date) -> bool:
    """Queue the summary of ``company`` for ``period`` to its people; True when something was newly queued.

    One outbox message per person × channel (a correction, old → new, where a summary of the month
    already went out), sent after the office's undo window. Idempotent: the messages' de-duplication
    keys hold the approved revisions, and there is at most one outstanding ``SummaryRequest`` per
    company and period (a partial unique index), so a retried batch or a double click queues nothing new.
    """
    table = SummaryRequest._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (company_id, period, requested_at) VALUES (%s, %s, now()) "  # noqa: S608
            "ON CONFLICT (company_id, period) WHERE sent_at IS NULL DO NOTHING",
            [company.pk, period],
        )
        requested = cursor.rowcount == 1
    return bool(queue_summary_messages(company, period)) or requested
