"""Spare office schemas: copies of the template made ahead of time, claimed at sign-up by a rename.

Building a schema (tables, constraints, indexes) costs a few hundred milliseconds of DDL on a busy
server; ``ALTER SCHEMA … RENAME`` costs a catalogue update. ``refill_spares`` (Celery beat, and
``migrate_offices`` after a deploy) keeps ``OFFICE_SPARE_SCHEMAS`` of them; ``create_office`` claims
one and falls back to copying the template itself when the pool is empty.

A spare's name carries the template's migration state it was made from
(``office__spare_<state>_<random>``): a sign-up only claims spares of the template's *current* state,
so a spare made before a migration is never handed out; the next refill drops it. Sign-ups and
refills hold the template lock shared, a migration of the template holds it exclusively.
"""

from __future__ import annotations

import logging
import secrets

from django.conf import settings
from django.db import DatabaseError, connection, transaction

from offices.schema_ddl import cached_script, copy_schema, lock_template_shared, migration_state, quote

logger = logging.getLogger(__name__)

SPARE_PREFIX = "office__spare_"
_REFILL_LOCK_ID = 0x62697273  # one refill at a time: two would overfill the pool
_CLAIM_ATTEMPTS = 3


def _state_prefix(state: str) -> str:
    return f"{SPARE_PREFIX}{state[:16]}_"


def spare_schemas(state: str | None = None) -> list[str]:
    """Spare schemas (of ``state`` only, if given), oldest name order."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s) ORDER BY nspname",
                       [_state_prefix(state) if state else SPARE_PREFIX])
        return [name for (name,) in cursor.fetchall()]


def claim_spare(target: str, state: str) -> bool:
    """Rename a spare of ``state`` to ``target`` in the caller's transaction; False if none is left.

    The advisory lock on the spare's name keeps two sign-ups from picking the same one; a spare renamed
    by a sign-up that committed between our look-up and our lock fails the rename, and we try another.
    """
    for _ in range(_CLAIM_ATTEMPTS):
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SELECT nspname FROM pg_namespace WHERE starts_with(nspname, %s) "
                               "AND pg_try_advisory_xact_lock(hashtext(nspname)) LIMIT 1", [_state_prefix(state)])
                row = cursor.fetchone()
                if row is None:
                    return False
                cursor.execute(f"ALTER SCHEMA {quote(row[0])} RENAME TO {quote(target)}")
                return True
        except DatabaseError:
            logger.info("spare schema taken by a concurrent sign-up; trying another")
    return False


def _drop_stale(state: str) -> int:
    current = set(spare_schemas(state))
    stale = [name for name in spare_schemas() if name not in current]
    for name in stale:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP SCHEMA IF EXISTS {quote(name)} CASCADE")
    return len(stale)


def _make_spare(template: str) -> None:
    """One spare of the template as it is now (read under the template lock: never mid-migration)."""
    with transaction.atomic():
        lock_template_shared()
        state = migration_state(template)
        copy_schema(cached_script(template, state), template, _state_prefix(state) + secrets.token_hex(4))


def refill_spares(template: str, size: int | None = None) -> tuple[int, int]:
    """Drop spares of an older template state, make spares until there are ``size``: (made, dropped)."""
    size = settings.OFFICE_SPARE_SCHEMAS if size is None else size
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [_REFILL_LOCK_ID])
        if not cursor.fetchone()[0]:
            return 0, 0  # another refill is running
    try:
        dropped = _drop_stale(migration_state(template))
        made = 0
        while len(spare_schemas(migration_state(template))) < size:
            _make_spare(template)
            made += 1
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [_REFILL_LOCK_ID])
    if made or dropped:
        logger.info("spare office schemas: %d made, %d stale dropped", made, dropped)
    return made, dropped
