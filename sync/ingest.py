"""Applying a validated batch to the office's companies, people and figures.

``apply_batch`` is the one entry point (API, exchange-file importers, reference agent,
demo seed and tests all call it). The rules are in docs/agent-api.md ("POST batches")
and docs/domain.md. It is set-based: a constant number of SQL statements per batch
(plus one per company for summaries), never one per figure:

1. refuse what cannot be applied (duplicates, unknown companies when auto-creation is off),
2. lock (and create) the companies in NIP order — concurrent syncs of one company serialise here,
3. basic data and people from the ``basic_data`` source program (``sync.ingest_people``),
4. load every live figure of those companies for the batch's months in one query,
   diff in Python, then bulk insert new figures and revisions and bulk supersede old ones;
5. what is to be approved (``options.approve``, on-sync rules) is published by ``clients.publishing.publish``,
   the same path as every other approval (log rows, corrections to clients already told).

The whole batch is one transaction; every refusal is decided before anything is written,
so each company is applied atomically and a refused company changes nothing.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clients import bulk
from clients.conflicts import record_conflicts
from clients.deadlines import statutory_due_date
from clients.messaging.services import queue_summary
from clients.models import (
    MAX_KIND_LENGTH,
    Company,
    CompanyPerson,
    Person,
    SettlementSource,
    add_months,
    parse_period,
)
from clients.publishing import AGENT_NAME_LENGTH, Approver, publish
from clients.rules import approve_on_sync_kinds
from clients.settlements import SettlementEntry, record_settlements_of
from clients.vocabulary import STATEMENT_PREFIX, ZUS_PREFIX, statement_kind, tax_kind, zus_kind
from clients.zus_accounts import record_synced_zus_accounts
from offices.accounts.models import OfficeSettings
from sync.batch import Batch, BatchResult, CompanyData, FieldError, ZusEntry
from sync.ingest_people import BASIC_FIELDS, invite_on_commit, merge_basic_data, sync_people
from sync.models import Agent

_FIGURE_POINTER = re.compile(r"^/(companies|payers)/(\d+)/(taxes|zus|statements)/(\d+)(?:/|$)")
_COPIED_LABEL = "forecast"
_DATA_KIND = {"tax": "taxes", "zus": "zus", "statement": "statements"}


@lru_cache(maxsize=1024)
def _period(value: str) -> date:
    return parse_period(value)


@dataclass(slots=True)
class _Wanted:
    """One figure value this batch wants to store."""

    key: bulk.FigureKey
    amount: Decimal
    due_date: date | None
    label: str


def apply_batch(batch: Batch, agent: Agent | None, *, batch_ref: str = "") -> BatchResult:
    """Apply ``batch`` posted by ``agent`` (None for panel imports); see the module docstring."""
    result = BatchResult()
    result.errors.extend(batch.errors)
    parser_rejected = set(batch.rejected_companies)
    result.companies["rejected"] += len(parser_rejected)
    office = OfficeSettings.load()
    ingestion = _Ingestion(batch, agent, office, result, batch_ref)
    rejected_entries = ingestion.rejected_entries_from_parser()
    candidates = [company for company in batch.companies if company.index not in parser_rejected]
    accepted = ingestion.refuse_malformed(candidates)
    with transaction.atomic():
        ingestion.apply(accepted)
    result.figures["rejected"] += len(rejected_entries | ingestion.rejected_entries)
    return result


class _Ingestion:
    def __init__(self, batch: Batch, agent: Agent | None, office: OfficeSettings, result: BatchResult,
                 batch_ref: str):
        self.batch = batch
        self.program = batch.program
        self.agent = agent
        self.office = office
        self.result = result
        self.batch_ref = batch_ref
        self.approve = batch.approve or office.approve_on_sync
        # Office panel's approval rules: data kinds (zus/taxes/statements) approved on every sync.
        self.approve_kinds = frozenset() if self.approve else approve_on_sync_kinds()
        self.rejected_entries: set[tuple] = set()

    # --- refusals ------------------------------------------------------------------------

    def rejected_entries_from_parser(self) -> set[tuple]:
        """Figure entries the parser refused (by pointer) plus every entry of a company it refused."""
        entries = set()
        for error in self.batch.errors:
            match = _FIGURE_POINTER.match(error.pointer)
            if match:
                entries.add((match[1], int(match[2]), match[3], int(match[4])))
        parser_rejected = set(self.batch.rejected_companies)
        for company in self.batch.companies:
            if company.index in parser_rejected:
                entries |= _entries_of(company)
        return entries

    def _reject(self, company: CompanyData, pointer: str, code: str, detail: str) -> None:
        self.result.errors.append(FieldError(pointer=pointer, code=code, detail=detail))
        self.result.companies["rejected"] += 1
        self.rejected_entries |= _entries_of(company)

    def refuse_malformed(self, companies: list[CompanyData]) -> list[CompanyData]:
        """Refuse a company listed twice, a figure listed twice, a statement total whose name is too long."""
        accepted, seen_nips = [], set()
        for company in companies:
            base = f"/companies/{company.index}"
            if company.nip in seen_nips:
                self._reject(company, f"{base}/nip", "duplicate_company",
                             _("This company (NIP %(nip)s) is already in this batch.") % {"nip": company.nip})
                continue
            problem = _duplicate_figure(company)
            if problem:
                pointer, detail = problem
                self._reject(company, f"{base}/{pointer}", "duplicate_figure", detail)
                continue
            too_long = next(((s.index, name) for s in company.statements for name in s.totals
                             if len(statement_kind(name)) > MAX_KIND_LENGTH), None)
            if too_long:
                self._reject(company, f"{base}/statements/{too_long[0]}/totals", "invalid_total",
                             _("A total's name may have at most %(max)d characters.")
                             % {"max": MAX_KIND_LENGTH - len(STATEMENT_PREFIX)})
                continue
            seen_nips.add(company.nip)
            accepted.append(company)
        return accepted

    # --- applying ------------------------------------------------------------------------

    def apply(self, accepted: list[CompanyData]) -> None:
        payer_companies = self._match_payers()
        locked = bulk.lock_companies(
            [c.nip for c in accepted] + [nip for nips in payer_companies.values() for nip in nips],
            create_with_program=self.program if self.office.auto_create_companies else None)
        companies = Company.objects.in_bulk([company_id for company_id, _created in locked.values()])
        applied: list[tuple[CompanyData, Company, bool]] = []
        for data in accepted:
            if data.nip not in locked:
                self._reject(data, f"/companies/{data.index}/nip", "unknown_company",
                             _("The office has no company with NIP %(nip)s and does not create companies "
                               "from synchronisation.") % {"nip": data.nip})
                continue
            company_id, created = locked[data.nip]
            applied.append((data, companies[company_id], created))

        changed: set[int] = set()
        changed |= self._basic_data(applied)
        changed |= self._zus_accounts(applied, payer_companies)
        wanted, newest = self._wanted_figures(applied)
        wanted += self._payer_figures(payer_companies, locked, companies)
        changed |= self._write_figures(applied, wanted, newest)
        self._settlements(applied)

        for _data, company, created in applied:
            bucket = "created" if created else "updated" if company.pk in changed else "unchanged"
            self.result.companies[bucket] += 1
        bulk.mark_synced([company.pk for _data, company, _created in applied])

    def _basic_data(self, applied) -> set[int]:
        """Basic data and people, only from the company's ``basic_data`` program; ids of changed companies."""
        overwrite = self.office.update_basic_data
        changed_companies, people_of, conflicts = [], [], []
        for data, company, _created in applied:
            if not company.enabled or company.source_basic_data != self.program:
                continue
            if merge_basic_data(company, data, overwrite, self.program, conflicts):
                changed_companies.append(company)
            if data.people:
                people_of.append((company, data.people))
        if changed_companies:
            bulk.update_companies(changed_companies, BASIC_FIELDS + ["basic_data_program"])
        record_conflicts(conflicts)  # values not taken are kept for the office to review, never dropped
        new_people: list[Person] = []
        changed_people = sync_people(people_of, overwrite, created=new_people)
        if self.office.send_activation:
            invite_on_commit([person.pk for person in new_people if person.pk and person.email])
        return {c.pk for c in changed_companies} | changed_people

    def _settlements(self, applied) -> None:
        """v1.1 ``settlements``: the office's word that items were paid, from its books (clients.settlements)."""
        pairs = [(company, [SettlementEntry(_period(s.period), s.what, s.amount, s.paid_on,
                                            s.payer_pesel or s.payer_nip or "") for s in data.settlements])
                 for data, company, _created in applied if company.enabled and data.settlements]
        counts = record_settlements_of(pairs, source=SettlementSource.PROGRAM, program=self.program,
                                       agent_name=self.agent.name if self.agent else "")
        for name, count in counts.as_json().items():
            self.result.settlements[name] += count

    def _zus_accounts(self, applied, payer_companies) -> set[int]:
        """v1.1 ``zus_account`` of companies, people and matched payers, from the company's ZUS or basic-data
        program; an absent one leaves the stored NRS alone."""
        companies, people = [], []
        for data, company, _created in applied:
            if not company.enabled or self.program not in (company.source_basic_data, company.source_zus):
                continue
            if data.zus_account is not None:
                companies.append((company, data.zus_account))
            people += [(p.pesel, p.nip, p.zus_account) for p in data.people if p.zus_account is not None]
        people += [(payer.pesel, payer.nip, payer.zus_account) for payer in self.batch.payers
                   if payer.zus_account is not None and payer.index in payer_companies]
        return record_synced_zus_accounts(companies, people, program=self.program)

    def _wanted_figures(self, applied) -> tuple[list[_Wanted], dict[int, date]]:
        program, figures = self.program, self.result.figures
        wanted: list[_Wanted] = []
        newest: dict[int, date] = {}
        for data, company, _created in applied:
            cid, zus_payer, start = company.pk, company.zus_payer, len(wanted)
            if not company.enabled:
                figures["skipped_source"] += _figure_count(data)
                continue
            if company.source_taxes == program:
                for tax in data.taxes:
                    period, kind = _period(tax.period), tax_kind(tax.type)
                    due = tax.due_date or statutory_due_date(kind, period, zus_payer, company.income_tax_period)
                    wanted.append(_Wanted((cid, period, kind, ""), tax.amount, due, tax.label))
            else:
                figures["skipped_source"] += len(data.taxes)
            if company.source_zus == program:
                for entry in data.zus:
                    wanted.extend(_zus_wanted(cid, zus_payer, entry, entry.payer_pesel or entry.payer_nip or ""))
            else:
                figures["skipped_source"] += sum(len(entry.parts()) for entry in data.zus)
            if company.source_statements == program:
                for statement in data.statements:
                    period = _period(statement.period)
                    for name, amount in statement.parts().items():
                        wanted.append(_Wanted((cid, period, statement_kind(name), ""), amount, None, "declaration"))
            else:
                figures["skipped_source"] += sum(len(s.parts()) for s in data.statements)
            if len(wanted) > start:
                newest[cid] = max(item.key[1] for item in wanted[start:])
        return wanted, newest

    # --- payers --------------------------------------------------------------------------

    def _match_payers(self) -> dict[int, list[str]]:
        """``payer index → NIPs of the companies whose people have the payer's PESEL or NIP``."""
        payers = self.batch.payers
        if not payers:
            return {}
        if not self.office.match_payers:
            self.result.payers["unmatched"] += len(payers)
            return {}
        pesels = [p.pesel for p in payers if p.pesel]
        nips = [p.nip for p in payers if p.nip]
        by_pesel, by_nip = defaultdict(set), defaultdict(set)
        rows = (CompanyPerson.objects.filter(Q(person__pesel__in=pesels) | Q(person__nip__in=nips))
                .values_list("person__pesel", "person__nip", "company__nip"))
        for pesel, nip, company_nip in rows:
            if pesel:
                by_pesel[pesel].add(company_nip)
            if nip:
                by_nip[nip].add(company_nip)
        matches = {}
        for payer in payers:
            found = (by_pesel.get(payer.pesel, set()) if payer.pesel else set()) | (
                by_nip.get(payer.nip, set()) if payer.nip else set())
            if found:
                matches[payer.index] = sorted(found)
                self.result.payers["matched"] += 1
            else:
                self.result.payers["unmatched"] += 1
        return matches

    def _payer_figures(self, payer_companies, locked, companies) -> list[_Wanted]:
        wanted = []
        for payer in self.batch.payers:
            for nip in payer_companies.get(payer.index, ()):
                company = companies.get(locked[nip][0]) if nip in locked else None
                parts = sum(len(entry.parts()) for entry in payer.zus)
                if company is None or not company.enabled or company.source_zus != self.program:
                    self.result.figures["skipped_source"] += parts
                    continue
                for entry in payer.zus:
                    wanted.extend(_zus_wanted(company.pk, company.zus_payer, entry, payer.pesel or payer.nip or ""))
        return wanted

    # --- figures -------------------------------------------------------------------------

    def _write_figures(self, applied, wanted: list[_Wanted], newest: dict[int, date]) -> set[int]:
        figures = self.result.figures
        # A payer's figure already sent in the company's own ZUS list: the company's entry wins.
        unique: dict[bulk.FigureKey, _Wanted] = {}
        for item in wanted:
            unique.setdefault(item.key, item)
        copy_months = self._copy_months()
        periods = {key[1] for key in unique}
        for month in copy_months:
            periods |= {month, add_months(month, -1)}
        company_ids = sorted({key[0] for key in unique} | {company.pk for _d, company, _c in applied})
        live = bulk.load_live_figures(company_ids, sorted(periods))

        changed: set[int] = set()
        new_figures: list[_Wanted] = []
        revisions: list[bulk.NewRevision] = []
        retire: list[int] = []
        for item in unique.values():
            approve = self.approve or _DATA_KIND[item.key[2].split(":", 1)[0]] in self.approve_kinds
            figure = live.get(item.key)
            if figure is None:
                new_figures.append(item)
                continue
            if figure.manual:  # a bookkeeper's manual value holds the figure until released
                figures["skipped_source"] += 1
                continue
            current = figure.pending or figure.approved
            if current is not None and current[1] == item.amount and current[2] == item.due_date \
                    and current[3] == item.label:
                figures["unchanged"] += 1
                continue
            changed.add(item.key[0])
            approved = figure.approved
            if figure.pending is not None:
                retire.append(figure.pending[0])
                if approved is not None and approved[1:] == (item.amount, item.due_date, item.label):
                    # Back to the published value: the pending change is simply withdrawn.
                    figures["updated"] += 1
                    continue
            revisions.append(bulk.NewRevision(figure.id, item.amount, item.due_date, item.label, approve))
            figures["updated" if current is not None else "created"] += 1

        copies = self._copy_zus(applied, unique, live, copy_months)
        figure_ids = bulk.insert_figures([item.key for item in new_figures] + [item.key for item in copies])
        for item in new_figures:
            approve = self.approve or _DATA_KIND[item.key[2].split(":", 1)[0]] in self.approve_kinds
            revisions.append(bulk.NewRevision(figure_ids[item.key], item.amount, item.due_date, item.label, approve))
            changed.add(item.key[0])
        for item in copies:
            revisions.append(bulk.NewRevision(figure_ids[item.key], item.amount, item.due_date, item.label, False))
            changed.add(item.key[0])
        figures["created"] += len(new_figures) + len(copies)

        bulk.supersede(retire)
        to_publish = bulk.insert_revisions(revisions, source=self.program, batch_ref=self.batch_ref)
        approver = Approver(agent_id=self.agent.pk if self.agent is not None else None,
                            name=(self.agent.name if self.agent is not None else self.program)[:AGENT_NAME_LENGTH])
        figures["approved"] += publish(to_publish, by=approver, batch_ref=self.batch_ref).count
        if self.approve and self.batch.send_summary:
            for _data, company, _created in applied:
                if company.pk in newest and company.enabled:
                    queue_summary(company, newest[company.pk])
        return changed

    # --- copying ZUS from the previous month -----------------------------------------------

    def _copy_months(self) -> list[date]:
        """The months ZUS may be copied into: the batch's range, never beyond the current month."""
        if not self.office.copy_zus_from_previous or not self.batch.period_from or not self.batch.period_to:
            return []
        first, last = _period(self.batch.period_from), _period(self.batch.period_to)
        today = timezone.localdate()
        last = min(last, date(today.year, today.month, 1))
        months = []
        while first <= last:
            months.append(first)
            first = add_months(first, 1)
        return months

    def _copy_zus(self, applied, unique, live, months: list[date]) -> list[_Wanted]:
        """Copy the previous month's ZUS into months the company's ZUS program sent nothing for.

        For a company in the batch whose ZUS source is the posting program, a month M of the
        batch range gets a pending copy (label ``forecast``, due date recomputed for M) of every
        ZUS figure of M-1 — the value this batch sends for M-1, else the portal's current value —
        when neither the batch nor the portal has any ZUS figure for M. Months are walked in
        order, so a copy can itself be copied into the next month. Copies are never approved
        automatically.
        """
        if not months:
            return []
        zus_by_month: dict[tuple[int, date], dict[tuple[str, str], _Wanted | tuple]] = defaultdict(dict)
        for key, figure in live.items():
            if key[2].startswith(ZUS_PREFIX):
                value = figure.pending or figure.approved
                if value is not None:
                    zus_by_month[(key[0], key[1])][(key[2], key[3])] = (value[1], value[3])
        for key, item in unique.items():
            if key[2].startswith(ZUS_PREFIX):
                zus_by_month[(key[0], key[1])][(key[2], key[3])] = (item.amount, item.label)
        has_zus_in_portal = {(key[0], key[1]) for key in live if key[2].startswith(ZUS_PREFIX)}
        copies = []
        for _data, company, _created in applied:
            if not company.enabled or company.source_zus != self.program:
                continue
            cid = company.pk
            for month in months:
                if (cid, month) in has_zus_in_portal or zus_by_month.get((cid, month)):
                    continue
                previous = zus_by_month.get((cid, add_months(month, -1)))
                if not previous:
                    continue
                for (kind, payer_key), (amount, _label) in sorted(previous.items()):
                    due = statutory_due_date(kind, month, company.zus_payer)
                    copy = _Wanted((cid, month, kind, payer_key), amount, due, _COPIED_LABEL)
                    copies.append(copy)
                    zus_by_month[(cid, month)][(kind, payer_key)] = (amount, _COPIED_LABEL)
        return copies


# --- helpers -------------------------------------------------------------------------------


def _zus_wanted(company_id: int, zus_payer: str, entry: ZusEntry, payer_key: str) -> list[_Wanted]:
    period = _period(entry.period)
    wanted = []
    for part, amount in entry.parts().items():
        kind = zus_kind(part)
        due = entry.due_date or statutory_due_date(kind, period, zus_payer)
        wanted.append(_Wanted((company_id, period, kind, payer_key), amount, due, entry.label))
    return wanted


def _figure_count(data: CompanyData) -> int:
    return (len(data.taxes) + sum(len(e.parts()) for e in data.zus) + sum(len(s.parts()) for s in data.statements))


def _entries_of(company: CompanyData) -> set[tuple]:
    return ({("companies", company.index, "taxes", t.index) for t in company.taxes}
            | {("companies", company.index, "zus", z.index) for z in company.zus}
            | {("companies", company.index, "statements", s.index) for s in company.statements})


def _duplicate_figure(company: CompanyData) -> tuple[str, str] | None:
    seen = set()
    for tax in company.taxes:
        key = ("tax", tax.period, tax.type)
        if key in seen:
            return f"taxes/{tax.index}", _("%(type)s for %(period)s is listed twice.") % {
                "type": tax.type, "period": tax.period}
        seen.add(key)
    for entry in company.zus:
        key = ("zus", entry.period, entry.payer_pesel or entry.payer_nip or "")
        if key in seen:
            return f"zus/{entry.index}", _("ZUS for %(period)s and this payer is listed twice.") % {
                "period": entry.period}
        seen.add(key)
    for statement in company.statements:
        key = ("statement", statement.period)
        if key in seen:
            return f"statements/{statement.index}", _("The statement for %(period)s is listed twice.") % {
                "period": statement.period}
        seen.add(key)
    return None

