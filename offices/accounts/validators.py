"""Validators for office settings: SMS sender, reminder days, logo files.

Each raises ``ValidationError`` with a translated message and a stable ``code``,
so the panel's form and any other caller refuse bad values the same way.
"""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

ALPHANUMERIC_SENDER = re.compile(r"^[A-Za-z0-9 ]{1,11}$")
E164_NUMBER = re.compile(r"^\+[1-9][0-9]{6,14}$")
MAX_REMINDER_DAYS = 5
MAX_DAYS_BEFORE_DUE = 31
LOGO_MAX_BYTES = 512 * 1024
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
# The only types a logo is ever served as: by the extension of its detected format, never by the upload's name.
LOGO_CONTENT_TYPES = {"png": "image/png", "jpg": "image/jpeg", "webp": "image/webp"}
LOGO_MAX_PIXELS = 2000


#: A host name (letters, digits, hyphens, dots) or an IPv4 address; no scheme, port, path or spaces.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
SMTP_HOST = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*\.?$")


def validate_smtp_host(value: str) -> None:
    """A bare host name or IPv4 address (``smtp.example.com``), not a URL."""
    if value and not SMTP_HOST.match(value):
        raise ValidationError(_("Enter the server's name only, e.g. smtp.example.com (no http://, port or path)."),
                              code="invalid_smtp_host")


def validate_sms_sender(value: str) -> None:
    """An alphanumeric sender ID (max 11 characters, at least one letter) or an E.164 phone number."""
    if not value:
        return
    if value.startswith("+"):
        if not E164_NUMBER.match(value):
            raise ValidationError(
                _("A sender number must be in international format: + and the country code, up to 15 digits."),
                code="invalid_sms_number",
            )
        return
    if len(value) > 11:
        raise ValidationError(
            _("A sender name may have at most 11 characters (it has %(length)d)."),
            code="sms_sender_too_long", params={"length": len(value)},
        )
    if not ALPHANUMERIC_SENDER.match(value):
        raise ValidationError(
            _("A sender name may contain only Latin letters without accents, digits and spaces."),
            code="invalid_sms_sender",
        )
    if not any(char.isalpha() for char in value):
        raise ValidationError(
            _("A sender name needs at least one letter; for a number write it with + and the country code."),
            code="sms_sender_needs_letter",
        )


def parse_reminder_days(text: str) -> list[int]:
    """``"3, 1"`` → ``[3, 1]``: distinct whole days before the due date, largest first; empty means none."""
    text = (text or "").strip()
    if not text:
        return []
    days = []
    for part in text.replace(";", ",").split(","):
        part = part.strip()
        if not part:
            continue
        if not part.isdigit():
            raise ValidationError(
                _("“%(value)s” is not a number of days. Write whole numbers separated by commas, e.g. 3,1."),
                code="invalid_reminder_day", params={"value": part[:20]},
            )
        day = int(part)
        if day > MAX_DAYS_BEFORE_DUE:
            raise ValidationError(
                _("A reminder can be at most %(max)d days before the due date."),
                code="reminder_day_too_far", params={"max": MAX_DAYS_BEFORE_DUE},
            )
        if day not in days:
            days.append(day)
    if len(days) > MAX_REMINDER_DAYS:
        raise ValidationError(_("At most %(max)d reminders."), code="too_many_reminders",
                              params={"max": MAX_REMINDER_DAYS})
    return sorted(days, reverse=True)


def detect_logo_extension(file) -> str | None:
    """The extension of a logo's real format, read from its content (``None`` unless PNG, JPEG or WebP)."""
    return _read_logo(file)[0]


def _read_logo(file) -> tuple[str | None, tuple[int, int]]:
    try:
        file.seek(0)
        with Image.open(file) as image:
            image_format = image.format
            size = image.size
            image.verify()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        return None, (0, 0)
    finally:
        file.seek(0)
    return LOGO_FORMATS.get(image_format), size


def validate_logo(upload) -> str:
    """Check an uploaded logo's size and real type (by content, not by name); return its file extension.

    SVG is refused on purpose: it is a document that can carry scripts, not a bitmap.
    """
    if upload.size > LOGO_MAX_BYTES:
        raise ValidationError(
            _("The logo may be at most %(max)d kB (this file has %(size)d kB)."),
            code="logo_too_large", params={"max": LOGO_MAX_BYTES // 1024, "size": -(-upload.size // 1024)},
        )
    extension, (width, height) = _read_logo(upload)
    if extension is None:
        raise ValidationError(_("The logo must be a PNG, JPEG or WebP image."), code="logo_type")
    if width > LOGO_MAX_PIXELS or height > LOGO_MAX_PIXELS:
        raise ValidationError(
            _("The logo may be at most %(max)d×%(max)d pixels."), code="logo_dimensions",
            params={"max": LOGO_MAX_PIXELS},
        )
    return extension
