"""What a batch *would* change, without changing anything: the panel upload's preview.

``preview_batch`` runs the real ``apply_batch`` inside a transaction that is always rolled back, once per
company (so the preview is broken down per company) — the very same rules decide: source programs, manual
values, unchanged values, copies of ZUS, refusals. Re-implementing those rules read-only would be a second
copy of them that drifts; a rolled-back run cannot drift. Nothing outside the database is touched by
``apply_batch`` (summaries are queued on commit, which never comes). The cost is one short transaction per
company holding the company's row lock; above ``PER_COMPANY_LIMIT`` companies the batch is previewed as a
whole and only its totals are shown.

Companies the office does not have are previewed as if they were created (the uploader may tick "create
the company" even when the office turned automatic creation off), and flagged ``known=False``.

The preview also lists what the file carries before anything is applied: each company's amounts per period
(``CompanyPreview.lines``), the months the file covers (``BatchPreview.periods``) and whether the file is old
(``BatchPreview.stale``: its newest month lies more than ``STALE_AFTER_MONTHS`` before today's month), so an
archive sent by mistake is noticed before "Apply".
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.utils import timezone

from clients import bulk
from clients.models import Company
from clients.payment_status import go_live_of
from clients.vocabulary import statement_kind, tax_kind, zus_kind
from offices.accounts.models import OfficeSettings
from sync.batch import Batch, BatchResult, CompanyData
from sync.importers.result import ImportResult, ReviewFlag, mask_identifier
from sync.ingest import apply_batch

PER_COMPANY_LIMIT = 50
#: A file whose newest month is more than this many months before today's is flagged as old.
STALE_AFTER_MONTHS = 12


class _Rollback(Exception):  # noqa: N818 - control flow, never escapes this module
    def __init__(self, result: BatchResult):
        super().__init__("rollback")
        self.result = result


@dataclass(frozen=True)
class AmountLine:
    """One amount the file carries for a company: a figure kind (``tax:VAT-7``, ``zus:total`` …) in a month."""

    period: str  # "YYYY-MM"
    kind: str
    amount: Decimal
    payer: str = ""  # the ZUS payer's PESEL or NIP when it is not the company


@dataclass
class CompanyPreview:
    nip: str
    name: str  # the office's name for it, else the file's
    known: bool
    result: BatchResult | None = None  # None when the batch was too large to preview per company
    lines: list[AmountLine] = field(default_factory=list)  # what the file says, in period order

    @property
    def periods(self) -> list[str]:
        return sorted({line.period for line in self.lines})

    @property
    def figures(self) -> dict[str, int]:
        return self.result.figures if self.result is not None else {}

    @property
    def errors(self) -> list:
        return self.result.errors if self.result is not None else []


@dataclass
class BatchPreview:
    companies: list[CompanyPreview] = field(default_factory=list)
    totals: BatchResult = field(default_factory=BatchResult)
    flags: list[ReviewFlag] = field(default_factory=list)  # office-side ones (go_live_flags), besides the file's
    periods: list[str] = field(default_factory=list)  # every month the file names, "YYYY-MM", sorted
    stale_months: int = 0  # how many months the file's newest month lies before today's month (0: current or future)

    @property
    def stale(self) -> bool:
        return self.stale_months > STALE_AFTER_MONTHS

    @property
    def period_range(self) -> tuple[str, str] | None:
        return (self.periods[0], self.periods[-1]) if self.periods else None

    @property
    def unknown(self) -> list[CompanyPreview]:
        return [company for company in self.companies if not company.known]

    @property
    def changes(self) -> int:
        return self.totals.figures["created"] + self.totals.figures["updated"]


def dry_run(batch: Batch, *, create_nips: list[str] = ()) -> BatchResult:
    """``apply_batch`` in a transaction that is rolled back; ``create_nips`` are created first (as the upload would)."""
    try:
        with transaction.atomic():
            if create_nips:
                bulk.lock_companies(list(create_nips), create_with_program=batch.program)
            raise _Rollback(apply_batch(batch, None))
    except _Rollback as rollback:
        return rollback.result


def _only(batch: Batch, company: CompanyData) -> Batch:
    base = f"/companies/{company.index}/"
    return replace(batch, companies=(company,), payers=(),
                   rejected_companies=tuple(i for i in batch.rejected_companies if i == company.index),
                   errors=tuple(e for e in batch.errors if e.pointer.startswith(base) or e.pointer == base[:-1]))


def _add(total: BatchResult, part: BatchResult) -> None:
    for bucket in ("companies", "figures", "payers"):
        for name, count in getattr(part, bucket).items():
            getattr(total, bucket)[name] = getattr(total, bucket).get(name, 0) + count
    total.errors.extend(part.errors)


def amount_lines(company: CompanyData) -> list[AmountLine]:
    """The amounts the file carries for one company, by month, then taxes, ZUS (per payer), statements."""
    lines = [AmountLine(entry.period, tax_kind(entry.type), entry.amount) for entry in company.taxes]
    for entry in company.zus:
        payer = entry.payer_pesel or entry.payer_nip or ""
        lines.extend(AmountLine(entry.period, zus_kind(part), amount, payer) for part, amount in entry.parts().items())
    for entry in company.statements:
        lines.extend(AmountLine(entry.period, statement_kind(name), amount) for name, amount in entry.parts().items())
    order = {"tax": 0, "zus": 1, "statement": 2}
    return sorted(lines, key=lambda line: (line.period, order.get(line.kind.split(":")[0], 3)))


def batch_periods(batch: Batch) -> list[str]:
    """Every month the batch names (its declared range and each entry's period), sorted."""
    periods = {period for period in (batch.period_from, batch.period_to) if period}
    for company in batch.companies:
        for entries in (company.taxes, company.zus, company.statements, company.settlements):
            periods.update(entry.period for entry in entries)
    for payer in batch.payers:
        periods.update(entry.period for entry in payer.zus)
    return sorted(periods)


def months_before(period: str, today: date) -> int:
    """How many months ``period`` ("YYYY-MM") lies before today's month (negative: after it)."""
    year, month = (int(part) for part in period.split("-")[:2])
    return (today.year - year) * 12 + today.month - month


def preview_batch(batch: Batch, *, today: date | None = None) -> BatchPreview:
    """Per company: what ``apply_batch`` would create, update, leave unchanged, skip or refuse; plus the amounts
    and months the file carries and how old it is (``today`` defaults to the local date)."""
    today = today or timezone.localdate()
    nips = [company.nip for company in batch.companies]
    known = dict(Company.objects.filter(nip__in=nips).values_list("nip", "name"))
    unknown = [nip for nip in nips if nip not in known]
    preview = BatchPreview(periods=batch_periods(batch))
    if preview.periods:
        preview.stale_months = max(0, months_before(preview.periods[-1], today))
    per_company = len(batch.companies) <= PER_COMPANY_LIMIT
    for company in batch.companies:
        row = CompanyPreview(nip=company.nip, name=known.get(company.nip) or company.name, known=company.nip in known,
                             lines=amount_lines(company))
        if per_company:
            row.result = dry_run(_only(batch, company), create_nips=[] if row.known else [company.nip])
            _add(preview.totals, row.result)
        preview.companies.append(row)
    if per_company:
        indices = {company.index for company in batch.companies}
        rest = replace(batch, companies=(), rejected_companies=tuple(i for i in batch.rejected_companies
                                                                     if i not in indices),
                       errors=tuple(e for e in batch.errors if not e.pointer.startswith("/companies/")))
        if rest.payers or rest.errors:
            _add(preview.totals, dry_run(rest))
    else:
        preview.totals = dry_run(batch, create_nips=unknown)
    preview.flags = go_live_flags(batch)
    return preview


def review_flags(imported: ImportResult) -> list[ReviewFlag]:
    """Everything to review about an exchange file: its own contradictions, then the office's (go-live)."""
    return [*imported.flags, *go_live_flags(imported.batch)]


def go_live_flags(batch: Batch) -> list[ReviewFlag]:
    """One ``before_go_live`` flag per company (or unattached payer) whose declarations in the batch are for
    months before its go-live month (the company's own, else the office's): approved, they become history
    (``clients.payment_status``), which the bookkeeper should know before applying a years-old file."""
    office_go_live = OfficeSettings.load().go_live_month
    companies = {company.nip: company for company in
                 Company.objects.filter(nip__in=[data.nip for data in batch.companies]).only("nip", "name",
                                                                                            "go_live_month")}
    flags = []
    for data in batch.companies:
        known = companies.get(data.nip)
        go_live = go_live_of(known, office_go_live) if known is not None else office_go_live
        name = known.name if known is not None else (data.name or data.nip)
        flags.extend(_flag_before(go_live, name, [*data.taxes, *data.zus]))
    for payer in batch.payers:
        flags.extend(_flag_before(office_go_live, payer.nip or mask_identifier(payer.pesel or ""), payer.zus))
    return flags


def _flag_before(go_live, who: str, declarations) -> list[ReviewFlag]:
    if go_live is None:
        return []
    first = f"{go_live:%Y-%m}"
    early = sorted({entry.period for entry in declarations if entry.period < first})
    if not early:
        return []
    return [ReviewFlag("before_go_live", {"company": who, "periods": ", ".join(early), "go_live": first})]
