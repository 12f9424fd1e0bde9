"""Polish identifiers and phone numbers: validate and normalise.

Every function takes the raw value a person or an agent typed and returns the
normalised form we store, or raises ``django.core.exceptions.ValidationError``
with a translated message and a stable ``code`` (``invalid_nip``,
``invalid_pesel``, ``invalid_regon``, ``invalid_phone``). The agent API's parser,
the panel's forms and the importers all call these, so an identifier is
validated the same way everywhere.

Blank values are errors here too: callers decide what is optional.
"""

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pl import nip as stdnum_nip
from stdnum.pl import pesel as stdnum_pesel
from stdnum.pl import regon as stdnum_regon

DEFAULT_PHONE_REGION = "PL"


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _checked(number_module, text: str) -> str:
    """``text`` compacted and checked by a python-stdnum module; raises its ``ValidationError``."""
    compact = number_module.compact(text)
    if not compact.strip("0"):  # all zeros passes the checksum but is nobody's number
        raise StdnumError()
    return number_module.validate(compact)


def normalize_nip(value) -> str:
    """A NIP as 10 digits. Spaces, dashes and a leading ``PL`` are tolerated; the checksum is checked."""
    text = _text(value)
    try:
        return _checked(stdnum_nip, text)
    except StdnumError:
        raise ValidationError(
            _("“%(value)s” is not a valid NIP: it must have 10 digits with a correct check digit."),
            code="invalid_nip", params={"value": text[:40]},
        ) from None


def normalize_pesel(value) -> str:
    """A PESEL as 11 digits, with a correct check digit and a real birth date."""
    text = _text(value)
    try:
        return _checked(stdnum_pesel, text)
    except StdnumError:
        # Never echo a PESEL back: it is personal data.
        raise ValidationError(
            _("This is not a valid PESEL: it must have 11 digits with a correct check digit and birth date."),
            code="invalid_pesel",
        ) from None


def normalize_regon(value) -> str:
    """A REGON as 9 or 14 digits with correct check digits."""
    text = _text(value)
    try:
        return _checked(stdnum_regon, text)
    except StdnumError:
        raise ValidationError(
            _("“%(value)s” is not a valid REGON: it must have 9 or 14 digits with correct check digits."),
            code="invalid_regon", params={"value": text[:40]},
        ) from None


def normalize_phone(value, region: str = DEFAULT_PHONE_REGION) -> str:
    """A phone number in E.164 (``+48600100200``); numbers without a country code are Polish."""
    text = _text(value)
    error = ValidationError(
        _("“%(value)s” is not a valid phone number. Write it with the country code, e.g. +48 600 100 200."),
        code="invalid_phone", params={"value": text[:40]},
    )
    if not text or len(text) > 40:
        raise error
    try:
        number = phonenumbers.parse(text, region)
    except phonenumbers.NumberParseException:
        raise error from None
    if not phonenumbers.is_valid_number(number):
        raise error
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)

