"""``Idempotency-Key``: claim, replay, refuse, store, expire.

A key belongs to one agent. The request that does the work *claims* its key by taking a PostgreSQL
advisory lock on the key's hash (``pg_try_advisory_lock``) in the database session that does the work,
and stores its response in the same transaction as the data (``complete``). So the claim lives exactly
as long as the request: when the request ends the lock is released (``release``); when the web worker is
killed, the connection breaks or PostgreSQL restarts, the session ends and PostgreSQL drops the lock
with it, and the transaction that was applying the data is rolled back with the record it would have
written. A retry after a crash is therefore processed (or replayed, if the work had committed) at once,
never refused for a stale claim. Later requests with the key:

- same fingerprint (endpoint + body bytes after decompression), a stored record → the stored response is
  replayed (``Idempotent-Replayed: true``), nothing changes;
- different fingerprint → ``422 idempotency_key_reused``;
- the lock is held by another session → ``409``: that request is truly still running.

Records are kept ``TTL`` (at least 24 hours) and then deleted by ``delete_expired`` (periodic task
``sync.tasks.cleanup_idempotency_records``). A key whose record has expired starts afresh.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

import orjson
from django.conf import settings
from django.db import connection
from django.utils import timezone

from sync.models import IdempotencyRecord

KEY_PATTERN = re.compile(r"[\x21-\x7e]{1,255}")  # 1–255 visible ASCII characters
TTL = timedelta(hours=settings.AGENT_API_IDEMPOTENCY_TTL_HOURS)  # at least 24 h: portal/settings.py

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
    agent_id: int | None = None
    key: str = ""
    endpoint: str = ""
    request_hash: str = ""
    lock_id: int | None = None  # the advisory lock this session holds (CLAIMED only)
    response_status: int | None = None
    response_body: str | None = None  # the exact JSON text that was sent


def lock_id(agent_id: int, key: str) -> int:
    """The advisory lock of one agent's key in this office (locks are per database, so the schema is in it)."""
    digest = hashlib.sha256(f"idempotency\0{connection.schema_name}\0{agent_id}\0{key}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def claim(agent, key: str, endpoint: str, request_hash: str, *, now=None) -> Claim:
    """Try to own ``key`` for this request; see the module docstring for the outcomes.

    On ``CLAIMED`` the caller does the work, calls ``complete`` inside the work's transaction and
    ``release`` when the request ends (whatever happened).
    """
    now = now or timezone.now()
    lock = lock_id(agent.pk, key)
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [lock])
        locked = cursor.fetchone()[0]
    record = (IdempotencyRecord.objects.filter(agent=agent, key=key, state=IdempotencyRecord.State.DONE,
                                               created_at__gte=now - TTL)
              .only("endpoint", "request_hash", "response_status", "response_body").first())
    outcome = _outcome(record, endpoint, request_hash, locked=locked)
    if outcome != CLAIMED and locked:
        _unlock(lock)
    return Claim(outcome, agent_id=agent.pk, key=key, endpoint=endpoint, request_hash=request_hash,
                 lock_id=lock if outcome == CLAIMED else None,
                 response_status=record.response_status if outcome == REPLAY else None,
                 response_body=record.response_body if outcome == REPLAY else None)


def _outcome(record: IdempotencyRecord | None, endpoint: str, request_hash: str, *, locked: bool) -> str:
    if record is not None:
        if record.request_hash != request_hash or record.endpoint != endpoint:
            return REUSED
        return REPLAY
    return CLAIMED if locked else IN_FLIGHT


def complete(claimed: Claim, status: int, body: dict, *, batch=None) -> bool:
    """Store the response of a claimed request, in the caller's transaction (the one writing the data).

    ``body`` is stored as the JSON text ``orjson.dumps(body)``, the same bytes the view sends. An expired
    record of the key (or one left by an earlier version's in-flight claims) is replaced.
    """
    now = timezone.now()
    values = {"endpoint": claimed.endpoint, "request_hash": claimed.request_hash,
              "state": IdempotencyRecord.State.DONE, "claim_token": uuid.uuid4(), "created_at": now, "claimed_at": now,
              "completed_at": now, "response_status": status, "response_body": orjson.dumps(body).decode(),
              "batch": batch}
    IdempotencyRecord.objects.update_or_create(agent_id=claimed.agent_id, key=claimed.key, defaults=values)
    return True


def release(claimed: Claim) -> None:
    """End the claim (the request is over). If the session is gone, PostgreSQL has released it already."""
    if claimed.lock_id is not None:
        _unlock(claimed.lock_id)
        claimed.lock_id = None


def _unlock(lock: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [lock])


def delete_expired(*, now=None) -> int:
    """Delete the current office's records older than ``TTL``; returns how many."""
    now = now or timezone.now()
    deleted, _by_model = IdempotencyRecord.objects.filter(created_at__lt=now - TTL).delete()
    return deleted
