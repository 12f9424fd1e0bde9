"""The JSON body of ``POST batches`` → a validated ``sync.batch.Batch``.

Plain Python on purpose: a batch may carry hundreds of thousands of figures, so
there are no serializers per figure, membership tests go against pre-built sets,
and error pointers are only formatted when something is wrong.

Rules (the public contract is ``/work/shared/spec/agent-api.md`` and the OpenAPI schema):

- The request as a whole must be an object with a valid ``program``; ``agent``, ``range``,
  ``options``, ``companies`` and ``payers`` are optional but, when present, must be well-formed.
  A problem there refuses the whole request (``RequestInvalidError``, answered with 422).
- Each company is validated on its own: any bad field or figure inside it rejects that
  company only (its index goes to ``Batch.rejected_companies``, its errors to ``Batch.errors``,
  with JSON Pointers such as ``/companies/3/taxes/0/amount``); the others go on. A refused
  company stays in ``Batch.companies`` with what could be read of it, never applied, so that
  ``apply_batch`` counts every figure it carried as rejected. A bad
  entry of ``payers`` is rejected the same way, on its own.
- Amounts are JSON strings ``-?[0-9]{1,12}(.[0-9]{1,2})?``; a JSON number is ``invalid_amount``.
  Periods are ``YYYY-MM`` (a real month, years 1990–2099), dates ``YYYY-MM-DD`` (a real day).
- NIP, PESEL, REGON and phone numbers are checked and normalised by ``clients.validators``.
- Unknown members are ignored (tolerant reader: newer agents may send more than this
  portal knows); this is stated in the OpenAPI schema.
"""

from __future__ import annotations

import gc
import re
from contextlib import contextmanager
from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from clients.payments import validate_zus_account
from clients.validators import normalize_nip, normalize_pesel, normalize_phone, normalize_regon
from sync.batch import (
    FIGURE_LABELS,
    INCOME_TAX_PERIODS,
    INCOME_TAX_SETUPS,
    PERSON_ROLES,
    PROGRAM_CODES,
    SETTLEMENT_WHATS,
    STATEMENT_PARTS,
    TAX_TYPES,
    VAT_SETUPS,
    ZUS_PARTS,
    ZUS_PAYER_KINDS,
    Address,
    AgentInfo,
    Batch,
    CompanyData,
    FieldError,
    PayerData,
    PersonData,
    SettlementData,
    StatementEntry,
    TaxEntry,
    TaxSetup,
    ZusEntry,
)

MIN_YEAR, MAX_YEAR = 1990, 2099
_PERIODS = frozenset(f"{year:04d}-{month:02d}" for year in range(MIN_YEAR, MAX_YEAR + 1) for month in range(1, 13))
_AMOUNT = re.compile(r"-?[0-9]{1,12}(?:\.[0-9]{1,2})?").fullmatch
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch
_TOTAL_NAME = re.compile(r"[A-Za-z0-9_]{1,70}").fullmatch
_COUNTRY = re.compile(r"[A-Z]{2}").fullmatch
_CENTS = Decimal("0.01")

PROGRAM_SET = frozenset(PROGRAM_CODES)
TAX_TYPE_SET = frozenset(TAX_TYPES)
LABEL_SET = frozenset(FIGURE_LABELS)
ROLE_SET = frozenset(PERSON_ROLES)
TAX_SETUP_CHOICES = {"vat": VAT_SETUPS, "income_tax": INCOME_TAX_SETUPS, "zus_payer": ZUS_PAYER_KINDS,
                     "income_tax_period": INCOME_TAX_PERIODS}

# Maximum lengths follow the columns the values end up in (clients.models).
MAX_LENGTHS = {
    "name": 255, "street": 200, "postal_code": 10, "city": 100, "email": 254, "first_name": 100,
    "last_name": 100, "program_version": 50, "agent_version": 50, "agent_os": 100, "agent_hostname": 100,
}


class RequestInvalidError(Exception):
    """The request as a whole cannot be applied (e.g. no valid ``program``): 422 with these errors."""

    def __init__(self, errors: list[FieldError]):
        super().__init__("; ".join(f"{error.pointer}: {error.code}" for error in errors))
        self.errors = errors


class _Bad(Exception):  # noqa: N818 - a signal inside the parser, never seen outside
    """One refused value; ``field`` is the pointer suffix below the entry being parsed."""

    __slots__ = ("field", "code", "detail")

    def __init__(self, field: str, code: str, detail: str):
        self.field = field
        self.code = code
        self.detail = detail


# --- messages (formatted only on the error path) -------------------------------------------------

def _type_name(value) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def _bad_type(field: str, expected: str, value) -> _Bad:
    return _Bad(field, "invalid_type", _("Expected %(expected)s, got %(actual)s.")
                % {"expected": expected, "actual": _type_name(value)})


def _required(field: str) -> _Bad:
    return _Bad(field, "required", _("This field is required."))


def _bad_choice(field: str, value, choices) -> _Bad:
    shown = value if isinstance(value, str) else _type_name(value)
    return _Bad(field, "invalid_choice", _("“%(value)s” is not one of: %(choices)s.")
                % {"value": str(shown)[:60], "choices": ", ".join(choices)})


# --- scalar values ---------------------------------------------------------------------------------

def zus_account(value, field: str, payer_nip: str | None) -> str | None:
    """v1.1 ``zus_account``: absent/null → None (the stored NRS stays); else checked against the payer's NIP."""
    if value is None:
        return None
    if type(value) is not str:
        raise _bad_type(field, _("a string"), value)
    try:
        return validate_zus_account(value[:64], nip=payer_nip)
    except ValueError as error:
        raise _Bad(field, "invalid_zus_account", str(error)) from None


def amount(value, field: str) -> Decimal:
    """A JSON string with at most 12 integer digits and 2 decimals → a two-place ``Decimal``."""
    if type(value) is str and _AMOUNT(value):
        number = Decimal(value)
        # "1234.50" already has two places; "1234" or "1234.5" need quantizing.
        return number if value[-3:-2] == "." else number.quantize(_CENTS)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise _Bad(field, "invalid_amount", _("Amounts must be JSON strings such as \"1234.50\", not numbers."))
    if type(value) is not str:
        raise _Bad(field, "invalid_amount", _("Expected an amount as a string such as \"1234.50\", got %(actual)s.")
                   % {"actual": _type_name(value)})
    text = value.strip().lstrip("-")
    if "." in text and len(text.split(".", 1)[1]) > 2 and _AMOUNT(value.split(".")[0]):
        raise _Bad(field, "invalid_amount", _("“%(value)s” has more than two decimal places.") % {"value": value[:40]})
    if len(text.split(".", 1)[0]) > 12 and text.replace(".", "", 1).isdigit():
        raise _Bad(field, "invalid_amount", _("“%(value)s” has more than 12 digits before the decimal point.")
                   % {"value": value[:40]})
    raise _Bad(field, "invalid_amount", _("“%(value)s” is not an amount: write it like \"1234.50\" or \"-12.00\".")
               % {"value": value[:40]})


def period(value, field: str = "period") -> str:
    if type(value) is str and value in _PERIODS:
        return value
    if value is None:
        raise _required(field)
    if type(value) is not str:
        raise _bad_type(field, _("a period \"YYYY-MM\""), value)
    raise _Bad(field, "invalid_period", _("“%(value)s” is not a period: write it as YYYY-MM, e.g. 2026-10.")
               % {"value": value[:40]})


@lru_cache(maxsize=8192)
def _date_or_none(value: str) -> date | None:
    if not _DATE(value):
        return None
    try:
        parsed = date.fromisoformat(value)
    except ValueError:
        return None
    return parsed if MIN_YEAR <= parsed.year <= MAX_YEAR + 1 else None


def optional_date(value, field: str) -> date | None:
    if value is None:
        return None
    if type(value) is str:
        parsed = _date_or_none(value)
        if parsed is not None:
            return parsed
        raise _Bad(field, "invalid_date", _("“%(value)s” is not a date: write it as YYYY-MM-DD, e.g. 2026-11-25.")
                   % {"value": value[:40]})
    raise _bad_type(field, _("a date \"YYYY-MM-DD\""), value)


def text(value, field: str, max_length: int, *, required: bool = False) -> str:
    """A string member: null/missing → "" (or ``required``), stripped, at most ``max_length`` characters."""
    if value is None:
        if required:
            raise _required(field)
        return ""
    if type(value) is not str:
        raise _bad_type(field, _("a string"), value)
    value = value.strip()
    if required and not value:
        raise _required(field)
    if len(value) > max_length:
        raise _Bad(field, "too_long", _("At most %(max)d characters are allowed (got %(length)d).")
                   % {"max": max_length, "length": len(value)})
    if "\x00" in value:
        raise _Bad(field, "invalid_characters", _("Text must not contain NUL (\\u0000) characters."))
    return value


def choice(value, field: str, choices, default=None, *, allowed=None):
    if value is None:
        return default
    if type(value) is str and value in (allowed or choices):
        return value
    raise _bad_choice(field, value, choices)


def _normalised(normaliser, value, field: str) -> str:
    if type(value) is not str:
        raise _bad_type(field, _("a string"), value)
    try:
        return normaliser(value)
    except ValidationError as exc:
        raise _Bad(field, exc.code or "invalid", " ".join(exc.messages)) from None


def nip(value, field: str = "nip") -> str:
    return _normalised(normalize_nip, value, field)


def pesel(value, field: str = "pesel") -> str:
    return _normalised(normalize_pesel, value, field)


def optional_identifier(normaliser, value, field: str) -> str | None:
    if value is None or (type(value) is str and not value.strip()):
        return None
    return _normalised(normaliser, value, field)


def email(value, field: str = "email") -> str:
    value = text(value, field, MAX_LENGTHS["email"])
    if value:
        try:
            validate_email(value)
        except ValidationError:
            raise _Bad(field, "invalid_email", _("“%(value)s” is not a valid e-mail address.")
                       % {"value": value[:60]}) from None
    return value


def phone(value, field: str = "phone") -> str:
    if value is None or (type(value) is str and not value.strip()):
        return ""
    return _normalised(normalize_phone, value, field)


def boolean(value, field: str, default: bool = False) -> bool:
    if value is None:
        return default
    if type(value) is bool:
        return value
    raise _bad_type(field, _("true or false"), value)


def _object(value, field: str, *, nullable: bool = True) -> dict | None:
    if value is None and nullable:
        return None
    if type(value) is not dict:
        raise _bad_type(field, _("an object"), value)
    return value


def _array(value, field: str) -> list:
    if value is None:
        return []
    if type(value) is not list:
        raise _bad_type(field, _("an array"), value)
    return value


# --- entries ---------------------------------------------------------------------------------------

class _Collector:
    """Errors of one company (or payer): pointer prefix + the refused fields."""

    __slots__ = ("prefix", "errors")

    def __init__(self, prefix: str):
        self.prefix = prefix
        self.errors: list[FieldError] = []

    def add(self, bad: _Bad, sub: str = "") -> None:
        pointer = self.prefix + sub + ("/" + bad.field if bad.field else "")
        self.errors.append(FieldError(pointer, bad.code, str(bad.detail)))


def _entry_start(raw, errors: _Collector, sub: str) -> tuple[int, str | None] | None:
    """What every monthly entry checks first: it is an object with a valid ``period``.

    Returns the error count before the entry (so the caller can tell whether the entry added any)
    and the period (None when invalid), or None when the entry is not an object at all.
    """
    if type(raw) is not dict:
        errors.add(_bad_type("", _("an object"), raw), sub)
        return None
    count = len(errors.errors)
    entry_period = None
    try:
        entry_period = period(raw.get("period"))
    except _Bad as bad:
        errors.add(bad, sub)
    return count, entry_period


def _due_date_and_label(raw: dict, errors: _Collector, sub: str) -> tuple:
    """The optional ``due_date`` and ``label`` that taxes and ZUS entries share."""
    due = label = None
    try:
        due = optional_date(raw.get("due_date"), "due_date")
    except _Bad as bad:
        errors.add(bad, sub)
    try:
        label = choice(raw.get("label"), "label", FIGURE_LABELS, "declaration", allowed=LABEL_SET)
    except _Bad as bad:
        errors.add(bad, sub)
    return due, label


def _tax_entry_checked(raw, index: int, errors: _Collector, sub: str) -> TaxEntry | None:
    start = _entry_start(raw, errors, sub)
    if start is None:
        return None
    count, entry_period = start
    tax_type = raw.get("type")
    if not (type(tax_type) is str and tax_type in TAX_TYPE_SET):
        errors.add(_required("type") if tax_type is None else _bad_choice("type", tax_type, TAX_TYPES), sub)
    try:
        value = raw.get("amount")
        if value is None:
            raise _required("amount")
        value = amount(value, "amount")
    except _Bad as bad:
        errors.add(bad, sub)
    due, label = _due_date_and_label(raw, errors, sub)
    if len(errors.errors) != count:
        return None
    return TaxEntry(index=index, period=entry_period, type=tax_type, amount=value, due_date=due, label=label)


def _zus_entry_checked(raw, index: int, errors: _Collector, sub: str, payer: tuple[str | None, str | None] | None = None
               ) -> ZusEntry | None:
    """One ZUS entry; ``payer`` given for top-level ``payers`` (their entries carry no ``payer`` member)."""
    start = _entry_start(raw, errors, sub)
    if start is None:
        return None
    count, entry_period = start
    payer_pesel = payer_nip = None
    if payer is not None:
        payer_pesel, payer_nip = payer
    else:
        try:
            raw_payer = _object(raw.get("payer"), "payer")
            if raw_payer is not None:
                payer_pesel, payer_nip = _payer_ids(raw_payer, "payer/")
        except _Bad as bad:
            errors.add(bad, sub)
    parts = {}
    for name in ZUS_PARTS:
        value = raw.get(name)
        if value is not None:
            try:
                parts[name] = amount(value, name)
            except _Bad as bad:
                errors.add(bad, sub)
    due, label = _due_date_and_label(raw, errors, sub)
    if len(errors.errors) != count:
        return None
    return ZusEntry(index=index, period=entry_period, payer_pesel=payer_pesel, payer_nip=payer_nip, due_date=due,
                    label=label, **parts)


def _payer_ids(raw: dict, prefix: str) -> tuple[str | None, str | None]:
    payer_pesel = optional_identifier(normalize_pesel, raw.get("pesel"), prefix + "pesel")
    payer_nip = optional_identifier(normalize_nip, raw.get("nip"), prefix + "nip")
    if payer_pesel is None and payer_nip is None:
        raise _Bad(prefix + "pesel", "required", _("Give the payer's PESEL or NIP."))
    return payer_pesel, payer_nip


def _settlement(raw, index: int, errors: _Collector, sub: str) -> SettlementData | None:
    """v1.1 ``settlements[]``: ``{"period", "what", "amount", "paid_on"[, "payer"]}``."""
    start = _entry_start(raw, errors, sub)
    if start is None:
        return None
    count, entry_period = start
    what = raw.get("what")
    if not (type(what) is str and what in SETTLEMENT_WHATS):
        errors.add(_required("what") if what is None else _bad_choice("what", what, SETTLEMENT_WHATS), sub)
    values = {}
    for name, parse in (("amount", lambda v: amount(v, "amount") if v is not None else None),
                        ("paid_on", lambda v: optional_date(v, "paid_on"))):
        try:
            values[name] = parse(raw.get(name))
        except _Bad as bad:
            errors.add(bad, sub)
    if values.get("amount", 0) is None:
        errors.add(_required("amount"), sub)
    payer_pesel = payer_nip = None
    if raw.get("payer") is not None:
        try:
            payer = _object(raw.get("payer"), "payer")
            if what != "ZUS":
                raise _Bad("payer", "payer_not_zus", _("Only a ZUS settlement has a payer."))
            payer_pesel, payer_nip = _payer_ids(payer, "payer/")
        except _Bad as bad:
            errors.add(bad, sub)
    if len(errors.errors) != count:
        return None
    return SettlementData(index=index, period=entry_period, what=what, payer_pesel=payer_pesel,
                          payer_nip=payer_nip, **values)


def _statement_entry_checked(raw, index: int, errors: _Collector, sub: str) -> StatementEntry | None:
    start = _entry_start(raw, errors, sub)
    if start is None:
        return None
    count, entry_period = start
    parts = {}
    for name in STATEMENT_PARTS:
        value = raw.get(name)
        if value is not None:
            try:
                parts[name] = amount(value, name)
            except _Bad as bad:
                errors.add(bad, sub)
    totals = {}
    raw_totals = raw.get("totals")
    if raw_totals is not None:
        if type(raw_totals) is not dict:
            errors.add(_bad_type("totals", _("an object"), raw_totals), sub)
        else:
            for name, value in raw_totals.items():
                field = "totals/" + _escape(name)
                if not _TOTAL_NAME(name) or name in STATEMENT_PARTS:
                    errors.add(_Bad(field, "invalid_name", _(
                        "Total names use letters, digits and _ (at most 70) and are not revenue, costs or income.")),
                        sub)
                    continue
                try:
                    totals[name] = amount(value, field)
                except _Bad as bad:
                    errors.add(bad, sub)
    if len(errors.errors) != count:
        return None
    return StatementEntry(index=index, period=entry_period, totals=totals, **parts)


# --- fast paths ------------------------------------------------------------------------------------
# Most entries are valid: check them inline against pre-built sets and build the value objects
# without the frozen-dataclass __init__ (which costs more than all the checks together). Anything
# unusual falls back to the *_checked functions above, which find and explain every problem.

_new = object.__new__


def _plain_dataclass(cls) -> bool:
    return not hasattr(cls, "__slots__") and not hasattr(cls, "__post_init__")


_FAST_OBJECTS = all(_plain_dataclass(cls) for cls in (TaxEntry, ZusEntry, StatementEntry))


def _make(cls, values: dict):
    """``cls(**values)`` for the batch's frozen dataclasses, ~3x faster; ``values`` holds every field."""
    if not _FAST_OBJECTS:
        return cls(**values)
    obj = _new(cls)
    obj.__dict__.update(values)
    return obj


def _fast_amount(value):
    """A valid amount string → Decimal; anything else → None (the checked path explains it)."""
    if type(value) is str and _AMOUNT(value):
        number = Decimal(value)
        return number if value[-3:-2] == "." else number.quantize(_CENTS)
    return None


def _fast_due_and_label(raw: dict):
    due = raw.get("due_date")
    if due is not None:
        if type(due) is not str:
            return None
        due = _date_or_none(due)
        if due is None:
            return None
    label = raw.get("label")
    if label is None:
        label = "declaration"
    elif not (type(label) is str and label in LABEL_SET):
        return None
    return due, label


def _tax_entry(raw, index: int, errors: _Collector, section: str) -> TaxEntry | None:
    if type(raw) is dict:
        entry_period = raw.get("period")
        tax_type = raw.get("type")
        value = _fast_amount(raw.get("amount"))
        if (value is not None and type(entry_period) is str and entry_period in _PERIODS
                and type(tax_type) is str and tax_type in TAX_TYPE_SET):
            rest = _fast_due_and_label(raw)
            if rest is not None:
                return _make(TaxEntry, {"index": index, "period": entry_period, "type": tax_type, "amount": value,
                                        "due_date": rest[0], "label": rest[1]})
    return _tax_entry_checked(raw, index, errors, f"/{section}/{index}")


def _zus_entry(raw, index: int, errors: _Collector, section: str,
               payer: tuple[str | None, str | None] | None = None) -> ZusEntry | None:
    if type(raw) is dict and (payer is not None or raw.get("payer") is None):
        entry_period = raw.get("period")
        if type(entry_period) is str and entry_period in _PERIODS:
            values = {"index": index, "period": entry_period, "payer_pesel": payer[0] if payer else None,
                      "payer_nip": payer[1] if payer else None}
            for name in ZUS_PARTS:
                value = raw.get(name)
                if value is not None:
                    value = _fast_amount(value)
                    if value is None:
                        break
                values[name] = value
            else:
                rest = _fast_due_and_label(raw)
                if rest is not None:
                    values["due_date"], values["label"] = rest
                    return _make(ZusEntry, values)
    return _zus_entry_checked(raw, index, errors, f"/{section}/{index}", payer)


def _statement_entry(raw, index: int, errors: _Collector, section: str) -> StatementEntry | None:
    if type(raw) is dict and raw.get("totals") is None:
        entry_period = raw.get("period")
        if type(entry_period) is str and entry_period in _PERIODS:
            values = {"index": index, "period": entry_period}
            for name in STATEMENT_PARTS:
                value = raw.get(name)
                if value is not None:
                    value = _fast_amount(value)
                    if value is None:
                        break
                values[name] = value
            else:
                values["totals"] = {}
                return _make(StatementEntry, values)
    return _statement_entry_checked(raw, index, errors, f"/{section}/{index}")


def _person(raw, index: int, errors: _Collector, sub: str) -> PersonData | None:
    if type(raw) is not dict:
        errors.add(_bad_type("", _("an object"), raw), sub)
        return None
    count = len(errors.errors)
    values = {}
    for name, parser in (
        ("first_name", lambda v: text(v, "first_name", MAX_LENGTHS["first_name"])),
        ("last_name", lambda v: text(v, "last_name", MAX_LENGTHS["last_name"], required=True)),
        ("pesel", lambda v: optional_identifier(normalize_pesel, v, "pesel")),
        ("nip", lambda v: optional_identifier(normalize_nip, v, "nip")),
        ("email", email),
        ("phone", phone),
        ("role", lambda v: choice(v, "role", PERSON_ROLES, "owner", allowed=ROLE_SET)),
    ):
        try:
            values[name] = parser(raw.get(name))
        except _Bad as bad:
            errors.add(bad, sub)
    if len(errors.errors) == count:
        try:
            values["zus_account"] = zus_account(raw.get("zus_account"), "zus_account", values["nip"])
        except _Bad as bad:
            errors.add(bad, sub)
    if len(errors.errors) != count:
        return None
    return PersonData(index=index, **values)


def _escape(token) -> str:
    """RFC 6901: ``~`` → ``~0``, ``/`` → ``~1``."""
    return str(token).replace("~", "~0").replace("/", "~1")


def _company(raw, index: int) -> tuple[CompanyData | None, list[FieldError]]:
    errors = _Collector(f"/companies/{index}")
    if type(raw) is not dict:
        errors.add(_bad_type("", _("an object"), raw))
        return None, errors.errors
    values: dict = {"index": index}
    for name, parser in (
        ("nip", _company_nip),
        ("regon", lambda v: optional_identifier(normalize_regon, v, "regon") or ""),
        ("name", lambda v: text(v, "name", MAX_LENGTHS["name"])),
        ("email", email),
        ("phone", phone),
    ):
        try:
            values[name] = parser(raw.get(name))
        except _Bad as bad:
            errors.add(bad)
    try:
        values["address"] = _address(raw.get("address"))
    except _Bad as bad:
        errors.add(bad)
    try:
        values["tax_setup"] = _tax_setup(raw.get("tax_setup"))
    except _Bad as bad:
        errors.add(bad)
    if values.get("nip"):
        try:
            values["zus_account"] = zus_account(raw.get("zus_account"), "zus_account", values["nip"])
        except _Bad as bad:
            errors.add(bad)

    people = []
    try:
        raw_people = _array(raw.get("people"), "people")
    except _Bad as bad:
        errors.add(bad)
        raw_people = []
    for j, raw_person in enumerate(raw_people):
        person = _person(raw_person, j, errors, f"/people/{j}")
        if person is not None:
            people.append(person)
    values["people"] = tuple(people)

    for section, parse_entry, key_of in (
        ("taxes", _tax_entry, lambda e: (e.period, e.type)),
        ("zus", _zus_entry, lambda e: (e.period, e.payer_pesel or e.payer_nip or "")),
        ("statements", _statement_entry, lambda e: e.period),
        ("settlements", lambda r, j, errs, sec: _settlement(r, j, errs, f"/{sec}/{j}"),
         lambda e: (e.period, e.what, e.payer_pesel or e.payer_nip or "")),
    ):
        try:
            raw_entries = _array(raw.get(section), section)
        except _Bad as bad:
            errors.add(bad)
            raw_entries = []
        entries = []
        seen = set()
        for j, raw_entry in enumerate(raw_entries):
            entry = parse_entry(raw_entry, j, errors, section)
            if entry is None:
                continue
            key = key_of(entry)
            if key in seen:
                errors.add(_Bad("period", "duplicate_figure", _(
                    "This entry repeats an earlier one for the same period (and type or payer) in this company.")),
                    f"/{section}/{j}")
                continue
            seen.add(key)
            entries.append(entry)
        values[section] = tuple(entries)

    if errors.errors:
        # Refused, but kept (never applied) so ``apply_batch`` counts all its figures as rejected.
        raw_nip = raw.get("nip")
        values.setdefault("nip", raw_nip if type(raw_nip) is str else "")
        for name in ("regon", "name", "email", "phone"):
            values.setdefault(name, "")
        return CompanyData(**values), errors.errors
    return CompanyData(**values), []


def _company_nip(value) -> str:
    if value is None:
        raise _required("nip")
    return nip(value)


def _address(raw) -> Address | None:
    raw = _object(raw, "address")
    if raw is None:
        return None
    country = raw.get("country")
    if country is None or (type(country) is str and not country.strip()):
        country = "PL"
    elif type(country) is not str or not _COUNTRY(country.strip().upper()):
        raise _Bad("address/country", "invalid_country", _("Write the country as a two-letter ISO code, e.g. PL."))
    return Address(
        street=text(raw.get("street"), "address/street", MAX_LENGTHS["street"]),
        postal_code=text(raw.get("postal_code"), "address/postal_code", MAX_LENGTHS["postal_code"]),
        city=text(raw.get("city"), "address/city", MAX_LENGTHS["city"]),
        country=country.strip().upper(),
    )


def _tax_setup(raw) -> TaxSetup | None:
    raw = _object(raw, "tax_setup")
    if raw is None:
        return None
    return TaxSetup(**{name: choice(raw.get(name), f"tax_setup/{name}", choices)
                       for name, choices in TAX_SETUP_CHOICES.items()})


def _payer(raw, index: int) -> tuple[PayerData | None, list[FieldError]]:
    errors = _Collector(f"/payers/{index}")
    if type(raw) is not dict:
        errors.add(_bad_type("", _("an object"), raw))
        return None, errors.errors
    try:
        payer_pesel, payer_nip = _payer_ids(raw, "")
    except _Bad as bad:
        errors.add(bad)
        payer_pesel = payer_nip = None
    entries = []
    try:
        raw_entries = _array(raw.get("zus"), "zus")
    except _Bad as bad:
        errors.add(bad)
        raw_entries = []
    seen = set()
    for j, raw_entry in enumerate(raw_entries):
        entry = _zus_entry(raw_entry, j, errors, "zus", payer=(payer_pesel, payer_nip))
        if entry is None:
            continue
        if entry.period in seen:
            errors.add(_Bad("period", "duplicate_figure", _("This entry repeats an earlier one for the same period.")),
                       f"/zus/{j}")
            continue
        seen.add(entry.period)
        entries.append(entry)
    account = None
    try:
        account = zus_account(raw.get("zus_account"), "zus_account", payer_nip)
    except _Bad as bad:
        errors.add(bad)
    if errors.errors:
        return None, errors.errors
    return PayerData(index=index, pesel=payer_pesel, nip=payer_nip, zus=tuple(entries), zus_account=account), []


# --- the request -----------------------------------------------------------------------------------

def _header(data: dict) -> dict:
    """The request-level members; any problem here refuses the whole request."""
    errors = _Collector("")
    values: dict = {}
    try:
        raw_program = _object(data.get("program"), "program", nullable=False) if "program" in data else None
        if raw_program is None:
            raise _required("program")
        code = raw_program.get("code")
        if code is None:
            raise _required("program/code")
        values["program"] = choice(code, "program/code", PROGRAM_CODES, allowed=PROGRAM_SET)
        values["program_version"] = text(raw_program.get("version"), "program/version",
                                         MAX_LENGTHS["program_version"])
    except _Bad as bad:
        errors.add(bad)
    try:
        raw_agent = _object(data.get("agent"), "agent")
        if raw_agent is not None:
            values["agent"] = AgentInfo(**{
                name: _truncated(raw_agent.get(name), f"agent/{name}", MAX_LENGTHS[f"agent_{name}"])
                for name in ("version", "os", "hostname")})
    except _Bad as bad:
        errors.add(bad)
    try:
        raw_range = _object(data.get("range"), "range")
        if raw_range is not None:
            values["period_from"] = period(raw_range.get("from"), "range/from")
            values["period_to"] = period(raw_range.get("to"), "range/to")
            if values["period_from"] > values["period_to"]:
                raise _Bad("range/to", "invalid_range", _("“to” must not be before “from”."))
    except _Bad as bad:
        errors.add(bad)
    try:
        raw_options = _object(data.get("options"), "options")
        if raw_options is not None:
            values["approve"] = boolean(raw_options.get("approve"), "options/approve")
            values["send_summary"] = boolean(raw_options.get("send_summary"), "options/send_summary")
    except _Bad as bad:
        errors.add(bad)
    for section in ("companies", "payers"):
        try:
            values[section] = _array(data.get(section), section)
        except _Bad as bad:
            errors.add(bad)
    if errors.errors:
        raise RequestInvalidError(errors.errors)
    return values


def _truncated(value, field: str, max_length: int) -> str:
    """Agent metadata is informative only: over-long values are cut, not refused."""
    if value is None:
        return ""
    if type(value) is not str:
        raise _bad_type(field, _("a string"), value)
    return value.replace("\x00", "").strip()[:max_length]


@contextmanager
def gc_paused():
    """Pause the cyclic garbage collector while building a large batch.

    Decoding and validating creates millions of small acyclic objects; the collector's
    repeated full passes over them cost ~40 % of the parse time and free nothing.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def parse_batch(data) -> Batch:
    """Validate a decoded JSON body; raise ``RequestInvalidError`` when the request as a whole is unusable."""
    with gc_paused():
        return _parse_batch(data)


def _parse_batch(data) -> Batch:
    if type(data) is not dict:
        raise RequestInvalidError([FieldError("", "invalid_type", _("The body must be a JSON object."))])
    values = _header(data)
    companies: list[CompanyData] = []
    rejected: list[int] = []
    errors: list[FieldError] = []
    seen_nips: dict[str, int] = {}
    for index, raw in enumerate(values.pop("companies")):
        company, company_errors = _company(raw, index)
        if not company_errors and company.nip in seen_nips:
            detail = _("This NIP was already sent in this batch (at /companies/%(first)d).")
            company_errors = [FieldError(f"/companies/{index}/nip", "duplicate_company",
                                         detail % {"first": seen_nips[company.nip]})]
        if company_errors:
            rejected.append(index)
            errors.extend(company_errors)
        else:
            seen_nips[company.nip] = index
        if company is not None:
            # Refused companies stay in ``companies`` (listed in ``rejected_companies``, never applied).
            companies.append(company)
    payers: list[PayerData] = []
    for index, raw in enumerate(values.pop("payers")):
        payer, payer_errors = _payer(raw, index)
        if payer is None:
            errors.extend(payer_errors)
        else:
            payers.append(payer)
    return Batch(companies=tuple(companies), payers=tuple(payers), rejected_companies=tuple(rejected),
                 errors=tuple(errors), **values)


def count_figures(batch: Batch) -> int:
    """How many figures (single values) a batch carries: for logs and benchmarks."""
    total = 0
    rejected = set(batch.rejected_companies)
    for company in batch.companies:
        if company.index in rejected:
            continue
        total += len(company.taxes)
        total += sum(len(entry.parts()) for entry in company.zus)
        total += sum(len(entry.parts()) for entry in company.statements)
    for payer in batch.payers:
        total += sum(len(entry.parts()) for entry in payer.zus)
    return total
