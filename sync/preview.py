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
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from django.db import transaction

from clients import bulk
from clients.models import Company
from clients.payment_status import go_live_of
from offices.accounts.models import OfficeSettings
from sync.batch import Batch, BatchResult, CompanyData
from sync.importers.result import ImportResult, ReviewFlag, mask_identifier
from sync.ingest import apply_batch

PER_COMPANY_LIMIT = 50


class _Rollback(Exception):  # noqa: N818 - control flow, never escapes this module
    def __init__(self, result: BatchResult):
        super().__init__("rollback")
        self.result = result


@dataclass
class CompanyPreview:
    nip: str
    name: str  # the office's name for it, else the file's
    known: bool
    result: BatchResult | None = None  # None when the batch was too large to preview per company

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


def preview_batch(batch: Batch) -> BatchPreview:
    """Per company: what ``apply_batch`` would create, update, leave unchanged, skip or refuse."""
    nips = [company.nip for company in batch.companies]
    known = dict(Company.objects.filter(nip__in=nips).values_list("nip", "name"))
    unknown = [nip for nip in nips if nip not in known]
    preview = BatchPreview()
    per_company = len(batch.companies) <= PER_COMPANY_LIMIT
    for company in batch.companies:
        row = CompanyPreview(nip=company.nip, name=known.get(company.nip) or company.name, known=company.nip in known)
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
