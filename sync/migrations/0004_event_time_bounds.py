"""Event times within 2000–2100 (UTC), enforced by the database.

Agents once could store ``9999-12-31T23:00:00-05:00``: a time Python cannot hold, so the event log failed for
everyone. Rows outside the bounds get the time they were received, the sent text is kept in ``details``.
"""

import datetime

from django.db import migrations, models

EVENT_TIME_MIN = datetime.datetime(2000, 1, 1, tzinfo=datetime.UTC)
EVENT_TIME_MAX = datetime.datetime(2101, 1, 1, tzinfo=datetime.UTC)

REPAIR_SQL = """
    UPDATE sync_event
       SET details = details || jsonb_build_object('sent_at', at::text), at = received_at
     WHERE NOT (at >= %s AND at < %s)
"""


def repair_event_times(apps, schema_editor):
    schema_editor.execute(REPAIR_SQL, [EVENT_TIME_MIN, EVENT_TIME_MAX])


class Migration(migrations.Migration):

    dependencies = [
        ("sync", "0003_idempotency_response_text"),
    ]

    operations = [
        migrations.RunPython(repair_event_times, migrations.RunPython.noop),
        migrations.AddConstraint(
            model_name="event",
            constraint=models.CheckConstraint(
                condition=models.Q(at__gte=EVENT_TIME_MIN, at__lt=EVENT_TIME_MAX), name="sync_event_at_in_bounds",
            ),
        ),
    ]
