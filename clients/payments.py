"""How a client pays: accounts, transfer titles and payment QR codes.

Pure functions, no models and no database: views, PDFs, e-mails and SMS all
call these so the paying rules are written once (docs/glossary.md, "Paying").

Sources (checked while writing; keep them in mind when changing a rule):

- Micro-account (*mikrorachunek podatkowy*): ``PL LK 1010 0071 222Y`` + the
  identifier padded to 12 digits; Y = 1 for PESEL (PESEL + "0"), Y = 2 for NIP
  (NIP + "00"); LK are the IBAN mod-97 check digits. Official generator:
  podatki.gov.pl "Generator mikrorachunku podatkowego"; independent public test
  vector NIP 7831916366 -> 56101000712222783191636600 (docs/glossary.md).
- Tax transfer title: the format of the *polecenie przelewu na rachunek
  organu podatkowego* carried in the 4 x 35 characters of a domestic transfer's
  title (KIR Elixir; forms by the Minister of Finance's regulation of
  23 February 2017 on the form of a cash payment / transfer order to a tax
  office's account)::

      /TI/<identifier type><identifier>/OKR/<period>/SFP/<form symbol>/TXT/<free text>

  identifier types N = NIP, R = REGON, P = PESEL, 1 = ID card, 2 = passport,
  3 = other identity document (identifier at most 14 characters); period
  ``RR`` + type + number: ``26M10`` (month 10 of 2026), ``26K03`` (3rd quarter),
  ``26P01`` (half-year), ``26R`` (year); form symbol at most 7 characters, from
  the Minister of Finance's list of *symbole formularzy / tytułów płatności*
  (annex 4 to the announcement of 14 January 2019, e.g. VAT-7, VAT-7K, PIT-4R,
  PIT-8AR, PIT-36, PIT-36L, PPL, CIT-8); free text (*identyfikacja
  zobowiązania*) at most 40 characters.
- Payment QR code: Związek Banków Polskich, "Rekomendacja dotycząca
  kodu dwuwymiarowego (2D) umożliwiającego realizację polecenia przelewu"
  (2013-12-03). Nine fields separated by ``|``: recipient NIP (10 digits,
  optional), country code (2 letters), account (26 digits), amount in grosze
  (6 digits, zero-padded), recipient name (at most 20 characters), title (at
  most 32 characters), then three reserved fields (direct-debit id <= 20,
  Invoobill id <= 12, reserved <= 24) which we leave empty; at most 160
  characters in all, UTF-8. Cross-checked with two public implementations
  (github.com/MarcinOrlowski/bank-qrcode-formatter ``src/Builder.php`` and
  github.com/IonBazan/pl-qr-payment ``src/QrPayment.php``), which agree.
- ZUS: since 2018 every payer pays all contributions in one transfer to their
  own NRS account assigned by ZUS; ZUS splits the money itself, so the title
  carries no required structure (we use a plain descriptive one).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

import segno
from django.utils.translation import gettext as _
from stdnum import iban
from stdnum.exceptions import ValidationError as StdnumError
from stdnum.pl import nip as stdnum_nip
from stdnum.pl import pesel as stdnum_pesel

# --- Accounts -----------------------------------------------------------------

#: NBP's sort code and the fixed prefix of every micro-account.
MICROACCOUNT_PREFIX = "10100071222"
MICROACCOUNT_KIND_PESEL = "1"
MICROACCOUNT_KIND_NIP = "2"


def _digits(value: str | int | None) -> str:
    return re.sub(r"[\s-]", "", str(value or ""))


def validate_nip(value: str | int | None) -> str:
    """Return the NIP as 10 digits or raise ValueError saying what is wrong."""
    number = _digits(value)
    if number.upper().startswith("PL"):
        number = number[2:]
    try:
        if not number.strip("0"):  # 0000000000 passes the checksum but is nobody's NIP
            raise StdnumError()
        return stdnum_nip.validate(number)
    except StdnumError as error:
        raise ValueError(_("“%(value)s” is not a valid NIP.") % {"value": value}) from error


def validate_pesel(value: str | int | None) -> str:
    """Return the PESEL as 11 digits or raise ValueError saying what is wrong."""
    number = _digits(value)
    try:
        if not number.strip("0"):
            raise StdnumError()
        return stdnum_pesel.validate(number)
    except StdnumError as error:
        raise ValueError(_("“%(value)s” is not a valid PESEL.") % {"value": value}) from error


def _nrb_check_digits(bban: str) -> str:
    """The two NRB check digits of a 24-digit Polish BBAN (IBAN mod-97, country PL)."""
    return iban.calc_check_digits("PL00" + bban)


def tax_microaccount(nip: str | None = None, pesel: str | None = None) -> str:
    """The payer's *mikrorachunek podatkowy* as 26 digits (NRB).

    Companies and sole traders with a NIP pay to the NIP account; people
    without a NIP to the PESEL one. Exactly one identifier must be given and it
    is validated on its own first: a mistyped PESEL would still produce an
    account with correct check digits, just someone else's (or nobody's).
    """
    if bool(nip) == bool(pesel):
        raise ValueError(_("Give either a NIP or a PESEL to derive a tax micro-account."))
    if nip:
        bban = MICROACCOUNT_PREFIX + MICROACCOUNT_KIND_NIP + validate_nip(nip) + "00"
    else:
        bban = MICROACCOUNT_PREFIX + MICROACCOUNT_KIND_PESEL + validate_pesel(pesel) + "0"
    account = _nrb_check_digits(bban) + bban
    assert len(account) == 26, account
    return account


def normalize_account(value: str) -> str:
    """A Polish account number (NRB, optionally as a PL IBAN, spaces allowed) as 26 digits.

    Raises ValueError when it is not 26 digits or its check digits are wrong.
    """
    number = re.sub(r"\s", "", str(value or "")).upper()
    if number.startswith("PL"):
        number = number[2:]
    if not re.fullmatch(r"\d{26}", number):
        raise ValueError(_("An account number has 26 digits."))
    if not iban.is_valid("PL" + number):
        raise ValueError(_("The account number “%(value)s” has wrong check digits.") % {"value": value})
    return number


def format_account(account: str, *, as_iban: bool = False) -> str:
    """For display: ``56 1010 0071 2222 7831 9163 6600`` (NRB) or ``PL56 1010 … 6600`` (IBAN)."""
    number = normalize_account(account)
    if as_iban:
        full = "PL" + number
        return " ".join(full[i:i + 4] for i in range(0, len(full), 4))
    return number[:2] + " " + " ".join(number[i:i + 4] for i in range(2, 26, 4))


# --- Periods ------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """A settlement month (``YYYY-MM``, as figures are keyed)."""

    year: int
    month: int

    @classmethod
    def parse(cls, value: str | date | Period) -> Period:
        if isinstance(value, Period):
            return value
        if isinstance(value, date):
            return cls(value.year, value.month)
        match = re.fullmatch(r"(\d{4})-(\d{2})", str(value or "").strip())
        if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 2000:
            raise ValueError(_("“%(value)s” is not a period (YYYY-MM).") % {"value": value})
        return cls(int(match.group(1)), int(match.group(2)))

    @property
    def quarter(self) -> int:
        return (self.month - 1) // 3 + 1

    def tax_code(self, quarterly: bool = False) -> str:
        """``26M10`` for October 2026; with ``quarterly`` ``26K04`` (the quarter holding the month)."""
        if quarterly:
            return f"{self.year % 100:02d}K{self.quarter:02d}"
        return f"{self.year % 100:02d}M{self.month:02d}"

    def label(self, quarterly: bool = False) -> str:
        """Human text for a title: ``10.2026``, or ``4 kw. 2026`` for a quarter (Polish: titles go to Polish banks)."""
        if quarterly:
            return f"{self.quarter} kw. {self.year}"
        return f"{self.month:02d}.{self.year}"


# --- Tax transfer titles ------------------------------------------------------

#: The agent API's tax types -> the form symbol (*symbol formularza*) of the payment.
FORM_SYMBOLS = {
    "VAT-7": "VAT-7",
    "VAT-7K": "VAT-7K",
    "PIT-4": "PIT-4R",
    "PIT-5": "PIT-36",
    "PIT-5L": "PIT-36L",
    "PIT-28": "PPL",
    "PIT-8A": "PIT-8AR",
    "CIT": "CIT-8",
}
#: Tax types whose period is always a quarter.
QUARTERLY_TAX_TYPES = frozenset({"VAT-7K"})
#: Short words for the free-text part of the title.
_TITLE_WORDS = {"VAT-7": "VAT", "VAT-7K": "VAT", "PIT-4": "PIT-4", "PIT-5": "PIT-5", "PIT-5L": "PIT-5L",
                "PIT-28": "ryczałt", "PIT-8A": "PIT-8A", "CIT": "CIT"}

TITLE_LINE_LENGTH = 35
TITLE_MAX_LINES = 4
TITLE_MAX_LENGTH = TITLE_LINE_LENGTH * TITLE_MAX_LINES
TITLE_TEXT_MAX_LENGTH = 40
IDENTIFIER_TYPE_NIP = "N"
IDENTIFIER_TYPE_PESEL = "P"


def _form_symbol(tax_type: str) -> str:
    try:
        return FORM_SYMBOLS[tax_type]
    except KeyError:
        raise ValueError(_("Unknown tax type “%(value)s”.") % {"value": tax_type}) from None


def _is_quarterly(tax_type: str, quarterly: bool | None) -> bool:
    if tax_type in QUARTERLY_TAX_TYPES:
        if quarterly is False:
            raise ValueError(_("%(tax)s is always settled per quarter.") % {"tax": tax_type})
        return True
    if tax_type == "VAT-7" and quarterly:
        raise ValueError(_("Quarterly VAT is paid as VAT-7K."))
    return bool(quarterly)


def _clean_title_text(text: str) -> str:
    # "/" starts a new field in the structured title; control characters break bank files.
    text = re.sub(r"[/\x00-\x1f\x7f]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def tax_transfer_title(tax_type: str, period: str | date | Period, *, nip: str | None = None,
                       pesel: str | None = None, quarterly: bool | None = None, text: str | None = None) -> str:
    """The structured title of a tax transfer to the micro-account.

    ``tax_transfer_title("VAT-7", "2026-10", nip="5260250995")`` →
    ``/TI/N5260250995/OKR/26M10/SFP/VAT-7/TXT/VAT 10.2026``.

    ``quarterly`` makes a PIT/CIT advance a quarterly one (period ``26K03``);
    VAT-7K is always quarterly (the period may name any month of the quarter).
    ``text`` replaces the free-text part (cut to 40 characters). The result
    always fits the 4 x 35 characters of a transfer title.
    """
    symbol = _form_symbol(tax_type)
    is_quarterly = _is_quarterly(tax_type, quarterly)
    if bool(nip) == bool(pesel):
        raise ValueError(_("Give either a NIP or a PESEL for a tax transfer title."))
    identifier = IDENTIFIER_TYPE_NIP + validate_nip(nip) if nip else IDENTIFIER_TYPE_PESEL + validate_pesel(pesel)
    parsed = Period.parse(period)
    if text is None:
        text = f"{_TITLE_WORDS[tax_type]} {parsed.label(is_quarterly)}"
    text = _clean_title_text(text)[:TITLE_TEXT_MAX_LENGTH].rstrip()
    title = f"/TI/{identifier}/OKR/{parsed.tax_code(is_quarterly)}/SFP/{symbol}"
    if text:
        title += f"/TXT/{text}"
    assert len(title) <= TITLE_MAX_LENGTH, title  # 4+12+5+5+5+7+5+40 = 83 at most
    return title


def tax_qr_title(tax_type: str, period: str | date | Period, *, quarterly: bool | None = None) -> str:
    """A shortened tax title for the QR code, whose title holds only 32 characters.

    ``/OKR/26M10/SFP/VAT-7``: period and form symbol, without the identifier
    (``/TI/``), which the micro-account number itself already carries. The
    full :func:`tax_transfer_title` is what we show for copying.
    """
    symbol = _form_symbol(tax_type)
    return f"/OKR/{Period.parse(period).tax_code(_is_quarterly(tax_type, quarterly))}/SFP/{symbol}"


def title_lines(title: str) -> list[str]:
    """Split a transfer title into the at most four 35-character lines of a paper form or bank file."""
    if len(title) > TITLE_MAX_LENGTH:
        raise ValueError(_("A transfer title holds at most %(max)d characters.") % {"max": TITLE_MAX_LENGTH})
    return [title[i:i + TITLE_LINE_LENGTH] for i in range(0, len(title), TITLE_LINE_LENGTH)] or [""]


# --- ZUS --------------------------------------------------------------------------

ZUS_RECIPIENT_NAME = "ZUS"
TAX_RECIPIENT_NAME = "Urząd Skarbowy"


#: Digits 3–13 of every NRS: NBP's sort code of ZUS's accounts (60000002) and "026".
NRS_ZUS_PART = "60000002026"


def validate_zus_account(value: str, *, nip: str | None) -> str:
    """The payer's ZUS contribution account (NRS) as 26 digits, or ValueError saying exactly what is wrong.

    NRS = 2 check digits + ``60000002026`` + 3 digits of the declaration range + the payer's 10-digit NIP
    (docs/glossary.md, "NRS"), and the IBAN mod-97 check holds. ``nip`` is the payer's NIP: the last ten digits
    must be it — a valid-looking NRS of another payer would send the money to someone else's account, so
    without the payer's NIP we cannot accept one.
    """
    number = re.sub(r"\s", "", str(value or "")).upper()
    if number.startswith("PL"):
        number = number[2:]
    if not re.fullmatch(r"\d{26}", number):
        raise ValueError(_("A ZUS contribution account (NRS) has 26 digits."))
    if number[2:13] != NRS_ZUS_PART:
        raise ValueError(_("This is not a ZUS contribution account: digits 3–13 of an NRS are always %(zus)s.")
                         % {"zus": NRS_ZUS_PART})
    if not iban.is_valid("PL" + number):
        raise ValueError(_("The ZUS account number “%(value)s” has wrong check digits: check it for a typo.")
                         % {"value": value})
    if not nip:
        raise ValueError(_("A ZUS account ends with the payer’s NIP, and this payer has no NIP: enter the NIP "
                           "first."))
    payer_nip = validate_nip(nip)
    if number[16:] != payer_nip:
        raise ValueError(_("A ZUS account ends with the payer’s NIP (%(nip)s); this one ends with %(tail)s.")
                         % {"nip": payer_nip, "tail": number[16:]})
    return number


def zus_transfer_title(period: str | date | Period) -> str:
    """One transfer of all contributions for the month to the payer's NRS account: ``Składki ZUS 10.2026``.

    ZUS identifies the payer by the NRS account and splits the payment itself,
    so no structure is required; this plain title also fits the QR code's 32 characters.
    """
    return f"Składki ZUS {Period.parse(period).label()}"


# --- Payment QR code (ZBP 2D) -------------------------------------------------

QR_FIELD_COUNT = 9
QR_SEPARATOR = "|"
QR_NAME_MAX_LENGTH = 20
QR_TITLE_MAX_LENGTH = 32
QR_AMOUNT_DIGITS = 6
QR_MAX_AMOUNT = Decimal("9999.99")
QR_MAX_LENGTH = 160


def _grosze(amount: Decimal | int | str) -> int:
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise ValueError(_("“%(value)s” is not an amount.") % {"value": amount}) from None
    if not value.is_finite() or value != value.quantize(Decimal("0.01")):
        raise ValueError(_("An amount has at most two decimal places."))
    return int(value * 100)


def qr_amount_fits(amount: Decimal | int | str) -> bool:
    """Whether a payment of this amount can be put into a QR code (more than 0, at most 9,999.99 PLN)."""
    return 0 < _grosze(amount) <= int(QR_MAX_AMOUNT * 100)


def _qr_text(value: str) -> str:
    # The separator cannot appear inside a field; line breaks and controls are not text.
    return re.sub(r"\s+", " ", re.sub(r"[|\x00-\x1f\x7f]", " ", value or "")).strip()


def payment_qr_payload(*, account: str, amount: Decimal | int | str, name: str, title: str,
                       nip: str | None = None, country: str = "PL") -> str:
    """The text of a ZBP two-dimensional payment code: ``NIP|PL|account|grosze|name|title|||``.

    Rules (see the module docstring for the source):

    - ``account`` must be a valid Polish NRB (spaces / ``PL`` prefix allowed);
    - ``nip`` is the *recipient's* NIP, optional (validated when given);
    - ``amount`` is in PLN with at most two decimals, written as 6 digits of
      grosze; amounts of 0 or less, or over 9,999.99 PLN, do not fit the field
      and raise ValueError: check :func:`qr_amount_fits` and show no code then
      (the account and title are still shown for copying);
    - ``name`` is cut to 20 characters (a label only; banks show it);
    - ``title`` longer than 32 characters raises ValueError: a cut title could
      misdirect a payment (use :func:`tax_qr_title` for taxes);
    - Polish letters are kept (the code is UTF-8); ``|`` and control characters
      become spaces.
    """
    number = normalize_account(account)
    recipient_nip = validate_nip(nip) if nip else ""
    if not re.fullmatch(r"[A-Z]{2}", country or ""):
        raise ValueError(_("A country code has two capital letters."))
    grosze = _grosze(amount)
    if grosze <= 0:
        raise ValueError(_("A payment code needs an amount greater than zero."))
    if grosze > int(QR_MAX_AMOUNT * 100):
        raise ValueError(_("A payment code holds amounts up to %(max)s PLN.") % {"max": QR_MAX_AMOUNT})
    recipient = _qr_text(name)[:QR_NAME_MAX_LENGTH].rstrip()
    if not recipient:
        raise ValueError(_("A payment code needs the recipient's name."))
    payment_title = _qr_text(title)
    if not payment_title:
        raise ValueError(_("A payment code needs a title."))
    if len(payment_title) > QR_TITLE_MAX_LENGTH:
        raise ValueError(_("A payment code's title holds at most %(max)d characters.") % {"max": QR_TITLE_MAX_LENGTH})
    fields = [recipient_nip, country, number, f"{grosze:0{QR_AMOUNT_DIGITS}d}", recipient, payment_title, "", "", ""]
    payload = QR_SEPARATOR.join(fields)
    assert len(fields) == QR_FIELD_COUNT and len(payload) <= QR_MAX_LENGTH, payload
    return payload


def payment_qr_code(payload: str):
    """The segno QR code of a payload: byte mode in UTF-8 (as ZBP asks), error correction level M."""
    # Without mode="byte" segno could pick Kanji or ISO-8859-1 for some texts; banks expect UTF-8 bytes.
    return segno.make_qr(payload, error="m", mode="byte", encoding="utf-8")


def payment_qr_svg(payload: str, *, scale: int = 4, title: str | None = None) -> str:
    """The QR code of a payload as an inline SVG document (for pages and PDFs)."""
    buffer = io.BytesIO()
    payment_qr_code(payload).save(buffer, kind="svg", scale=scale, border=4, xmldecl=False, svgns=True,
                                  title=title, svgclass="payment-qr", lineclass=None)
    return buffer.getvalue().decode("utf-8")
