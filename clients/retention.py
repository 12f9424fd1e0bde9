"""Retention: the personal data of companies that left the office is erased after the office's period.

``OfficeSettings.retention_months`` (empty: never automatically). A company has *left* when its
synchronisation was switched off (``Company.enabled`` false) and has stayed off: it left at the newest
"switched off" entry of its history. Once ``retention_months`` have passed since then:

1. every person of the company who belongs to no other company still served is erased
   (``clients.privacy.erase_person``); people who still belong to a served company lose only the link;
2. the company's contact e-mail and phone are cleared and its outbox rows emptied;
3. the company itself with its figures is deleted only once the tax law no longer requires them
   (``tax_records_kept_until``); until then they stay, without the people.

Run per office by ``offices.tasks.retention`` (daily). Idempotent: a company already handled is skipped
until its tax records may go.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass
from datetime import date, datetime, time

from django.db import transaction
from django.db.models import DateTimeField, F, Max, OuterRef, Subquery
from django.db.models.functions import Coalesce, ExtractYear
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.approval import lock_company
from clients.messaging.models import Message
from clients.models import Company, CompanyChange, CompanyPerson, Erasure, Revision, add_months
from clients.privacy import erase_person
from offices.accounts.models import AuditAction, OfficeSettings
from offices.accounts.services import record_audit

#: Tax records are kept for 5 years from the end of the calendar year in which the payment was due
#: (Ordynacja podatkowa art. 70 § 1 with art. 86 § 1; ustawa o rachunkowości art. 74 ust. 2 and 4):
#: a record whose last payment fell due in year Y may go on 1 January of Y + 6.
TAX_RECORD_YEARS = 5


@dataclass(frozen=True)
class RetentionResult:
    companies: int = 0
    people: int = 0
    deleted: int = 0


def months_before(day: date, months: int) -> date:
    first = add_months(day.replace(day=1), -months)
    return first.replace(day=min(day.day, calendar.monthrange(first.year, first.month)[1]))


def _cutoff(today: date, months: int) -> datetime:
    return timezone.make_aware(datetime.combine(months_before(today, months), time.min))


def departed_companies():
    """Companies switched off, annotated with ``left_at`` (their newest "switched off", else their last data)."""
    switched_off = (CompanyChange.objects.filter(company=OuterRef("pk"), action=CompanyChange.Action.DISABLED)
                    .order_by("-at").values("at")[:1])
    return Company.objects.filter(enabled=False).annotate(
        left_at=Coalesce(Subquery(switched_off, output_field=DateTimeField()), F("last_synced_at"), F("created_at")))


def tax_records_kept_until(company: Company) -> date | None:
    """The first day the company's figures may be deleted (None: it has none)."""
    revisions = Revision.objects.filter(figure__company=company)
    due = revisions.aggregate(year=Max(ExtractYear("due_date")))["year"]
    # Without a due date, a month's value is paid the month after (a December period in January).
    undated = revisions.filter(due_date__isnull=True).aggregate(period=Max("figure__period"))["period"]
    years = [year for year in (due, add_months(undated, 1).year if undated else None) if year]
    if not years:
        return None
    year = max(years)
    return date(year + TAX_RECORD_YEARS + 1, 1, 1)


def _reason(months: int, kept_until: date | None) -> str:
    text = _("The company left the office more than %(months)s months ago (the office's retention period).") % {
        "months": months}
    if kept_until is not None:
        text += " " + _("Its tax records are kept until %(date)s (Ordynacja podatkowa art. 70 § 1 and art. 86 § 1, "
                        "ustawa o rachunkowości art. 74).") % {"date": kept_until.isoformat()}
    return text


def _already_handled(company: Company) -> Erasure | None:
    return Erasure.objects.filter(person__isnull=True, cause=Erasure.Cause.RETENTION,
                                  company_ids__contains=[company.pk]).first()


@transaction.atomic
def erase_departed_company(company: Company, *, months: int, due_ids: set[int], today: date) -> RetentionResult:
    """Steps 1–3 of the module's docstring for one company; ``due_ids``: every company due in this run."""
    lock_company(company.pk)
    kept_until = tax_records_kept_until(company)
    deletable = kept_until is None or kept_until <= today
    handled = _already_handled(company)
    if handled is not None and not deletable:
        return RetentionResult()
    reason = _reason(months, kept_until)
    people = 0
    links = CompanyPerson.objects.filter(company=company).select_related("person")
    for link in links:
        still_served = CompanyPerson.objects.filter(person=link.person_id).exclude(company_id__in=due_ids).exists()
        if still_served:
            link.delete()
        elif erase_person(link.person, by=None, reason=reason, cause=Erasure.Cause.RETENTION)[1]:
            people += 1
    Company.objects.filter(pk=company.pk).update(email="", phone="")
    Message.objects.filter(company=company).update(recipient="", subject="", body="", html="")
    if handled is None:
        handled = Erasure.objects.create(cause=Erasure.Cause.RETENTION, reason=reason, company_ids=[company.pk])
    if deletable:
        Company.objects.filter(pk=company.pk).delete()
        Erasure.objects.filter(pk=handled.pk).update(company_deleted=True)
    record_audit(None, AuditAction.RETENTION_ERASED, company.nip, {"people": people, "deleted": deletable})
    return RetentionResult(companies=1, people=people, deleted=int(deletable))


def erase_departed_companies(now=None) -> RetentionResult:
    """The office's retention run: every company that left more than ``retention_months`` ago."""
    months = OfficeSettings.load().retention_months
    if not months:
        return RetentionResult()
    now = now or timezone.now()
    today = timezone.localdate(now)
    due = list(departed_companies().filter(left_at__lt=_cutoff(today, months)).order_by("pk"))
    due_ids = {company.pk for company in due}
    total = RetentionResult()
    for company in due:
        result = erase_departed_company(company, months=months, due_ids=due_ids, today=today)
        total = RetentionResult(total.companies + result.companies, total.people + result.people,
                                total.deleted + result.deleted)
    return total


def retention_preview(months: int | None, now=None) -> list[Company]:
    """The companies the next run would handle (for the privacy page), at most 50."""
    if not months:
        return []
    cutoff = _cutoff(timezone.localdate(now or timezone.now()), months)
    handled = Erasure.objects.filter(person__isnull=True, cause=Erasure.Cause.RETENTION).values_list(
        "company_ids", flat=True)
    handled_ids = {pk for ids in handled for pk in ids}
    return [company for company in departed_companies().filter(left_at__lt=cutoff).order_by("left_at")[:50]
            if company.pk not in handled_ids]

