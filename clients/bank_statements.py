"""Importing a bank statement: its debit lines settle payable items through ``clients.settlements``.

``import_statement(data, source=…, company=…)`` is the one path for a client's upload, the panel, ``POST
files`` (kind ``mt940`` / ``camt053``) and the demo seed. Per line (clients/bank_matching.py decides):

- credits, foreign-currency lines and debits to any account that is neither a tax micro-account nor a ZUS
  account (NRS) are counted, not stored;
- a payment line already matched (same ``identity``) is left alone: the same statement twice changes nothing;
- otherwise it is matched to exactly one item (account, title, amount) and settled with
  ``record_settlements_of`` (source ``bank``, audited per company), or stored as unmatched with its reason.
  An unmatched line is looked at again when the statement is imported again or the office asks
  (``recheck_unmatched``), e.g. after the item has been approved.

For a client (``company`` given, their own, checked by the caller with ``clients.access``) a statement of
another company's account is refused as a whole: its account was imported before for another company, or its
tax and ZUS payments are all for other payers. Lines for other payers are then unmatched (``not_your_company``)
and settle nothing.
"""

from __future__ import annotations

import hashlib
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.bank_matching import (
    MICRO,
    Match,
    StatementData,
    StatementLine,
    account_identifier,
    account_kind,
    item_key,
    item_label,
    line_identity,
    match_line,
    parse_tax_title,
    reason_text,
)
from clients.models import (
    BankStatement,
    BankStatementLine,
    Company,
    CompanyPerson,
    Figure,
    LineStatus,
    Person,
    StatementSource,
)
from clients.models_payments import ZUS_ITEM, SettlementSource
from clients.settlements import SettlementCounts, SettlementEntry, record_settlements_of
from clients.unpaid import payment_items

#: Where the demo office keeps its bank statement to import (offices.demo; the office's own storage).
DEMO_STATEMENT_PATH = "bank-statements/demo/wyciag-demo.sta"


class StatementRefusedError(Exception):
    """The whole statement is refused (nothing recorded). ``code``: ``foreign_account``; ``message`` translated."""

    def __init__(self, message: str, *, code: str):
        super().__init__(message)
        self.message = str(message)
        self.code = code


@dataclass
class LineOutcome:
    line: StatementLine
    status: str  # "matched", "already" (matched by an earlier import) or "unmatched"
    reason: str = ""
    detail: dict = field(default_factory=dict)
    company: Company | None = None
    item: str = ""  # the item it settled, e.g. "VAT-7 10.2026"

    @property
    def reason_text(self) -> str:
        return reason_text(self.reason, self.detail) if self.reason else ""

    def as_json(self) -> dict:
        return {"position": self.line.position, "booked_on": self.line.booked_on.isoformat(),
                "amount": f"{self.line.amount:.2f}", "account": self.line.counterparty_account,
                "title": self.line.title[:140], "code": self.reason, "reason": self.reason_text}


@dataclass
class StatementOutcome:
    """What one import did; ``as_json`` is the ``statement`` member of ``POST files``' response."""

    account: str = ""
    reference: str = ""
    lines: int = 0
    other: int = 0  # credits and debits to accounts that are not tax or ZUS accounts: not the portal's business
    matched: list[LineOutcome] = field(default_factory=list)
    already: list[LineOutcome] = field(default_factory=list)
    unmatched: list[LineOutcome] = field(default_factory=list)
    settlements: SettlementCounts = field(default_factory=SettlementCounts)
    statement: BankStatement | None = None

    def as_json(self) -> dict:
        return {"account": self.account, "reference": self.reference, "lines": self.lines,
                "matched": len(self.matched), "already_matched": len(self.already),
                "unmatched": [outcome.as_json() for outcome in self.unmatched[:100]],
                "unmatched_count": len(self.unmatched), "other_lines": self.other}


# --- who the payments are for -----------------------------------------------------------------------------

def _identities(lines) -> tuple[set[str], set[str]]:
    nips, pesels = set(), set()
    for line in lines:
        kind, value = account_identifier(line.counterparty_account)
        (nips if kind == "nip" else pesels if kind == "pesel" else set()).add(value)
    return nips, pesels


def _companies_paid(nips: set[str], pesels: set[str]) -> list[Company]:
    """The companies whose tax micro-account or payers' NRS these identifiers give. One query."""
    if not nips and not pesels:
        return []
    # Subqueries, not joins: an OR across the figures table would join every figure of the office.
    members = CompanyPerson.objects.filter(Q(person__pesel__in=pesels) | Q(person__nip__in=nips)).values("company_id")
    payers = Figure.objects.filter(payer_key__in=nips | pesels).exclude(payer_key="").values("company_id")
    rows = Company.objects.filter(Q(nip__in=nips) | Q(pk__in=members) | Q(pk__in=payers))
    return list(rows.order_by("pk"))


def _own_identifiers(company: Company) -> set[str]:
    """The company's NIP and its people's PESELs and NIPs: the identifiers its items are paid for."""
    people = Person.objects.filter(memberships__company=company).values_list("pesel", "nip")
    return {company.nip} | {value for pair in people for value in pair if value}


def _check_owner(data: StatementData, payments: list[StatementLine], company: Company) -> None:
    """A client's statement must be of their company's account (see the module docstring)."""
    other = (BankStatement.objects.filter(account=data.account).exclude(company=None).exclude(company=company)
             .exists())
    refused = StatementRefusedError(
        _("This statement is of the account %(account)s, which is not an account of %(company)s: it was not "
          "imported. Upload the statements of your own company's account.")
        % {"account": data.account, "company": company.name or company.nip}, code="foreign_account")
    if other:
        raise refused
    own = _own_identifiers(company)
    # A line without a beneficiary account names nobody: it can neither prove nor refute ownership.
    paid_for = {account_identifier(line.counterparty_account)[1] for line in payments} - {""}
    if paid_for and not paid_for & own:
        raise refused


# --- the import -------------------------------------------------------------------------------------------

def _is_payment(line: StatementLine) -> bool:
    return line.debit and (bool(account_kind(line.counterparty_account))
                           or (not line.counterparty_account and parse_tax_title(line.title) is not None))


def import_statement(data: StatementData, *, source: str, file_name: str = "", sha256: str = "", by=None,
                     agent_name: str = "", company: Company | None = None) -> StatementOutcome:
    """Import one statement (see the module docstring). ``company``: the client's own company, for a client's
    upload; None for the office (each line is matched to whichever company its account names)."""
    outcome = StatementOutcome(account=data.account, reference=data.reference, lines=len(data.lines))
    payments, seen = [], Counter()
    for line in data.lines:
        if not _is_payment(line):
            outcome.other += 1
            continue
        key = (line.booked_on, line.amount, line.counterparty_account, line.title, line.reference)
        payments.append((line, line_identity(data, line, seen[key])))
        seen[key] += 1
    if company is not None:
        _check_owner(data, [line for line, _identity in payments], company)
    with transaction.atomic():
        # Two imports of the same account at once (a double upload, the agent and the panel) take turns: the
        # second then finds the first's lines and changes nothing, instead of failing on their unique identity.
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"bank-statement:{data.account}"])
        statement, _created = BankStatement.objects.get_or_create(
            account=data.account, reference=data.reference[:100], sha256=sha256 or _digest(data),
            defaults={"kind": data.kind, "date_from": data.date_from, "date_to": data.date_to,
                      "file_name": file_name[:255], "company": company, "source": source, "imported_by": by,
                      "agent_name": agent_name[:100], "lines_total": len(data.lines)})
        outcome.statement = statement
        _match_and_record(payments, outcome, statement=statement, company=company, by=by, agent_name=agent_name,
                          program=data.kind)
        if statement.company_id is None:
            _remember_owner(statement, outcome)
    return outcome


def _digest(data: StatementData) -> str:
    text = "|".join([data.kind, data.account, data.reference, *(f"{line.position}:{line.amount}:{line.title}"
                                                                   for line in data.lines)])
    return hashlib.sha256(text.encode()).hexdigest()


def _remember_owner(statement: BankStatement, outcome: StatementOutcome) -> None:
    """The account is of the one company all its matched payments were for (a client's later upload of it
    for another company is refused)."""
    companies = {line.company.pk for line in outcome.matched + outcome.already if line.company is not None}
    if len(companies) == 1:
        BankStatement.objects.filter(pk=statement.pk).update(company_id=companies.pop())


def _match_and_record(payments, outcome: StatementOutcome, *, statement: BankStatement | None,
                      company: Company | None, by, agent_name: str, program: str,
                      stored: dict[str, BankStatementLine] | None = None) -> None:
    identities = [identity for _line, identity in payments]
    if stored is None:
        stored = {row.identity: row for row in BankStatementLine.objects.filter(identity__in=identities)
                  .select_related("company")}
    todo = []
    for line, identity in payments:
        row = stored.get(identity)
        if row is not None and row.status == LineStatus.MATCHED:
            outcome.already.append(LineOutcome(line, "already", company=row.company,
                                               item=item_label(row.what, row.period)))
        else:
            todo.append((line, identity))
    if not todo:
        return
    nips, pesels = _identities(line for line, _identity in todo)
    candidates = [company] if company is not None else _companies_paid(nips, pesels)
    by_account: dict[str, list] = defaultdict(list)
    for item in payment_items(candidates, timezone.localdate()):
        if item.account:
            by_account[item.account].append(item)
    companies_by_id = {c.nip: c for c in candidates}
    if company is not None:
        known = _own_identifiers(company)
    else:  # the companies' NIPs and their ZUS payers (a PESEL micro-account of a known owner counts too)
        known = set(companies_by_id) | {item.payer_key for items in by_account.values() for item in items}
        known |= pesels if candidates else set()
    taken: set = set()
    entries: dict[int, list[SettlementEntry]] = defaultdict(list)
    results = []
    for line, identity in todo:
        match = _match(line, by_account, company=company, known=known, taken=taken)
        if match.matched:
            taken.add(item_key(match.item))
            what = ZUS_ITEM if match.item.group == "zus" else match.item.tax_type
            entries[match.item.company.pk].append(SettlementEntry(match.item.period, what, match.settle_amount,
                                                                  paid_on=line.booked_on,
                                                                  payer_key=match.item.payer_key))
        results.append((line, identity, match))
    pairs = [(next(c for c in candidates if c.pk == pk), rows) for pk, rows in entries.items()]
    outcome.settlements = record_settlements_of(pairs, source=SettlementSource.BANK, program=program, by=by,
                                                agent_name=agent_name)
    _store_lines(results, stored, outcome, statement=statement, company=company, by_nip=companies_by_id)


def _match(line: StatementLine, by_account, *, company, known: set[str], taken: set) -> Match:
    if line.currency != "PLN":
        return Match(reason="not_pln")
    if not line.counterparty_account:
        return Match(reason="no_account")
    items = by_account.get(line.counterparty_account, [])
    if items:
        return match_line(line, items, taken=taken)
    _kind, identifier = account_identifier(line.counterparty_account)
    if identifier not in known:
        return Match(reason="not_your_company" if company is not None else "unknown_account")
    if account_kind(line.counterparty_account) == MICRO:
        return Match(reason="no_item")
    return Match(reason="zus_account_unknown")  # a payer we know, but not this NRS of theirs


def _store_lines(results, stored, outcome: StatementOutcome, *, statement, company, by_nip) -> None:
    created, changed = [], []
    for line, identity, match in results:
        row = stored.get(identity)
        _kind, identifier = account_identifier(line.counterparty_account)
        about = match.item.company if match.matched else company or by_nip.get(identifier)
        status = LineStatus.MATCHED if match.matched else LineStatus.UNMATCHED
        values = {"status": status, "reason": match.reason, "reason_detail": match.detail, "company": about,
                  "period": match.item.period if match.matched else None,
                  "what": (ZUS_ITEM if match.item.group == "zus" else match.item.tax_type) if match.matched else "",
                  "payer_key": match.item.payer_key if match.matched else ""}
        if row is None:
            created.append(BankStatementLine(
                statement=statement, identity=identity, position=line.position, booked_on=line.booked_on,
                amount=line.amount, counterparty_account=line.counterparty_account,
                counterparty_name=line.counterparty_name[:140], title=line.title[:300],
                reference=line.reference[:100], **values))
        elif any(getattr(row, name) != value for name, value in values.items()):
            for name, value in values.items():
                setattr(row, name, value)
            changed.append(row)
        line_outcome = LineOutcome(line, "matched" if match.matched else "unmatched", reason=match.reason,
                                   detail=match.detail, company=about,
                                   item=item_label(values["what"], values["period"]) if match.matched else "")
        (outcome.matched if match.matched else outcome.unmatched).append(line_outcome)
    BankStatementLine.objects.bulk_create(created)
    if changed:
        BankStatementLine.objects.bulk_update(changed, ["status", "reason", "reason_detail", "company", "period",
                                                        "what", "payer_key", "updated_at"])


# --- for the office -----------------------------------------------------------------------------------------

def _as_line(row: BankStatementLine) -> StatementLine:
    return StatementLine(position=row.position, booked_on=row.booked_on, amount=row.amount, debit=True,
                         counterparty_account=row.counterparty_account, counterparty_name=row.counterparty_name,
                         title=row.title, reference=row.reference)


def recheck_unmatched(*, by=None) -> StatementOutcome:
    """Match the stored unmatched lines again (after items were approved or an NRS entered). A line uploaded by
    a client is matched again only against that client's company."""
    outcome = StatementOutcome()
    rows = list(BankStatementLine.objects.filter(status=LineStatus.UNMATCHED)
                .select_related("statement__company").order_by("pk")[:2000])
    groups: dict[int | None, list[BankStatementLine]] = defaultdict(list)
    for row in rows:
        client_upload = row.statement.source == StatementSource.CLIENT
        groups[row.statement.company_id if client_upload else None].append(row)
    with transaction.atomic():
        for company_id, group in groups.items():
            company = group[0].statement.company if company_id is not None else None
            stored = {row.identity: row for row in group}
            payments = [(_as_line(row), row.identity) for row in group]
            part = StatementOutcome()
            _match_and_record(payments, part, statement=None, company=company, by=by, agent_name="",
                              program="bank", stored=stored)
            outcome.matched += part.matched
            outcome.unmatched += part.unmatched
            outcome.settlements.recorded += part.settlements.recorded
            outcome.settlements.unchanged += part.settlements.unchanged
    outcome.lines = len(rows)
    return outcome


@dataclass(frozen=True)
class UnmatchedLine:
    row: BankStatementLine

    @property
    def reason_text(self) -> str:
        return reason_text(self.row.reason, self.row.reason_detail)


def unmatched_lines(limit: int = 200) -> list[UnmatchedLine]:
    """The office's list of bank lines that settled nothing, newest first. One query."""
    rows = (BankStatementLine.objects.filter(status=LineStatus.UNMATCHED).select_related("company", "statement")
            .order_by("-booked_on", "-pk")[:limit])
    return [UnmatchedLine(row) for row in rows]


def demo_statement_file() -> bytes | None:
    """The demo office's statement to try the import with (offices.demo); None in any other office."""
    if not default_storage.exists(DEMO_STATEMENT_PATH):
        return None
    with default_storage.open(DEMO_STATEMENT_PATH, "rb") as handle:
        return handle.read()


def last_import_day() -> date | None:
    row = BankStatement.objects.order_by("-imported_at").values_list("imported_at", flat=True).first()
    return timezone.localdate(row) if row else None
