"""Synchronisation health of an office: per agent and program the last successful sync and the last error,
and which agents have been silent for too long before the payment deadlines (15th, 20th, 25th).

Read-side queries with a fixed number of SQL statements (aggregates), whatever the number of batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.core.cache import cache
from django.core.mail import send_mail
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from offices.accounts.models import ADMIN_ROLES, User
from sync.models import Agent, Batch, BatchStatus, Event, EventLevel

DEADLINE_DAYS = (15, 20, 25)
#: An alert is raised in the days before a deadline (this many, the deadline's day included).
DAYS_BEFORE_DEADLINE = 3
#: An agent is silent when it has not been seen for longer than this.
SILENCE = timedelta(hours=24)


@dataclass(frozen=True)
class ProgramHealth:
    agent_id: int | None
    program: str
    last_success: datetime | None
    last_error: datetime | None
    last_error_message: str = ""

    @property
    def failing(self) -> bool:
        return self.last_error is not None and (self.last_success is None or self.last_error > self.last_success)


def program_health() -> list[ProgramHealth]:
    """Per (agent, program): last applied batch, last rejected batch or error event: 3 queries."""
    success = {(row["agent_id"], row["program"]): row["at"] for row in Batch.objects.filter(
        status__in=[BatchStatus.APPLIED, BatchStatus.PARTIALLY_APPLIED]).values("agent_id", "program").annotate(
        at=Max("received_at"))}
    errors = {(row["agent_id"], row["program"]): row["at"] for row in Event.objects.filter(
        level=EventLevel.ERROR).values("agent_id", "program").annotate(at=Max("at"))}
    messages = {}
    if errors:
        condition = Q()
        for (agent_id, program), at in errors.items():
            condition |= Q(agent_id=agent_id, program=program, at=at)
        for event in Event.objects.filter(condition, level=EventLevel.ERROR).order_by("at", "id"):
            messages[(event.agent_id, event.program)] = event.message
    keys = sorted(set(success) | set(errors), key=lambda key: (key[0] or 0, key[1]))
    return [ProgramHealth(agent_id, program, success.get((agent_id, program)), errors.get((agent_id, program)),
                          messages.get((agent_id, program), "")) for agent_id, program in keys]


def near_deadline(today: date) -> bool:
    """True in the days before (and on) the 15th, 20th and 25th."""
    return any(0 <= deadline - today.day < DAYS_BEFORE_DEADLINE for deadline in DEADLINE_DAYS)


def silent_agents(now: datetime | None = None, *, only_near_deadline: bool = True) -> list[Agent]:
    """Active agents not seen for longer than ``SILENCE`` (only in the days before a deadline, by default)."""
    now = now or timezone.now()
    if only_near_deadline and not near_deadline(timezone.localtime(now).date()):
        return []
    limit = now - SILENCE
    return list(Agent.objects.filter(revoked_at__isnull=True).filter(
        Q(last_seen_at__lt=limit) | Q(last_seen_at__isnull=True, created_at__lt=limit)).order_by("name", "id"))


def alert_silent_agents(now: datetime | None = None) -> int:
    """E-mail the office's administrators about each silent agent, at most once a day per agent.

    Runs in the office's schema (the beat task in ``offices.tasks`` queues it per office). "Once a day"
    is claimed atomically with ``cache.add`` on a per-office key (the cache is tenant-prefixed), so two
    workers never send the same alert. Returns the number of agents alerted about.
    """
    now = now or timezone.now()
    agents = silent_agents(now)
    if not agents:
        return 0
    recipients = list(User.objects.filter(role__in=ADMIN_ROLES, is_active=True).values_list("email", flat=True))
    if not recipients:
        return 0
    today = timezone.localtime(now).date().isoformat()
    alerted = 0
    for agent in agents:
        if not cache.add(f"silent-agent-alert:{agent.pk}:{today}", 1, timeout=2 * 24 * 3600):
            continue
        seen = timezone.localtime(agent.last_seen_at).strftime("%Y-%m-%d %H:%M") if agent.last_seen_at else _("never")
        send_mail(
            _("The agent “%(name)s” has stopped sending data") % {"name": agent.name},
            _("The agent “%(name)s” (computer: %(host)s) was last seen: %(seen)s.\n\nPayment deadlines are close; "
              "check that the computer with the agent is on and the agent is running. The office panel's "
              "“Synchronisation health” page shows the details.") % {
                "name": agent.name, "host": agent.hostname or "—", "seen": seen},
            None, recipients)
        alerted += 1
    return alerted
