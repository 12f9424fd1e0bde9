"""Small validated-value helpers shared by the importers."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

import phonenumbers
from django.core.exceptions import ValidationError
from django.core.validators import validate_email

from clients.validators import normalize_nip, normalize_pesel, normalize_regon

TWO_PLACES = Decimal("0.01")
_PERIOD = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")


def parse_amount(text: str) -> Decimal | None:
    """``"124"`` → ``Decimal("124.00")``; ``""`` → None; garbage → ValueError."""
    text = (text or "").strip()
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise ValueError(text) from None
    if not value.is_finite():
        raise ValueError(text)
    return value.quantize(TWO_PLACES)


def is_period(text: str) -> bool:
    return bool(_PERIOD.match(text or ""))


def period(year: int, month: int) -> str:
    return f"{year:04d}-{month:02d}"


def clean_email(text: str) -> str:
    """The e-mail as given, minus stray separators (``a@b.pl,``); "" when it is not an address."""
    candidate = (text or "").strip().strip(",;").strip()
    if not candidate:
        return ""
    try:
        validate_email(candidate)
    except ValidationError:
        return ""
    return candidate.lower()


def clean_phone(text: str) -> str:
    """E.164 for a valid (Polish by default) number, "" otherwise."""
    text = (text or "").strip()
    if not text:
        return ""
    try:
        number = phonenumbers.parse(text, "PL")
    except phonenumbers.NumberParseException:
        return ""
    if not phonenumbers.is_valid_number(number):
        return ""
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def digits(text: str) -> str:
    return re.sub(r"[\s-]", "", text or "")


# One rule for identifiers everywhere (``clients.validators``): checksum, and never all zeros.
def _passes(normalise, text: str) -> bool:
    try:
        normalise(text)
    except ValidationError:
        return False
    return True


def valid_nip(text: str) -> bool:
    return _passes(normalize_nip, text)


def valid_pesel(text: str) -> bool:
    return _passes(normalize_pesel, text)


def valid_regon(text: str) -> bool:
    return _passes(normalize_regon, text)
