"""Putting send tasks on the broker: the bottom of the messaging modules.

The outbox rows are the queue of record; the broker only carries "look at message 42". Publishing is
one attempt with no retries, and after a refusal this process skips the broker for a while, so a request
or an approval never waits on a broker that is down: the beat (``dispatch.dispatch_due``) publishes what
is still waiting. The send task is named, not imported (``SEND_TASK``): the task module sits on top of
the messaging modules and imports them, never the other way round.
"""

import time

from celery import current_app
from django.conf import settings
from django.db import connection
from django.utils import timezone

from clients.messaging.models import Message

#: ``clients.messaging.tasks.send_message``, by the name Celery registers it under.
SEND_TASK = "clients.messaging.tasks.send_message"
#: After a failed publish this process skips publishing for this long: the rows wait in the outbox (the queue
#: of record) and the beat publishes them, so a batch of 50 companies with the broker down costs one refused
#: connection, not 50 rounds of Celery's publish retries.
BROKER_PAUSE_SECONDS = 10.0
#: One attempt per publish, no retries: a request or an approval never waits on the broker.
NO_RETRY = {"max_retries": 0}
_broker_down_until = 0.0


class BrokerUnavailableError(Exception):
    """The broker refused the publish (or did a moment ago): the rows stay for the beat."""


def messaging_queue() -> str | None:
    """The broker queue of the send tasks (None: Celery's default; tests use their own)."""
    return settings.MESSAGING_QUEUE or None


def publish(message_ids, *, countdown: float | None = None) -> int:
    """Put send tasks on the broker now (the current schema travels with them) and note when; how many.

    Raises ``BrokerUnavailableError`` at once when the broker is down — nothing is lost: the rows are queued
    in the database and ``dispatch_due`` publishes them when it is back.
    """
    global _broker_down_until  # noqa: PLW0603 - one flag per process, read and written here only
    message_ids = list(message_ids)
    if not message_ids:
        return 0
    if time.monotonic() < _broker_down_until:
        raise BrokerUnavailableError("the broker was unreachable a moment ago")
    headers = {"_schema_name": connection.schema_name}
    try:
        for message_id in message_ids:
            current_app.send_task(SEND_TASK, (message_id,), queue=messaging_queue(), countdown=countdown,
                                  headers=headers, retry=True, retry_policy=NO_RETRY)
    except Exception as error:  # kombu/redis/amqp each raise their own connection errors
        _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
        raise BrokerUnavailableError(str(error)) from error
    _broker_down_until = 0.0
    Message.objects.filter(pk__in=message_ids).update(enqueued_at=timezone.now())
    return len(message_ids)


def tasks_on_broker() -> int:
    """How many tasks wait in the messaging queue; 0 when the broker does not have the queue (restarted)."""
    name = messaging_queue() or current_app.conf.task_default_queue
    try:
        with current_app.connection_for_read() as conn:
            _name, count, _consumers = conn.default_channel.queue_declare(queue=name, passive=True)
    except Exception:  # noqa: BLE001 - no such queue (kombu's ChannelError) or no broker: nothing waits there
        return 0
    return count
