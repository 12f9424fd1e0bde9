"""How an office's e-mails look: its name, logo, colour and contact, for ``templates/emails/_layout.html``.

The logo travels inside the e-mail as an inline image (``cid:office-logo``, attached by
``offices.accounts.mail.build_email`` in a ``multipart/related``): mail programs block remote images and most drop
``data:`` URLs, so this is the one way the logo shows without the reader allowing anything.
"""

import logging
from dataclasses import dataclass

from offices.accounts.models import OfficeSettings
from offices.accounts.validators import LOGO_CONTENT_TYPES

logger = logging.getLogger(__name__)

LOGO_CID = "office-logo"
#: The portal's own colour when the office has not chosen one.
DEFAULT_COLOR = "#1f4e79"


@dataclass(frozen=True)
class Branding:
    name: str
    color: str
    has_logo: bool
    email: str
    phone: str

    @property
    def text_color(self) -> str:
        """Black or white on the brand colour, whichever reads (WCAG relative luminance)."""
        red, green, blue = (int(self.color[i:i + 2], 16) / 255 for i in (1, 3, 5))

        def linear(channel: float) -> float:
            return channel / 12.92 if channel <= 0.03928 else ((channel + 0.055) / 1.055) ** 2.4

        luminance = 0.2126 * linear(red) + 0.7152 * linear(green) + 0.0722 * linear(blue)
        return "#111111" if luminance > 0.179 else "#ffffff"

    @property
    def logo_src(self) -> str:
        return f"cid:{LOGO_CID}" if self.has_logo else ""


def branding(office, office_settings: OfficeSettings | None = None) -> Branding:
    office_settings = office_settings or OfficeSettings.load()
    contact = office_settings.reply_to_email or (office_settings.smtp_from_email if office_settings.uses_own_smtp
                                                 else "")
    return Branding(name=office.name, color=office_settings.brand_color or DEFAULT_COLOR,
                    has_logo=bool(office_settings.logo), email=contact, phone=office_settings.contact_phone)


def office_logo(office_settings: OfficeSettings) -> tuple[bytes, str] | None:
    """The office's logo file and its image subtype (``png``), or None when there is none (or it is gone)."""
    if not office_settings.logo:
        return None
    extension = office_settings.logo.name.rsplit(".", 1)[-1].lower()
    content_type = LOGO_CONTENT_TYPES.get(extension)
    if content_type is None:
        return None
    try:
        with office_settings.logo.open("rb") as handle:
            return handle.read(), content_type.split("/", 1)[1]
    except OSError:
        logger.warning("the office's logo %s cannot be read", office_settings.logo.name)
        return None
