"""Single members of a batch: amounts, periods, dates, text, identifiers, choices.

Each parser returns the clean value or raises ``Bad`` (the pointer suffix, a code and a message);
the messages are formatted only on the error path.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal
from functools import lru_cache

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _

from clients.payments import validate_zus_account
from clients.validators import normalize_nip, normalize_pesel, normalize_phone
from clients.vocabulary import (
    FIGURE_LABELS,
    INCOME_TAX_PERIODS,
    INCOME_TAX_SETUPS,
    PERSON_ROLES,
    PROGRAM_CODES,
    TAX_TYPES,
    VAT_SETUPS,
    ZUS_PAYER_KINDS,
)
from sync.batch import FieldError

MIN_YEAR, MAX_YEAR = 1990, 2099
PERIODS = frozenset(f"{year:04d}-{month:02d}" for year in range(MIN_YEAR, MAX_YEAR + 1) for month in range(1, 13))
_AMOUNT = re.compile(r"-?[0-9]{1,12}(?:\.[0-9]{1,2})?").fullmatch
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}").fullmatch
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


class Bad(Exception):  # noqa: N818 - a signal inside the parser, never seen outside
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


def bad_type(field: str, expected: str, value) -> Bad:
    return Bad(field, "invalid_type", _("Expected %(expected)s, got %(actual)s.")
                % {"expected": expected, "actual": _type_name(value)})


def missing(field: str) -> Bad:
    return Bad(field, "required", _("This field is required."))


def bad_choice(field: str, value, choices) -> Bad:
    shown = value if isinstance(value, str) else _type_name(value)
    return Bad(field, "invalid_choice", _("“%(value)s” is not one of: %(choices)s.")
                % {"value": str(shown)[:60], "choices": ", ".join(choices)})


# --- scalar values ---------------------------------------------------------------------------------

def zus_account(value, field: str, payer_nip: str | None) -> str | None:
    """v1.1 ``zus_account``: absent/null → None (the stored NRS stays); else checked against the payer's NIP."""
    if value is None:
        return None
    if type(value) is not str:
        raise bad_type(field, _("a string"), value)
    try:
        return validate_zus_account(value[:64], nip=payer_nip)
    except ValueError as error:
        raise Bad(field, "invalid_zus_account", str(error)) from None


def amount(value, field: str) -> Decimal:
    """A JSON string with at most 12 integer digits and 2 decimals → a two-place ``Decimal``."""
    if type(value) is str and _AMOUNT(value):
        number = Decimal(value)
        # "1234.50" already has two places; "1234" or "1234.5" need quantizing.
        return number if value[-3:-2] == "." else number.quantize(_CENTS)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        raise Bad(field, "invalid_amount", _("Amounts must be JSON strings such as \"1234.50\", not numbers."))
    if type(value) is not str:
        raise Bad(field, "invalid_amount", _("Expected an amount as a string such as \"1234.50\", got %(actual)s.")
                   % {"actual": _type_name(value)})
    text = value.strip().lstrip("-")
    if "." in text and len(text.split(".", 1)[1]) > 2 and _AMOUNT(value.split(".")[0]):
        raise Bad(field, "invalid_amount", _("“%(value)s” has more than two decimal places.") % {"value": value[:40]})
    if len(text.split(".", 1)[0]) > 12 and text.replace(".", "", 1).isdigit():
        raise Bad(field, "invalid_amount", _("“%(value)s” has more than 12 digits before the decimal point.")
                   % {"value": value[:40]})
    raise Bad(field, "invalid_amount", _("“%(value)s” is not an amount: write it like \"1234.50\" or \"-12.00\".")
               % {"value": value[:40]})


def period(value, field: str = "period") -> str:
    if type(value) is str and value in PERIODS:
        return value
    if value is None:
        raise missing(field)
    if type(value) is not str:
        raise bad_type(field, _("a period \"YYYY-MM\""), value)
    raise Bad(field, "invalid_period", _("“%(value)s” is not a period: write it as YYYY-MM, e.g. 2026-10.")
               % {"value": value[:40]})


@lru_cache(maxsize=8192)
def date_or_none(value: str) -> date | None:
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
        parsed = date_or_none(value)
        if parsed is not None:
            return parsed
        raise Bad(field, "invalid_date", _("“%(value)s” is not a date: write it as YYYY-MM-DD, e.g. 2026-11-25.")
                   % {"value": value[:40]})
    raise bad_type(field, _("a date \"YYYY-MM-DD\""), value)


def text(value, field: str, max_length: int, *, required: bool = False) -> str:
    """A string member: null/missing → "" (or ``required``), stripped, at most ``max_length`` characters."""
    if value is None:
        if required:
            raise missing(field)
        return ""
    if type(value) is not str:
        raise bad_type(field, _("a string"), value)
    value = value.strip()
    if required and not value:
        raise missing(field)
    if len(value) > max_length:
        raise Bad(field, "too_long", _("At most %(max)d characters are allowed (got %(length)d).")
                   % {"max": max_length, "length": len(value)})
    if "\x00" in value:
        raise Bad(field, "invalid_characters", _("Text must not contain NUL (\\u0000) characters."))
    return value


def choice(value, field: str, choices, default=None, *, allowed=None):
    if value is None:
        return default
    if type(value) is str and value in (allowed or choices):
        return value
    raise bad_choice(field, value, choices)


def _normalised(normaliser, value, field: str) -> str:
    if type(value) is not str:
        raise bad_type(field, _("a string"), value)
    try:
        return normaliser(value)
    except ValidationError as exc:
        raise Bad(field, exc.code or "invalid", " ".join(exc.messages)) from None


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
            raise Bad(field, "invalid_email", _("“%(value)s” is not a valid e-mail address.")
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
    raise bad_type(field, _("true or false"), value)


def json_object(value, field: str, *, nullable: bool = True) -> dict | None:
    if value is None and nullable:
        return None
    if type(value) is not dict:
        raise bad_type(field, _("an object"), value)
    return value


def json_array(value, field: str) -> list:
    if value is None:
        return []
    if type(value) is not list:
        raise bad_type(field, _("an array"), value)
    return value



def amount_or_none(value) -> Decimal | None:
    """A valid amount string → Decimal; anything else → None (``amount`` explains what is wrong)."""
    if type(value) is str and _AMOUNT(value):
        number = Decimal(value)
        return number if value[-3:-2] == "." else number.quantize(_CENTS)
    return None
