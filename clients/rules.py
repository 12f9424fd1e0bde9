"""Approval rules (``ApprovalRule``): how each data kind's figures get approved in this office.

- ``manual``: only a bookkeeper approves (the default);
- ``on_sync``: ``sync.ingest.apply_batch`` approves what a sync brings (``approve_on_sync_kinds``);
- ``scheduled``: on a day of the month at an hour (office time), every value still waiting is approved
  (``run_scheduled_approvals``, called per office by the beat task in ``clients.tasks``).

Automatic approvals are published like any other (``clients.publishing.publish``), with the rule as the
approver's name in ``ApprovalLog``.
"""

from __future__ import annotations

from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.approval import lock_company
from clients.models import ApprovalRule, Revision, RevisionState
from clients.publishing import Approver, publish
from clients.vocabulary import KIND_PREFIX


def approval_rules() -> dict[str, ApprovalRule]:
    """The rule of every data kind (unsaved defaults where none was stored): one query."""
    stored = {rule.kind: rule for rule in ApprovalRule.objects.all()}
    return {kind: stored.get(kind) or ApprovalRule(kind=kind) for kind in ApprovalRule.Kind.values}


def approve_on_sync_kinds() -> frozenset[str]:
    """The data kinds approved on every sync (``zus``, ``taxes``, ``statements``)."""
    return frozenset(ApprovalRule.objects.filter(mode=ApprovalRule.Mode.ON_SYNC).values_list("kind", flat=True))


@transaction.atomic
def set_rule(kind: str, mode: str, *, day: int = 10, hour: int = 8, by=None) -> bool:
    """Store one kind's rule; True when something changed."""
    if kind not in ApprovalRule.Kind.values or mode not in ApprovalRule.Mode.values:
        raise ValueError((kind, mode))
    rule = ApprovalRule.objects.select_for_update().filter(kind=kind).first()
    if rule is None:
        rule = ApprovalRule(kind=kind)
    elif (rule.mode, rule.day, rule.hour) == (mode, day, hour):
        return False
    rule.mode, rule.day, rule.hour, rule.updated_by = mode, day, hour, by
    if rule.pk is None or mode != ApprovalRule.Mode.SCHEDULED:
        rule.last_run_at = None
    rule.full_clean()
    rule.save()
    return True


def scheduled_moment(rule: ApprovalRule, now: datetime) -> datetime:
    """This month's approval moment of a scheduled rule, in the office's time zone."""
    local = timezone.localtime(now)
    return local.replace(day=rule.day, hour=rule.hour, minute=0, second=0, microsecond=0)


def due_rules(now: datetime | None = None) -> list[ApprovalRule]:
    """Scheduled rules whose moment this month has come and that have not run since."""
    now = now or timezone.now()
    due = []
    for rule in ApprovalRule.objects.filter(mode=ApprovalRule.Mode.SCHEDULED):
        moment = scheduled_moment(rule, now)
        if now >= moment and (rule.last_run_at is None or rule.last_run_at < moment):
            due.append(rule)
    return due


def approve_kinds(kinds: list[str], *, name: str) -> int:
    """Approve every pending value of these data kinds in every enabled company; the number approved.

    One transaction per company (its row lock, as a bookkeeper's approval takes), so a long run never
    blocks syncs of other companies.
    """
    if not kinds:
        return 0
    condition = Q()
    for kind in kinds:
        condition |= Q(figure__kind__startswith=KIND_PREFIX[kind])
    company_ids = list(Revision.objects.filter(condition, state=RevisionState.PENDING, figure__company__enabled=True)
                       .values_list("figure__company_id", flat=True).distinct().order_by("figure__company_id"))
    approver = Approver.rule(name)
    total = 0
    for company_id in company_ids:
        with transaction.atomic():
            lock_company(company_id)
            total += publish(Revision.objects.filter(condition, figure__company_id=company_id), by=approver).count
    return total


def run_scheduled_approvals(now: datetime | None = None) -> int:
    """Run the due scheduled rules of the current office; the number of values approved."""
    now = now or timezone.now()
    rules = due_rules(now)
    if not rules:
        return 0
    approved = approve_kinds([rule.kind for rule in rules], name=_("automatic approval"))
    ApprovalRule.objects.filter(pk__in=[rule.pk for rule in rules]).update(last_run_at=now)
    return approved


