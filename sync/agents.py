"""Agent tokens: created once, shown once, stored as a SHA-256 hash, revocable.

``register_agent`` / ``withdraw_agent`` are the panel's: an administrator's action, audited.
"""

import hashlib
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from offices.accounts.models import AuditAction, User
from offices.accounts.services import record_audit, require_admin
from sync.models import Agent

TOKEN_PREFIX = "bk_"
# last_seen_at is written at most this often per agent, so busy agents don't write on every call.
LAST_SEEN_RESOLUTION = timedelta(seconds=30)


def hash_token(raw_token: str) -> str:
    # Tokens carry 256 random bits, so a plain fast hash is enough (no password stretching needed).
    return hashlib.sha256(raw_token.encode()).hexdigest()


def create_agent(name: str, created_by=None) -> tuple[Agent, str]:
    """Register an agent and return it with its raw token (the only time the token is seen)."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the agent a name."), code="name_required")
    raw_token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    agent = Agent.objects.create(name=name[:100], token_hash=hash_token(raw_token),
                                 token_prefix=raw_token[:10], created_by=created_by)
    return agent, raw_token


def agent_for_token(raw_token: str) -> Agent | None:
    """The active agent of the current office holding this token, or None."""
    if not raw_token or not raw_token.startswith(TOKEN_PREFIX):
        return None
    return Agent.objects.filter(token_hash=hash_token(raw_token), revoked_at__isnull=True).first()


def touch_agent(agent: Agent) -> None:
    now = timezone.now()
    if agent.last_seen_at is None or now - agent.last_seen_at >= LAST_SEEN_RESOLUTION:
        Agent.objects.filter(pk=agent.pk).update(last_seen_at=now)
        agent.last_seen_at = now


def revoke_agent(agent: Agent) -> None:
    Agent.objects.filter(pk=agent.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())


@transaction.atomic
def register_agent(name: str, *, by: User):
    """Register a desktop agent; returns ``(agent, raw_token)`` — the only time the token exists in clear."""
    require_admin(by)
    agent, raw_token = create_agent(name, created_by=by)
    record_audit(by, AuditAction.AGENT_REGISTERED, agent.name,
                 {"agent_id": agent.pk, "token_prefix": agent.token_prefix})
    return agent, raw_token


@transaction.atomic
def withdraw_agent(agent, *, by: User) -> bool:
    """Revoke an agent's token for good; False when it was already revoked."""
    require_admin(by)
    locked = Agent.objects.select_for_update().get(pk=agent.pk)
    if locked.revoked_at is not None:
        agent.revoked_at = locked.revoked_at
        return False
    revoke_agent(locked)
    agent.refresh_from_db(fields=["revoked_at"])
    record_audit(by, AuditAction.AGENT_REVOKED, agent.name, {"agent_id": agent.pk, "token_prefix": agent.token_prefix})
    return True
