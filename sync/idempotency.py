"""``Idempotency-Key``: claim, replay, refuse, store, expire.

A key belongs to one agent. The first request with a key *claims* it: one
``INSERT … ON CONFLICT DO NOTHING`` of a row in state ``in_flight``, committed on
its own, so two concurrent requests can never both win. The winner does the work
and stores its response on the row (``done``). Later requests with the key:

- same fingerprint (endpoint + body bytes after decompression), row ``done`` → the
  stored response is replayed (``Idempotent-Replayed: true``), nothing changes;
- different fingerprint → ``422 idempotency_key_reused``;
- row still ``in_flight`` → ``409``, unless it was claimed more than
  ``STALE_AFTER`` ago: then the owner is presumed dead (crash, killed worker) and
  the row is re-claimed, so a key is never stuck.

Each claim carries a fresh token; only the current owner can store the response
or release the claim. Rows are kept ``TTL`` (at least 24 hours) and then deleted
by ``delete_expired`` (periodic task ``sync.tasks.cleanup_idempotency_records``).
A key whose row has expired starts afresh.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import orjson
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from sync.models import IdempotencyRecord

KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")  # 1–255 visible ASCII characters
TTL = timedelta(hours=settings.AGENT_API_IDEMPOTENCY_TTL_HOURS)  # at least 24 h: portal/settings.py
STALE_AFTER = timedelta(minutes=settings.AGENT_API_IDEMPOTENCY_STALE_MINUTES)

CLAIMED = "claimed"
REPLAY = "replay"
REUSED = "reused"
IN_FLIGHT = "in_flight"


def valid_key(value: str | None) -> bool:
    return bool(value) and KEY_PATTERN.fullmatch(value) is not None


def fingerprint(endpoint: str, *parts: bytes) -> str:
    digest = hashlib.sha256(endpoint.encode() + b"\0")
    for part in parts:
        digest.update(len(part).to_bytes(8, "big"))
        digest.update(part)
    return digest.hexdigest()


@dataclass
class Claim:
    outcome: str  # CLAIMED, REPLAY, REUSED or IN_FLIGHT
    record_id: int | None = None
    token: uuid.UUID | None = None
    response_status: int | None = None
    response_body: str | None = None  # the exact JSON text that was sent


def claim(agent, key: str, endpoint: str, request_hash: str, *, now=None) -> Claim:
    """Try to own ``key`` for this request; see the module docstring for the outcomes."""
    now = now or timezone.now()
    token = uuid.uuid4()
    table = IdempotencyRecord._meta.db_table
    # Its own transaction, committed before any work starts (a savepoint inside an outer one, e.g. in tests).
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"""INSERT INTO {table} (agent_id, key, endpoint, request_hash, state, claim_token, created_at, claimed_at)
                VALUES (%s, %s, %s, %s, %s, %s, %s, %s)
                ON CONFLICT (agent_id, key) DO NOTHING RETURNING id""",  # noqa: S608 - table name is ours
            [agent.pk, key, endpoint, request_hash, IdempotencyRecord.State.IN_FLIGHT, token, now, now],
        )
        row = cursor.fetchone()
    if row is not None:
        return Claim(CLAIMED, record_id=row[0], token=token)

    record = IdempotencyRecord.objects.filter(agent=agent, key=key).first()
    if record is None:  # deleted between our INSERT and SELECT (expiry): try once more
        return claim(agent, key, endpoint, request_hash, now=now)
    expired = record.created_at < now - TTL
    if not expired:
        if record.request_hash != request_hash or record.endpoint != endpoint:
            return Claim(REUSED, record_id=record.pk)
        if record.state == IdempotencyRecord.State.DONE:
            return Claim(REPLAY, record_id=record.pk, response_status=record.response_status,
                         response_body=record.response_body)
        if record.claimed_at >= now - STALE_AFTER:
            return Claim(IN_FLIGHT, record_id=record.pk)
    # Expired, or in flight for too long (its owner died): take it over, atomically.
    taken = IdempotencyRecord.objects.filter(pk=record.pk, claim_token=record.claim_token).update(
        endpoint=endpoint, request_hash=request_hash, state=IdempotencyRecord.State.IN_FLIGHT, claim_token=token,
        claimed_at=now, created_at=now if expired else record.created_at, completed_at=None,
        response_status=None, response_body=None, batch=None,
    )
    if taken:
        return Claim(CLAIMED, record_id=record.pk, token=token)
    return Claim(IN_FLIGHT, record_id=record.pk)


def complete(claimed: Claim, status: int, body: dict, *, batch=None) -> bool:
    """Store the response of a claimed request; False if the claim was taken over meanwhile.

    ``body`` is stored as the JSON text ``orjson.dumps(body)``, the same bytes the view sends.
    """
    return bool(IdempotencyRecord.objects.filter(pk=claimed.record_id, claim_token=claimed.token).update(
        state=IdempotencyRecord.State.DONE, completed_at=timezone.now(), response_status=status,
        response_body=orjson.dumps(body).decode(), batch=batch,
    ))


def release(claimed: Claim) -> None:
    """Give a claimed key back (the request was refused before doing anything): a retry starts afresh."""
    IdempotencyRecord.objects.filter(pk=claimed.record_id, claim_token=claimed.token,
                                     state=IdempotencyRecord.State.IN_FLIGHT).delete()


def delete_expired(*, now=None) -> int:
    """Delete the current office's records older than ``TTL``; returns how many."""
    now = now or timezone.now()
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=now - TTL).delete()
    return deleted
