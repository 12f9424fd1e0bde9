"""Synchronisation health of an office: per agent and program the last successful sync and the last error,
and which agents have been silent for too long before the payment deadlines (15th, 20th, 25th).

Read-side queries with a fixed number of SQL statements (aggregates), whatever the number of batches.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.db.models import Max, Q
from django.utils import timezone

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
