"""Recording what the office knows was paid (``Settlement``): from the accounting program (agent API v1.1
``settlements``), a bank statement or a bookkeeper. Read by ``payment_status`` through the payment items.

A settlement is keyed like its item — (company, period, what, payer) with ``what`` a tax type or ``ZUS`` —
so one that arrives before its item is kept (*unmatched*, listed for the office) and applies as soon as the
item arrives. An identical repeat changes nothing; another amount replaces the earlier one. Every change is
in the company's audit trail (``CompanyChange``, action ``settled``) and refreshes the items' stored status
(``clients.item_statuses``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Value
from django.db.models.functions import Concat
from django.utils import timezone

from clients.access import mask_pesel
from clients.item_statuses import refresh_item_statuses
from clients.models import Company, CompanyChange, Figure, Settlement
from clients.models_payments import ZUS_ITEM, ItemKey, settlements_of
from clients.vocabulary import STATEMENT_PREFIX, TAX_PREFIX, ZUS_PREFIX


@dataclass(frozen=True)
class SettlementEntry:
    period: date
    what: str  # a tax type (``VAT-7``…) or ``ZUS``
    amount: Decimal
    paid_on: date | None = None
    payer_key: str = ""  # ZUS of a payer other than the company: their PESEL or NIP


@dataclass
class SettlementCounts:
    recorded: int = 0
    unchanged: int = 0
    unmatched: int = 0

    def as_json(self) -> dict:
        return {"recorded": self.recorded, "unchanged": self.unchanged, "unmatched": self.unmatched}


def _items_present(company_ids, periods) -> set[ItemKey]:
    """The item keys that have a figure (approved or not) among these companies and periods. One query."""
    present = set()
    for company_id, period, kind, payer_key in (
            Figure.objects.filter(company_id__in=company_ids, period__in=periods)
            .exclude(kind__startswith=STATEMENT_PREFIX).values_list("company_id", "period", "kind", "payer_key")):
        what = ZUS_ITEM if kind.startswith(ZUS_PREFIX) else kind[len(TAX_PREFIX):]
        present.add((company_id, period, what, payer_key))
    return present


def _payer_label(payer_key: str) -> str:
    return mask_pesel(payer_key) if len(payer_key) == 11 else payer_key


def record_settlements_of(pairs: list[tuple[Company, list[SettlementEntry]]], *, source: str, program: str = "",
                          by=None, agent_name: str = "") -> SettlementCounts:
    """Record what was paid for items of several companies: a constant number of queries for all of them
    (none when there is nothing to record)."""
    pairs = [(company, entries) for company, entries in pairs if entries]
    if not pairs:
        return SettlementCounts()
    with transaction.atomic():
        return _record(pairs, source=source, program=program, by=by, agent_name=agent_name)


def _record(pairs, *, source: str, program: str, by, agent_name: str) -> SettlementCounts:
    counts = SettlementCounts()
    company_ids = [company.pk for company, _entries in pairs]
    periods = {entry.period for _company, entries in pairs for entry in entries}
    existing = settlements_of(company_ids, period__in=periods)
    present = _items_present(company_ids, periods)
    created, changed, audit = [], [], []
    now = timezone.now()
    for company, entries in pairs:
        written = []
        for entry in entries:
            key = (company.pk, entry.period, entry.what, entry.payer_key)
            if key not in present:
                counts.unmatched += 1
            row = existing.get(key)
            if row is not None and (row.amount, row.paid_on) == (entry.amount, entry.paid_on):
                counts.unchanged += 1
                continue
            if row is None:
                row = existing[key] = Settlement(company=company, period=entry.period, what=entry.what,
                                                 payer_key=entry.payer_key)
                created.append(row)
            elif row.pk is not None and row not in changed:
                changed.append(row)
            row.amount, row.paid_on, row.source, row.program = entry.amount, entry.paid_on, source, program
            row.recorded_by, row.agent_name, row.recorded_at = by, agent_name, now
            written.append(row)
            counts.recorded += 1
        if written:
            # A payer's PESEL is personal data: the audit trail, shown in the panel, keeps it masked.
            items = sorted(" ".join(filter(None, (f"{row.period:%Y-%m}", row.what, _payer_label(row.payer_key))))
                           + f" = {row.amount}" for row in written)
            audit.append(CompanyChange(company=company, user=by, action=CompanyChange.Action.SETTLED,
                                       details={"source": source, "program": program, "items": items[:50]}))
    Settlement.objects.bulk_create(created)
    if changed:
        Settlement.objects.bulk_update(changed, ["amount", "paid_on", "source", "program", "recorded_by",
                                                 "agent_name", "recorded_at"])
    CompanyChange.objects.bulk_create(audit)
    if written_keys := {(row.company_id, row.period) for row in [*created, *changed]}:
        refresh_item_statuses({company_id for company_id, _period in written_keys},
                              {period for _company_id, period in written_keys})
    return counts


def unmatched_settlements(limit: int = 100, *, company: Company | None = None) -> list[Settlement]:
    """Settlements no item has arrived for yet (shown to the office): each applies when its item arrives."""
    tax = Figure.objects.filter(company=OuterRef("company"), period=OuterRef("period"), payer_key="",
                                kind=Concat(Value(TAX_PREFIX), OuterRef("what")))
    zus = Figure.objects.filter(company=OuterRef("company"), period=OuterRef("period"),
                                payer_key=OuterRef("payer_key"), kind__startswith=ZUS_PREFIX)
    waiting = (Q(what=ZUS_ITEM) & ~Exists(zus)) | (~Q(what=ZUS_ITEM) & ~Exists(tax))
    rows = Settlement.objects.filter(waiting)
    if company is not None:
        rows = rows.filter(company=company)
    return list(rows.select_related("company").order_by("-recorded_at")[:limit])
