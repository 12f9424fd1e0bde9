"""MT940 (SWIFT customer statement, as Polish banks export it) → ``clients.bank_matching.StatementData``.

The tags are read by the ``mt-940`` library (``:20:``, ``:25:``, ``:28C:``, ``:60F:``, ``:61:``, ``:86:``,
``:62F:``); its own ``:86:`` post-processor is switched off because Polish banks structure that field with
their own separators (``~``, ``^``, ``<`` or ``?``) after a 3-digit transaction code, following the ZBP
recommendation::

    :86:020~00PRZELEW US~20/TI/N5260250995/OKR/26M~2110/SFP/VAT-7/TXT/VAT 10.2026~3010100071
    ~31222252602509950000~32URZAD SKARBOWY~38PL06101000712222526025099500

Subfields ``20``–``25`` (and ``60``–``63``) are the title, joined as the bank cut it; ``38`` the counterparty's
IBAN, else ``30`` (sort code) + ``31`` (account); ``27``–``29``, ``32``, ``33`` the counterparty's name. An
unstructured ``:86:`` is the title as a whole.

Safety: the size limit of exchange files, text only (a NUL byte or an XML/ZIP file is refused), UTF-8 or else
Windows-1250 (what Polish banking programs write), and whatever the library cannot read is refused as a whole
(``malformed_statement``), never half-imported.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

import mt940
from django.utils.translation import gettext as _
from stdnum import iban

from clients.bank_matching import StatementData, StatementLine
from clients.payments import normalize_account

from .result import ExchangeFileError
from .safexml import ImportLimits, human_size

LABEL = "MT940"
_STRUCTURED = re.compile(r"^\s*(\d{3})\s*([~^<?])(\d{2})")
_TITLE_FIELDS = ("20", "21", "22", "23", "24", "25", "26", "60", "61", "62", "63")
_NAME_FIELDS = ("27", "28", "29", "32", "33")
_STATEMENT_START = re.compile(r"(?m)^(?=:20:)")
# A statement has a reference and an account; without them it is some other text file.
# Two plain searches, not one pattern spanning the lines between them: that one backtracks on a crafted file.
_FIELD_20 = re.compile(rb"(?m)^:20:")
_FIELD_25 = re.compile(rb"(?m)^:25:")


def looks_like_mt940(data: bytes) -> bool:
    head = data[:64 * 1024].lstrip(b"\xef\xbb\xbf \r\n\t")
    return not head.startswith(b"<") and has_mt940_fields(head)


def has_mt940_fields(head: bytes) -> bool:
    """A ``:20:`` line (transaction reference) followed somewhere by a ``:25:`` line (the account)."""
    first = _FIELD_20.search(head)
    return first is not None and _FIELD_25.search(head, first.end()) is not None


def _refuse(message: str, code: str = "malformed_statement") -> ExchangeFileError:
    return ExchangeFileError(message, code=code, variant=LABEL)


def _decode(data: bytes) -> str:
    if b"\x00" in data:
        raise _refuse(_("The MT940 file contains binary data: it is not a bank statement text file."))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("cp1250", errors="replace")
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


def _owner_account(raw: str) -> str:
    """``:25:`` as 26 digits: ``PL12…``, ``/PL12…``, ``12…`` (26 digits) or ``10205558/1111…`` (sort code/account)."""
    text = re.sub(r"\s", "", raw or "").lstrip("/").upper()
    text = text.split("/PLN")[0] if text.endswith("PLN") else text
    sort_account = re.fullmatch(r"(\d{8})/(\d{16})", text)
    if sort_account:
        text = _with_check_digits(sort_account.group(1) + sort_account.group(2))
    try:
        return normalize_account(text)
    except ValueError:
        raise _refuse(_("The MT940 statement is of the account “%(account)s” (:25:), which is not a Polish "
                        "account number (NRB/IBAN PL).") % {"account": raw[:40]}, code="invalid_field") from None


def _with_check_digits(bban: str) -> str:
    return iban.calc_check_digits("PL00" + bban) + bban


def _counterparty_account(fields: dict[str, list[str]]) -> str:
    candidates = []
    if fields.get("38"):
        candidates.append("".join(fields["38"]))
    sort_code = re.sub(r"\D", "", "".join(fields.get("30", [])))
    number = re.sub(r"\D", "", "".join(fields.get("31", [])))
    if len(number) == 26:
        candidates.append(number)
    elif len(sort_code) == 8 and len(number) == 16:
        candidates.append(_with_check_digits(sort_code + number))
    elif len(number) == 24:
        candidates.append(_with_check_digits(number))
    for candidate in candidates:
        try:
            return normalize_account(re.sub(r"[^\dA-Za-z]", "", candidate))
        except ValueError:
            continue
    return ""


def parse_details(text: str) -> tuple[str, str, str]:
    """``(title, counterparty account, counterparty name)`` of an ``:86:`` field."""
    joined = "".join(part.strip("\r") for part in (text or "").split("\n"))
    structured = _STRUCTURED.match(joined)
    if not structured:
        return re.sub(r"\s+", " ", joined).strip(), "", ""
    separator = structured.group(2)
    fields: dict[str, list[str]] = {}
    for chunk in joined[joined.index(separator):].split(separator)[1:]:
        code, value = chunk[:2], chunk[2:]
        if code.isdigit():
            fields.setdefault(code, []).append(value)
    title = "".join(value for code in _TITLE_FIELDS for value in fields.get(code, []))
    name = " ".join(value.strip() for code in _NAME_FIELDS for value in fields.get(code, []) if value.strip())
    return title.strip(), _counterparty_account(fields), name


def _transactions(block: str) -> mt940.models.Transactions:
    transactions = mt940.models.Transactions(processors={"post_transaction_details": []},
                                             options=mt940.Options.all())
    transactions.parse(block)
    return transactions


def _line(transaction, position: int, currency: str) -> StatementLine:
    data = transaction.data
    amount = data.get("amount")
    status = str(data.get("status") or "").upper()
    if amount is None or status not in ("D", "C", "RD", "RC"):
        raise _refuse(_("The MT940 statement line %(number)d (:61:) has no amount or debit/credit mark.")
                      % {"number": position})
    value = Decimal(str(amount.amount))
    if not value.is_finite() or abs(value) >= Decimal("1000000000000"):
        raise _refuse(_("The MT940 statement line %(number)d (:61:) has an unreadable amount.") % {"number": position})
    booked = data.get("entry_date") or data.get("date")
    title, account, name = parse_details(str(data.get("transaction_details") or ""))
    reference = str(data.get("bank_reference") or "").strip()
    customer = str(data.get("customer_reference") or "").strip()
    if customer and customer.upper() != "NONREF":
        reference = f"{reference}/{customer}" if reference else customer
    return StatementLine(
        position=position, booked_on=date(booked.year, booked.month, booked.day), amount=abs(value),
        # A reversal of a debit (RD) gives money back, a reversal of a credit (RC) takes it: neither pays an item.
        debit=status == "D", currency=(getattr(amount, "currency", None) or currency or "PLN").upper(),
        counterparty_account=account, counterparty_name=name[:140], title=title[:300], reference=reference[:100])


def parse_mt940(data: bytes, *, limits: ImportLimits) -> list[StatementData]:
    """Every statement (``:20:`` block) of the file, or ``ExchangeFileError``."""
    if len(data) > limits.max_bytes:
        raise ExchangeFileError(
            _("The file is %(size)s; the limit for one exchange file is %(limit)s.")
            % {"size": human_size(len(data)), "limit": human_size(limits.max_bytes)}, code="too_large")
    if not data.strip():
        raise ExchangeFileError(_("The file is empty."), code="empty")
    text = _decode(data)
    if not looks_like_mt940(text.encode("utf-8", "replace")):
        raise _refuse(_("The file is not an MT940 statement: it has no :20: and :25: fields."),
                      code="unknown_variant")
    statements = []
    for block in _STATEMENT_START.split(text):
        if not block.strip().startswith(":20:"):
            continue
        try:
            statements.append(_statement(block, len(statements) + 1))
        except ExchangeFileError:
            raise
        except (ValueError, KeyError, TypeError, AttributeError, RuntimeError, InvalidOperation, IndexError) as error:
            raise _refuse(_("The MT940 statement %(number)d cannot be read: %(error)s")
                          % {"number": len(statements) + 1, "error": str(error)[:200]}) from None
    if not statements:
        raise _refuse(_("The file is not an MT940 statement: it has no :20: field."), code="unknown_variant")
    return statements


def _statement(block: str, number: int) -> StatementData:
    transactions = _transactions(block)
    data = transactions.data
    account_raw = str(data.get("account_identification") or "")
    if not account_raw:
        raise _refuse(_("The MT940 statement %(number)d names no account (:25:).") % {"number": number},
                      code="missing_field")
    account = _owner_account(account_raw)
    balance = data.get("final_opening_balance") or data.get("opening_balance")
    currency = str(getattr(getattr(balance, "amount", None), "currency", "") or data.get("currency") or "PLN")
    reference = str(data.get("transaction_reference") or "").strip()
    sequence = "/".join(str(data[key]) for key in ("statement_number", "sequence_number") if data.get(key))
    lines = tuple(_line(transaction, index + 1, currency) for index, transaction in enumerate(transactions))
    booked = [line.booked_on for line in lines]
    return StatementData(kind="mt940", account=account,
                         reference=(f"{reference} {sequence}".strip() if sequence else reference)[:100],
                         currency=currency.upper(), lines=lines, date_from=min(booked) if booked else None,
                         date_to=max(booked) if booked else None)
