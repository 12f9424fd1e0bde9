"""Publishing (zatwierdzenie): the one code path that makes revisions the approved ones.

``publish`` is used by every kind of approval — a bookkeeper's (``clients.approval``), an approval rule's
(``clients.rules``), a manual value that is published at once (``clients.services.set_manual_value``) and an
agent's batch (``sync.ingest``: ``approve`` or an on-sync rule) — so all of them do the same three things:

1. the approved revision each figure showed before is superseded, and the pending ones become approved;
2. one ``ApprovalLog`` row per company says who approved how many (for the panel);
3. a correction is queued to every person who was already sent a summary of an affected month
   (``clients.messaging.services.queue_corrections_for``): whoever approved, a client told about a month
   hears about the change. The messages are written in the approval's transaction (rolled back with it,
   never lost after it) and put on the broker once it commits;
4. the stored payment status of the affected months' items is refreshed
   (``clients.item_statuses.refresh_months``), in the same transaction.

It is set-based (a constant number of statements whatever the number of revisions), so the bulk path of
a sync can use it. The caller holds the companies' row locks (``clients.approval.lock_company`` or
``clients.bulk.lock_companies``) and runs it inside its transaction.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date

from django.db.models import QuerySet

from clients import bulk
from clients.item_statuses import refresh_months
from clients.messaging.services import queue_corrections_for
from clients.models import ApprovalLog, Revision, RevisionState

AGENT_NAME_LENGTH = 100


@dataclass(frozen=True)
class Approver:
    """Who approves: a login of the office, an agent (by id and name), or a rule (by name only)."""

    user: object | None = None  # offices.accounts.models.User
    agent_id: int | None = None
    name: str = ""

    @classmethod
    def of(cls, *, user=None, agent=None) -> Approver:
        """A bookkeeper or an agent: exactly one of them."""
        if (user is None) == (agent is None):
            raise ValueError("Approve either by a user or by an agent.")
        if user is not None:
            return cls(user=user)
        return cls(agent_id=agent.pk, name=agent.name[:AGENT_NAME_LENGTH])

    @classmethod
    def rule(cls, name: str) -> Approver:
        """An automatic approval (scheduled or on-sync rule), named for the panel."""
        return cls(name=str(name)[:AGENT_NAME_LENGTH])


@dataclass
class Published:
    """What ``publish`` did: how many revisions per company, and the months they belong to."""

    per_company: Counter = field(default_factory=Counter)
    months: set[tuple[int, date]] = field(default_factory=set)  # (company id, period)

    @property
    def count(self) -> int:
        return sum(self.per_company.values())


def publish(revisions: QuerySet[Revision] | Iterable[int], *, by: Approver,
            action: str = ApprovalLog.Action.APPROVE, period: date | None = None, batch_ref: str = "") -> Published:
    """Approve the pending ones of ``revisions`` (a queryset or revision ids); see the module docstring.

    Revisions that are no longer pending (approved or superseded meanwhile) are left alone, so publishing
    again is harmless. ``period`` goes to the log rows (the month a bookkeeper approved, when it was one).
    """
    if isinstance(revisions, QuerySet):
        revisions = revisions.filter(state=RevisionState.PENDING).values_list("pk", flat=True)
    revision_ids = sorted(set(revisions))
    result = Published()
    if not revision_ids:
        return result
    user_id = by.user.pk if by.user is not None else None
    for company_id, month in bulk.approve_pending(revision_ids, user_id=user_id, agent_id=by.agent_id,
                                                  agent_name=by.name):
        result.per_company[company_id] += 1
        result.months.add((company_id, month))
    if not result.per_company:
        return result
    ApprovalLog.objects.bulk_create([
        ApprovalLog(company_id=company_id, period=period, action=action, revisions=count, user_id=user_id,
                    agent_id=by.agent_id, agent_name=by.name, batch_ref=batch_ref[:64])
        for company_id, count in sorted(result.per_company.items())])
    queue_corrections_for(result.months)
    refresh_months(result.months)
    return result

