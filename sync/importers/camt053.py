"""CAMT.053 (ISO 20022 *BankToCustomerStatement*) → ``clients.bank_matching.StatementData``, one per ``Stmt``.

Read with the hardened streaming reader (``safexml``: no DOCTYPE, no entities, no network, size limit,
elements freed once read), so a hostile file gets the same treatment as a JPK or KEDU file. Every version
``camt.053.001.02`` … ``.13`` is read by local names: the elements used here did not move between them.

Per ``Ntry``: ``CdtDbtInd`` (``DBIT``/``CRDT``), ``Amt`` and its ``Ccy``, ``BookgDt`` (else ``ValDt``),
``AcctSvcrRef``/``NtryRef``; per ``TxDtls`` (an entry may carry several, batch booking): its own amount
(``Amt`` or ``AmtDtls/TxAmt/Amt``), the creditor's account (``RltdPties/CdtrAcct/Id/IBAN`` or ``Othr/Id``),
the creditor's name and the remittance text (``RmtInf/Ustrd``, joined). Entries not booked (``Sts`` ≠
``BOOK``: pending, information) are skipped.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal

from django.utils.translation import gettext as _
from lxml import etree

from clients.bank_matching import StatementData, StatementLine
from clients.payments import normalize_account

from .result import ExchangeFileError
from .safexml import ImportLimits, StreamReader, local, precheck, release
from .values import parse_amount

NAMESPACE = re.compile(r"^urn:iso:std:iso:20022:tech:xsd:camt\.053\.001\.(\d{2})$")
LABEL = "CAMT.053"
MAX_AMOUNT = Decimal("1000000000000")  # what a stored amount holds (14 digits, 2 decimals)


def is_camt053(namespace: str) -> bool:
    return bool(NAMESPACE.match(namespace or ""))


def _child(element, *names):
    node = element
    for name in names:
        node = next((c for c in node if local(c.tag) == name), None)
        if node is None:
            return None
    return node


def _text(element, *names) -> str:
    node = _child(element, *names)
    return (node.text or "").strip() if node is not None else ""


def _refuse(message: str, code: str = "invalid_field") -> ExchangeFileError:
    return ExchangeFileError(message, code=code, variant=LABEL)


def _account(element) -> str:
    """``…Acct/Id/IBAN`` (or ``Othr/Id``) as 26 digits; "" when it is not a Polish account."""
    if element is None:
        return ""
    raw = _text(element, "Id", "IBAN") or _text(element, "Id", "Othr", "Id")
    try:
        return normalize_account(raw)
    except ValueError:
        return ""


def _amount(element, where: str) -> tuple[Decimal, str]:
    if element is None:
        raise _refuse(_("The CAMT.053 statement has an entry without an amount (%(where)s).") % {"where": where},
                      code="missing_field")
    try:
        value = parse_amount(element.text or "")
    except (ValueError, ArithmeticError):
        value = None
    if value is None or value < 0 or value >= MAX_AMOUNT:
        raise _refuse(_("The CAMT.053 statement has an unreadable amount “%(value)s” (%(where)s).")
                      % {"value": (element.text or "")[:40], "where": where})
    return value, (element.get("Ccy") or "").upper()


def _date(element, where: str) -> date:
    text = _text(element, "Dt") or _text(element, "DtTm")[:10]
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _refuse(_("The CAMT.053 statement has an entry without a booking date (%(where)s).")
                      % {"where": where}, code="missing_field") from None


def _entry_lines(entry, position: int, number: int) -> list[StatementLine]:
    where = _("entry %(number)d") % {"number": number}
    status = _text(entry, "Sts", "Cd") or _text(entry, "Sts")
    if status and status.upper() != "BOOK":
        return []
    indicator = _text(entry, "CdtDbtInd").upper()
    if indicator not in ("DBIT", "CRDT"):
        raise _refuse(_("The CAMT.053 statement has an entry that is neither a debit nor a credit (%(where)s).")
                      % {"where": where}, code="missing_field")
    amount, currency = _amount(_child(entry, "Amt"), where)
    booked = _child(entry, "BookgDt")
    booked_on = _date(booked if booked is not None else _child(entry, "ValDt"), where)
    reference = _text(entry, "AcctSvcrRef") or _text(entry, "NtryRef")
    details = [tx for block in entry if local(block.tag) == "NtryDtls" for tx in block if local(tx.tag) == "TxDtls"]
    lines = []
    for index, tx in enumerate(details or [None]):
        tx_amount, tx_currency = amount, currency
        own = _child(tx, "Amt") if tx is not None else None
        if own is None and tx is not None:
            own = _child(tx, "AmtDtls", "TxAmt", "Amt")
        if own is not None and len(details) > 1:
            tx_amount, tx_currency = _amount(own, where)
        parties = _child(tx, "RltdPties") if tx is not None else None
        counter = ("Cdtr", "CdtrAcct") if indicator == "DBIT" else ("Dbtr", "DbtrAcct")
        name = ""
        if parties is not None:
            name = _text(parties, counter[0], "Nm") or _text(parties, counter[0], "Pty", "Nm")
        title = " ".join((node.text or "").strip() for node in (tx.iter() if tx is not None else [])
                         if isinstance(node.tag, str) and local(node.tag) == "Ustrd" and node.text)
        tx_reference = (_text(tx, "Refs", "AcctSvcrRef") or _text(tx, "Refs", "EndToEndId")) if tx is not None else ""
        if tx_reference.upper() == "NOTPROVIDED":
            tx_reference = ""
        lines.append(StatementLine(
            position=position + index, booked_on=booked_on, amount=tx_amount, debit=indicator == "DBIT",
            currency=tx_currency or "PLN",
            counterparty_account=_account(_child(parties, counter[1])) if parties is not None else "",
            counterparty_name=name[:140], title=title[:300] or _text(entry, "AddtlNtryInf")[:300],
            reference=(reference + ("/" + tx_reference if tx_reference else ""))[:100]))
    return lines


def parse_camt053(data: bytes, *, limits: ImportLimits) -> list[StatementData]:
    """Every ``Stmt`` of the document, or ``ExchangeFileError`` (nothing half-read is returned)."""
    precheck(data, limits)
    reader = StreamReader(data, variant_label=LABEL)
    statements: list[StatementData] = []
    lines: list[StatementLine] = []
    header: dict = {}
    entries = 0
    first = True
    for element in reader.events(("end",)):
        if first:
            first = False
            root = element.getroottree().getroot()
            if local(root.tag) != "Document" or not is_camt053(etree.QName(root).namespace or ""):
                raise _refuse(_("The file is not a CAMT.053 bank statement (root <%(name)s>).")
                              % {"name": local(root.tag)[:60]}, code="unknown_variant")
        name = local(element.tag)
        parent = element.getparent()
        if parent is not None and local(parent.tag) == "Stmt" and name in ("Id", "Acct", "FrToDt", "ElctrncSeqNb"):
            # Read now: freeing an entry drops its preceding siblings, the statement's header among them.
            header[name] = _header_value(name, element)
        elif name == "Ntry":
            entries += 1
            lines += _entry_lines(element, len(lines) + 1, entries)
            release(element)
        elif name == "Stmt":
            statements.append(_statement(header, lines))
            lines, header, entries = [], {}, 0
            release(element)
    if not statements:
        raise _refuse(_("The CAMT.053 file holds no statement (Stmt)."), code="missing_field")
    return statements


def _header_value(name: str, element):
    if name == "Acct":
        raw = _text(element, "Id", "IBAN") or _text(element, "Id", "Othr", "Id")
        return {"account": _account(element), "raw": raw[:40], "currency": (_text(element, "Ccy") or "PLN").upper()}
    if name == "FrToDt":
        dates = []
        for part in ("FrDtTm", "ToDtTm"):
            try:
                dates.append(date.fromisoformat(_text(element, part)[:10]))
            except ValueError:
                dates.append(None)
        return dates
    return (element.text or "").strip()


def _statement(header: dict, lines: list[StatementLine]) -> StatementData:
    account = header.get("Acct")
    if account is None:
        raise _refuse(_("The CAMT.053 statement names no account (Stmt/Acct)."), code="missing_field")
    if not account["account"]:
        raise _refuse(_("The CAMT.053 statement is of the account “%(account)s”, which is not a Polish account "
                        "number (NRB/IBAN PL).") % {"account": account["raw"]})
    reference = header.get("Id") or header.get("ElctrncSeqNb") or ""
    date_from, date_to = header.get("FrToDt") or (None, None)
    return StatementData(kind="camt053", account=account["account"], reference=reference[:100],
                         currency=account["currency"], lines=tuple(lines), date_from=date_from, date_to=date_to)
