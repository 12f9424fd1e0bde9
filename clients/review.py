"""Read-side queries of the office panel's review pages (the companies list and the company page).

Each function issues a fixed number of SQL queries, whatever the number of companies or months:
the list is one annotated query per page (plus the paginator's count), the company page a handful
of queries (months aggregated in SQL, one month's figures loaded at a time).
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, field
from datetime import date

from django.db.models import (
    Count,
    DecimalField,
    Exists,
    F,
    Func,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, Lower

from clients.change_texts import change_details, field_label, field_value
from clients.models import (
    ApprovalLog,
    BasicDataConflict,
    Company,
    CompanyChange,
    CompanyPerson,
    Figure,
    Revision,
    RevisionState,
)
from clients.names import figure_name, program_name
from clients.vocabulary import (
    FIGURE_DATA_KINDS,
    KIND_PREFIX,
    PROGRAM_CODES,
    TAX_PREFIX,
    ZUS_PARTS,
    ZUS_TOTAL,
    zus_kind,
)
from clients.zus_accounts import missing_zus_account_exists

SORTS = {
    "name": (Lower("name").asc(), "nip"),
    "-name": (Lower("name").desc(), "-nip"),
    "nip": ("nip",),
    "-nip": ("-nip",),
    "synced": (F("last_synced_at").asc(nulls_first=True), "nip"),
    "-synced": (F("last_synced_at").desc(nulls_last=True), "nip"),
    "pending": ("-has_pending", Lower("name").asc(), "nip"),
}


def data_kind_of(figure_kind: str) -> str:
    """``tax:VAT-7`` → ``taxes``, ``zus:total`` → ``zus``, ``statement:revenue`` → ``statements``."""
    group = figure_kind.split(":", 1)[0]
    return {"tax": "taxes", "zus": "zus", "statement": "statements"}[group]


# --- Who sees which companies --------------------------------------------------------------------


def staff_companies(user, *, assigned_only: bool) -> QuerySet[Company]:
    """The companies a staff login reviews: all, or only their own for a bookkeeper when the office says so."""
    if user is None or not getattr(user, "is_office_staff", False) or not user.is_active:
        return Company.objects.none()
    if assigned_only and not user.is_office_admin:
        return Company.objects.filter(assigned_to=user)
    return Company.objects.all()


# --- Companies list --------------------------------------------------------------------------------


@dataclass(frozen=True)
class CompanyFilter:
    q: str = ""
    unapproved: bool = False
    missing_month: date | None = None  # companies without any figure for this month
    program: str = ""  # a source program of any kind
    bookkeeper: str = ""  # a user id, or "none" for unassigned
    disabled: str = ""  # "" all, "yes" only switched off, "no" only switched on
    without_zus_account: bool = False  # companies with ZUS whose payer's NRS is not known
    sort: str = "name"
    extra: dict = field(default_factory=dict)


def pending_exists() -> Exists:
    return Exists(Revision.objects.filter(figure__company=OuterRef("pk"), state=RevisionState.PENDING))


# Diacritics folded in SQL with translate() rather than the ``unaccent`` extension: an extension is one
# object per database, created in whichever schema comes first on the search_path, so with one schema per
# office (django-tenants, cloned template and spare schemas) it is found or not depending on how the schema
# was made; translate() is a core function, needs no DDL and behaves the same in every schema and on
# every PostgreSQL. An index would not help either way: the search is a substring match (ILIKE '%…%'),
# which a btree index on a normalised column cannot serve; at the benchmark's 5,000 companies the scan
# of one table is a few milliseconds (docs/benchmarks.md).
_ACCENTED = "ĄĆĘŁŃÓŚŹŻąćęłńóśźżÄÖÜäöüÁÉÍÚÝáéíúýČĎĚŇŘŠŤŮŽčďěňřšťůž"
_PLAIN = "ACELNOSZZacelnoszzAOUaouAEIUYaeiuyCDENRSTUZcdenrstuz"


def fold_text(text: str) -> str:
    """``ZAJĄC`` → ``ZAJAC``, ``Łódź`` → ``Lodz``: the Python side of the same folding as the SQL."""
    text = text.replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def folded(field_name: str) -> Func:
    return Func(F(field_name), Value(_ACCENTED), Value(_PLAIN), function="translate")


def name_search(text: str) -> Q:
    """Companies whose name contains ``text`` ignoring case and diacritics, or whose NIP contains its digits
    (``526-025-09-95`` and ``526 025 09 95`` find 5260250995)."""
    condition = Q(search_folded__icontains=fold_text(text))
    digits = "".join(ch for ch in text if ch.isdigit())
    if len(digits) >= 3 and len(digits) == len(text.replace("-", "").replace(" ", "")):
        condition |= Q(nip__contains=digits)
    return condition


# What a bookkeeper approves when they approve a company: the amounts the client will be asked to pay.
# Statements are information, not payments; the ZUS parts are counted once, through their total.
def _payable() -> Q:
    return Q(figure__kind__startswith=TAX_PREFIX) | Q(figure__kind=ZUS_TOTAL)


def pending_count() -> Subquery:
    pending = (Revision.objects.filter(figure__company=OuterRef("pk"), state=RevisionState.PENDING)
               .order_by().values("figure__company").annotate(n=Count("id")).values("n"))
    return Coalesce(Subquery(pending, output_field=IntegerField()), 0)


def pending_amount() -> Subquery:
    pending = (Revision.objects.filter(_payable(), figure__company=OuterRef("pk"), state=RevisionState.PENDING)
               .order_by().values("figure__company").annotate(total=Sum("amount")).values("total"))
    return Subquery(pending, output_field=DecimalField(max_digits=16, decimal_places=2))


def company_list(companies: QuerySet[Company], flt: CompanyFilter) -> QuerySet[Company]:
    """The list's rows: each company with ``has_pending``, ``pending_count``, ``pending_amount`` (payable kinds
    only; None when nothing payable waits), ``latest_period`` and its bookkeeper; one query."""
    rows = companies.select_related("assigned_to").annotate(
        has_pending=pending_exists(),
        pending_count=pending_count(),
        pending_amount=pending_amount(),
        latest_period=Subquery(Figure.objects.filter(company=OuterRef("pk")).order_by("-period")
                               .values("period")[:1]),
    )
    text = flt.q.strip()
    if text:
        rows = rows.alias(search_folded=folded("name")).filter(name_search(text))
    if flt.unapproved:
        rows = rows.filter(has_pending=True)
    if flt.missing_month is not None:
        rows = rows.filter(~Exists(Figure.objects.filter(company=OuterRef("pk"), period=flt.missing_month)))
    if flt.without_zus_account:
        rows = rows.filter(missing_zus_account_exists())
    if flt.program in PROGRAM_CODES:
        rows = rows.filter(Q(source_basic_data=flt.program) | Q(source_zus=flt.program)
                           | Q(source_taxes=flt.program) | Q(source_statements=flt.program))
    if flt.bookkeeper == "none":
        rows = rows.filter(assigned_to__isnull=True)
    elif flt.bookkeeper.isdigit():
        rows = rows.filter(assigned_to_id=int(flt.bookkeeper))
    if flt.disabled == "yes":
        rows = rows.filter(enabled=False)
    elif flt.disabled == "no":
        rows = rows.filter(enabled=True)
    return rows.order_by(*SORTS.get(flt.sort, SORTS["name"]))


def latest_approved_periods(company_ids: list[int]) -> dict[int, date]:
    """The newest month with an approved value, per company (for "send the summary for the latest month")."""
    rows = (Figure.objects.filter(company_id__in=company_ids, revisions__state=RevisionState.APPROVED)
            .values("company_id").annotate(latest=Max("period")))
    return {row["company_id"]: row["latest"] for row in rows}


# --- Company page ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthRow:
    period: date
    figures: int
    pending: int
    manual: int
    kinds: frozenset[str]  # the data kinds with figures this month
    pending_kinds: frozenset[str] = frozenset()  # the data kinds with something to approve

    @property
    def label(self) -> str:
        return f"{self.period.year:04d}-{self.period.month:02d}"


def company_months(company: Company) -> list[MonthRow]:
    """Every month the company has figures for, newest first, with its pending and manual counts: one query."""
    rows = (Figure.objects.filter(company=company).values("period")
            .annotate(figures=Count("id", distinct=True),
                      pending=Count("revisions", filter=Q(revisions__state=RevisionState.PENDING)),
                      manual=Count("id", filter=Q(manual=True), distinct=True),
                      **{kind: Count("id", filter=Q(kind__startswith=KIND_PREFIX[kind]), distinct=True)
                         for kind in FIGURE_DATA_KINDS},
                      **{f"pending_{kind}": Count("revisions", filter=Q(revisions__state=RevisionState.PENDING,
                                                                        kind__startswith=KIND_PREFIX[kind]))
                         for kind in FIGURE_DATA_KINDS})
            .order_by("-period"))
    return [MonthRow(row["period"], row["figures"], row["pending"], row["manual"],
                     frozenset(kind for kind in FIGURE_DATA_KINDS if row[kind]),
                     frozenset(kind for kind in FIGURE_DATA_KINDS if row[f"pending_{kind}"])) for row in rows]


def month_grid(months: list[MonthRow]) -> list[tuple[int, list[tuple[int, MonthRow | None]]]]:
    """The months as a calendar: newest year first, twelve cells a year (None where there is no data)."""
    by_period = {month.period: month for month in months}
    years = sorted({month.period.year for month in months}, reverse=True)
    return [(year, [(number, by_period.get(date(year, number, 1))) for number in range(1, 13)]) for year in years]


@dataclass(frozen=True)
class ReviewRow:
    """One figure of a month: what the client sees (approved) and what waits (pending), side by side."""

    figure: Figure
    approved: Revision | None
    pending: Revision | None

    @property
    def name(self) -> str:
        return figure_name(self.figure.kind)

    @property
    def changed(self) -> bool:
        """A pending change to a value the client already sees (old → new)."""
        return self.approved is not None and self.pending is not None

    @property
    def difference(self):
        if self.changed:
            return self.pending.amount - self.approved.amount
        return None


def month_rows(company: Company, period: date, data_kind: str) -> list[ReviewRow]:
    """The figures of one data kind in one month with their approved and pending revision: 2 queries."""
    live = Revision.objects.filter(state__in=[RevisionState.APPROVED, RevisionState.PENDING]).select_related(
        "approved_by").order_by("id")
    figures = (Figure.objects.filter(company=company, period=period, kind__startswith=KIND_PREFIX[data_kind])
               .order_by("payer_key", "kind")
               .prefetch_related(Prefetch("revisions", queryset=live, to_attr="live_revisions")))
    rows = []
    for figure in figures:
        figure.company = company
        by_state = {revision.state: revision for revision in figure.live_revisions}
        rows.append(ReviewRow(figure, by_state.get(RevisionState.APPROVED), by_state.get(RevisionState.PENDING)))
    if data_kind == "zus":
        order = {zus_kind(part): position for position, part in enumerate(ZUS_PARTS)}
        rows.sort(key=lambda row: (row.figure.payer_key, order.get(row.figure.kind, len(order)), row.figure.kind))
    return rows


def company_people(company: Company) -> list[CompanyPerson]:
    return list(CompanyPerson.objects.filter(company=company).select_related("person", "person__user")
                .order_by("role", "person__last_name", "person__first_name"))


def open_conflicts(company: Company) -> list[BasicDataConflict]:
    conflicts = list(BasicDataConflict.objects.filter(company=company, resolved_at__isnull=True).order_by("field"))
    for conflict in conflicts:  # read in words: the field's label, the values' and the program's names
        conflict.field_label = field_label(conflict.field)
        conflict.ours_text = field_value(conflict.field, conflict.ours) if conflict.ours else ""
        conflict.theirs_text = field_value(conflict.field, conflict.theirs)
        conflict.program_name = program_name(conflict.program)
    return conflicts


@dataclass(frozen=True)
class AuditRow:
    at: object
    who: str
    what: str
    period: date | None
    details: str


def company_audit(company: Company, limit: int = 30) -> list[AuditRow]:
    """Approvals, manual values and releases (ApprovalLog) merged with staff changes (CompanyChange): 2 queries."""
    rows = []
    for entry in ApprovalLog.objects.filter(company=company).select_related("user")[:limit]:
        who = str(entry.user) if entry.user_id else entry.agent_name
        details = str(entry.revisions) if entry.action == ApprovalLog.Action.APPROVE else ""
        rows.append(AuditRow(entry.at, who, entry.get_action_display(), entry.period, details))
    for change in CompanyChange.objects.filter(company=company).select_related("user")[:limit]:
        details = change_details(change.details)
        rows.append(AuditRow(change.at, str(change.user) if change.user_id else "", change.get_action_display(),
                             None, details))
    rows.sort(key=lambda row: row.at, reverse=True)
    return rows[:limit]

