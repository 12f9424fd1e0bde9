"""Matching a bank statement's debit lines to payable items — never guessing.

A line settles an item only when all three agree (docs/client-views.md, "Bank statements"):

1. the **beneficiary account** is the item's account: the tax micro-account (``payments.tax_microaccount``) or
   the payer's ZUS account (NRS), exactly as ``clients.unpaid`` shows it to the client;
2. the **title** names the item: for a tax, ``/OKR/<period>/SFP/<form symbol>`` as ``payments.tax_transfer_title``
   writes it (and ``/TI/``, when present, the same identifier); for ZUS, the one month it names
   (``Składki ZUS 10.2026``, ``2026-10``, ``10/2026``);
3. the **amount** is the item's approved amount — or, after a correction upwards, exactly the difference
   still to pay on top of what the office already recorded.

Anything else is *unmatched*, with a reason code from ``REASONS`` (its Polish sentence is ``reason_text``).
Pure functions over value objects and ``PaymentItem``\\ s: no database here (clients/bank_statements.py loads
and records).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

from django.utils.formats import date_format
from django.utils.translation import gettext as _

from clients import payments
from clients.models_payments import ZUS_ITEM, SettlementSource

# --- value objects: what the parsers (sync.importers.bank) hand over --------------------------------------


@dataclass(frozen=True)
class StatementLine:
    """One booked entry of a statement. ``amount`` is positive; ``debit`` says which way the money went."""

    position: int  # 1-based, in the statement
    booked_on: date
    amount: Decimal
    debit: bool
    currency: str = "PLN"
    counterparty_account: str = ""  # 26 digits (NRB) when the bank gave a Polish account, else ""
    counterparty_name: str = ""
    title: str = ""
    reference: str = ""  # the bank's own reference of the entry, when it gives one


@dataclass(frozen=True)
class StatementData:
    """One statement of one account."""

    kind: str  # clients.vocabulary.STATEMENT_KINDS
    account: str  # 26 digits
    reference: str  # MT940 :20:/:28C:, CAMT Stmt/Id
    currency: str
    lines: tuple[StatementLine, ...] = ()
    date_from: date | None = None
    date_to: date | None = None


# --- accounts ---------------------------------------------------------------------------------------------

MICRO = "micro"
NRS = "nrs"


def account_kind(account: str) -> str:
    """``micro`` (a tax micro-account), ``nrs`` (a ZUS contribution account) or ``""`` (anything else)."""
    if len(account) != 26:
        return ""
    if account[2:13] == payments.MICROACCOUNT_PREFIX:
        return MICRO
    if account[2:13] == payments.NRS_ZUS_PART:
        return NRS
    return ""


def account_identifier(account: str) -> tuple[str, str]:
    """Whose account it is, read from the number: ``("nip", …)``, ``("pesel", …)`` or ``("", "")``."""
    kind = account_kind(account)
    if kind == MICRO:
        digit, rest = account[13], account[14:]
        if digit == payments.MICROACCOUNT_KIND_NIP:
            return "nip", rest[:10]
        if digit == payments.MICROACCOUNT_KIND_PESEL:
            return "pesel", rest[:11]
    if kind == NRS:
        return "nip", account[16:]
    return "", ""


def line_identity(statement: StatementData, line: StatementLine, occurrence: int) -> str:
    """The line's identity in the office: the same payment in another file of the same account is the same line.

    ``occurrence`` counts identical lines within one statement (two equal transfers on one day are two lines).
    """
    parts = [statement.account, line.booked_on.isoformat(), f"{line.amount:.2f}", "D" if line.debit else "C",
             line.counterparty_account, _squeeze(line.title), line.reference, str(occurrence)]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


# --- titles -----------------------------------------------------------------------------------------------

_TI = re.compile(r"/TI/([A-Z0-9]+?)(?=/|$)")
_OKR = re.compile(r"/OKR/(\d{2}[MKPRDJ]\d{0,2})(?=/|$)")
_SFP = re.compile(r"/SFP/([A-Z0-9-]+?)(?=/|$)")
_MONTH_YEAR = re.compile(r"(?<!\d)(0?[1-9]|1[0-2])\s*[./-]\s*(20\d{2})(?!\d)")
_YEAR_MONTH = re.compile(r"(?<!\d)(20\d{2})\s*[./-]\s*(0[1-9]|1[0-2])(?!\d)")


def _squeeze(title: str) -> str:
    # Banks cut a title into 27- or 35-character subfields and some put spaces at the cuts: ignore whitespace.
    return re.sub(r"\s+", "", title or "").upper()


@dataclass(frozen=True)
class TaxTitle:
    identifier: str  # e.g. "N5260250995" ("" when the title has no /TI/)
    period: str  # e.g. "26M10"
    symbol: str  # e.g. "VAT-7"


def parse_tax_title(title: str) -> TaxTitle | None:
    """The structured parts of a tax transfer title, or None without both ``/OKR/`` and ``/SFP/``."""
    text = _squeeze(title)
    okr, sfp = _OKR.search(text), _SFP.search(text)
    if not okr or not sfp:
        return None
    ti = _TI.search(text)
    return TaxTitle(ti.group(1) if ti else "", okr.group(1), sfp.group(1))


def zus_periods(title: str) -> set[date]:
    """The months a ZUS transfer title names (``10.2026``, ``10/2026``, ``2026-10``)."""
    found = {date(int(year), int(month), 1) for month, year in _MONTH_YEAR.findall(title or "")}
    found |= {date(int(year), int(month), 1) for year, month in _YEAR_MONTH.findall(title or "")}
    return found


# --- outcomes ---------------------------------------------------------------------------------------------

#: Reason codes of unmatched lines (stored with the line; the sentence is made when shown, in the reader's
#: language).
REASONS = (
    "not_pln", "unknown_account", "not_your_company", "zus_account_unknown", "no_tax_title", "identifier_mismatch",
    "no_zus_period", "several_periods", "no_item", "ambiguous", "nothing_to_pay", "already_settled",
    "amount_mismatch", "no_account",
)


@dataclass
class Match:
    """The outcome for one line: ``item`` + ``settle_amount`` when matched, else ``reason`` + ``detail``."""

    item: object | None = None  # a clients.unpaid.PaymentItem
    settle_amount: Decimal | None = None
    reason: str = ""
    detail: dict = field(default_factory=dict)

    @property
    def matched(self) -> bool:
        return self.item is not None


def _what(item) -> str:
    return ZUS_ITEM if item.group == "zus" else item.tax_type


def item_label(what: str, period: date | None, payer_key: str = "") -> str:
    """``VAT-7 10.2026`` / ``ZUS 10.2026``, for reasons and lists."""
    return f"{what} {period:%m.%Y}" if period else what


def match_line(line: StatementLine, items: list, *, taken: set) -> Match:
    """Match one debit line against the items paid to its beneficiary account (``items``: PaymentItems whose
    ``account`` is the line's). ``taken`` holds the keys of items matched earlier in the same import."""
    kind = account_kind(line.counterparty_account)
    if kind == MICRO:
        candidates = _tax_candidates(line, [item for item in items if item.group == "tax"])
    else:
        candidates = _zus_candidates(line, [item for item in items if item.group == "zus"])
    if isinstance(candidates, Match):
        return candidates
    if not candidates:
        return Match(reason="no_item", detail=_line_item_detail(line, kind))
    if len(candidates) > 1:
        return Match(reason="ambiguous", detail={"items": [item_label(_what(i), i.period) for i in candidates]})
    return _check_amount(line, candidates[0], taken=taken)


def _tax_candidates(line: StatementLine, items: list):
    title = parse_tax_title(line.title)
    if title is None:
        return Match(reason="no_tax_title")
    found, identifiers = [], set()
    for item in items:
        expected = parse_tax_title(item.title)
        if expected is None:
            continue
        identifiers.add(expected.identifier)
        if (expected.period, expected.symbol) == (title.period, title.symbol):
            found.append(item)
    if title.identifier and identifiers and title.identifier not in identifiers:
        return Match(reason="identifier_mismatch", detail={"identifier": title.identifier})
    return found


def _zus_candidates(line: StatementLine, items: list):
    periods = zus_periods(line.title)
    if not periods:
        return Match(reason="no_zus_period")
    if len(periods) > 1:
        return Match(reason="several_periods", detail={"periods": sorted(f"{p:%m.%Y}" for p in periods)})
    period = periods.pop()
    return [item for item in items if item.period == period]


def _line_item_detail(line: StatementLine, kind: str) -> dict:
    if kind == MICRO:
        title = parse_tax_title(line.title)
        return {"period": title.period, "symbol": title.symbol} if title else {}
    periods = zus_periods(line.title)
    return {"month": f"{next(iter(periods)):%m.%Y}"} if len(periods) == 1 else {}


def item_key(item) -> tuple:
    return (item.company.pk, item.period, _what(item), item.payer_key)


def _check_amount(line: StatementLine, item, *, taken: set) -> Match:
    label = item_label(_what(item), item.period)
    if not item.payable:
        return Match(reason="nothing_to_pay", detail={"item": label})
    settlement = item.settlement
    if item_key(item) in taken or (settlement is not None and settlement.source == SettlementSource.BANK
                                   and settlement.amount >= item.amount):
        paid_on = settlement.paid_on.isoformat() if settlement is not None and settlement.paid_on else ""
        return Match(reason="already_settled", detail={"item": label, "paid_on": paid_on})
    bank_settled = settlement is not None and settlement.source == SettlementSource.BANK
    if line.amount == item.amount and not bank_settled:
        return Match(item=item, settle_amount=line.amount)
    if settlement is not None and settlement.amount < item.amount and line.amount == item.amount - settlement.amount:
        return Match(item=item, settle_amount=settlement.amount + line.amount)  # the dopłata after a correction
    expected = item.left_to_pay if item.to_pay else item.amount
    return Match(reason="amount_mismatch", detail={"item": label, "expected": f"{expected:.2f}",
                                                   "amount": f"{line.amount:.2f}"})


# --- reasons in words -------------------------------------------------------------------------------------

def _money(value: str) -> str:
    try:
        amount = Decimal(value)
    except (ArithmeticError, TypeError, ValueError):
        return str(value)
    whole, cents = f"{amount:.2f}".split(".")
    groups = []
    while len(whole) > 3:
        whole, groups = whole[:-3], [whole[-3:], *groups]
    return "\u00a0".join([whole, *groups]) + "," + cents + "\u00a0zł"


def reason_text(reason: str, detail: dict | None = None) -> str:
    """The sentence for an unmatched line's reason, in the current language (Polish for the office)."""
    detail = detail or {}
    item = detail.get("item", "")
    texts = {
        "not_pln": _("The line is not in PLN; taxes and ZUS are paid in PLN."),
        "unknown_account": _("The beneficiary account is a tax or ZUS account of none of the office’s "
                             "companies."),
        "not_your_company": _("The beneficiary account is not a tax or ZUS account of this company."),
        "zus_account_unknown": _("The payment went to a ZUS account (NRS) the portal does not know for this "
                                 "payer: enter the NRS and check the statement again."),
        "no_tax_title": _("The title does not say the period and the form (/OKR/…/SFP/…), so the tax cannot "
                          "be told."),
        "identifier_mismatch": _("The identifier in the title (/TI/%(identifier)s) is not the one of this "
                                 "micro-account.") % {"identifier": detail.get("identifier", "")},
        "no_zus_period": _("The title of the ZUS transfer names no month (e.g. “Składki ZUS 10.2026”)."),
        "several_periods": _("The title names several months (%(periods)s): which one was paid cannot be told.")
        % {"periods": ", ".join(detail.get("periods", []))},
        "no_item": _no_item_text(detail),
        "ambiguous": _("Several items fit this line (%(items)s): it was not assigned to any of them.")
        % {"items": ", ".join(detail.get("items", []))},
        "nothing_to_pay": _("%(item)s has nothing to pay (zero or a refund).") % {"item": item},
        "already_settled": _("%(item)s is already settled by another transfer on a bank statement%(when)s: "
                             "check it was not paid twice.")
        % {"item": item, "when": _(" (%(date)s)") % {"date": _day(detail.get("paid_on"))}
           if detail.get("paid_on") else ""},
        "amount_mismatch": _("The amount %(amount)s is not the amount to pay for %(item)s (%(expected)s).")
        % {"amount": _money(detail.get("amount", "")), "item": item, "expected": _money(detail.get("expected", ""))},
        "no_account": _("The title looks like a tax payment, but the statement gives no beneficiary account."),
    }
    return texts.get(reason, reason)


def _no_item_text(detail: dict) -> str:
    if detail.get("symbol"):
        return _("There is no approved item %(symbol)s for %(period)s paid to this account; once it is "
                 "approved, check the statement again.") % {"symbol": detail["symbol"], "period": detail["period"]}
    if detail.get("month"):
        return _("There is no approved ZUS item for %(month)s paid to this account; once it is approved, "
                 "check the statement again.") % {"month": detail["month"]}
    return _("There is no approved item paid to this account for the period in the title.")


def _day(value: str | None) -> str:
    try:
        return date_format(date.fromisoformat(value or ""), "DATE_FORMAT")
    except ValueError:
        return value or ""
