"""SMS text: GSM-7 on purpose, segment counts.

One character outside the GSM 03.38 alphabet (``ą``, a non-breaking space, a typographic
dash) switches the whole SMS to UCS-2: 70 characters per part instead of 160, so up to
twice the price. Unless the office chose Unicode, text is transliterated to GSM-7; either
way invisible and exotic spaces become plain ones (Django's Polish number format uses a
non-breaking space as the thousands separator).
"""

import math
import unicodedata
from dataclasses import dataclass

GSM7_BASIC = frozenset(
    "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿"
    "abcdefghijklmnopqrstuvwxyzäöñüà"
)
# Each costs two septets (escape + character).
GSM7_EXTENSION = frozenset("^{}\\[~]|€\f")
GSM7 = GSM7_BASIC | GSM7_EXTENSION

# Characters that look like spaces or are invisible: always normalised, also in Unicode SMS.
_SPACES = {c: " " for c in "\u00a0\u2007\u202f\u2009\u200a\u2002\u2003\u2004\u2005\u2006\u2008\u205f\u3000\t"}
_INVISIBLE = {c: "" for c in "\u200b\u200c\u200d\u2060\ufeff\u00ad"}
_WHITESPACE = str.maketrans({**_SPACES, **_INVISIBLE})

_POLISH = dict(zip("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ", strict=True))
_PUNCTUATION = {
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2010": "-", "\u2011": "-",
    "\u201e": '"', "\u201d": '"', "\u201c": '"', "\u00ab": '"', "\u00bb": '"',
    "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u2026": "...", "\u2022": "*", "\u00b7": ".",
    "\u2192": "->", "\u2190": "<-",
}
_TO_GSM7 = str.maketrans({**_POLISH, **_PUNCTUATION})

GSM7_ENCODING = "gsm7"
UCS2_ENCODING = "ucs2"


@dataclass(frozen=True)
class SmsText:
    text: str
    encoding: str
    segments: int
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)


def normalise_whitespace(text: str) -> str:
    return text.translate(_WHITESPACE)


def to_gsm7(text: str) -> str:
    """The closest GSM-7 spelling: ``Zażółć gęślą jaźń`` → ``Zazolc gesla jazn``; the rest becomes ``?``."""
    text = normalise_whitespace(text).translate(_TO_GSM7)
    out = []
    for char in text:
        if char in GSM7:
            out.append(char)
            continue
        stripped = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        out.append(stripped if stripped and all(c in GSM7 for c in stripped) else "?")
    return "".join(out)


def is_gsm7(text: str) -> bool:
    return all(char in GSM7 for char in text)


def measure(text: str) -> SmsText:
    """Encoding and number of parts the network bills for ``text`` (as it is)."""
    if is_gsm7(text):
        units = sum(2 if char in GSM7_EXTENSION else 1 for char in text)
        segments = 1 if units <= 160 else math.ceil(units / 153)
        return SmsText(text, GSM7_ENCODING, segments, units)
    units = len(text.encode("utf-16-le")) // 2
    segments = 1 if units <= 70 else math.ceil(units / 67)
    return SmsText(text, UCS2_ENCODING, segments, units)


def prepare(text: str, *, unicode: bool = False) -> SmsText:
    """The SMS as it will be sent: transliterated to GSM-7 unless ``unicode``; spaces always normalised."""
    text = normalise_whitespace(text).strip()
    return measure(text if unicode else to_gsm7(text))
