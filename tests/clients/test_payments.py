"""The paying rules: micro-accounts, tax transfer titles, ZUS titles and the ZBP payment QR code.

Expected values come from outside our code: the public micro-account test vector
(docs/glossary.md), python-stdnum's IBAN check, a mod-97 computed here by
hand, and a real QR decoder (zxing-cpp) reading the image we produce.
"""

import io
from decimal import Decimal
from xml.etree import ElementTree

import pytest
import zxingcpp
from PIL import Image
from stdnum import iban

from clients.payments import (
    FORM_SYMBOLS,
    QR_TITLE_MAX_LENGTH,
    TAX_RECIPIENT_NAME,
    TITLE_LINE_LENGTH,
    ZUS_RECIPIENT_NAME,
    format_account,
    normalize_account,
    payment_qr_code,
    payment_qr_payload,
    payment_qr_svg,
    qr_amount_fits,
    tax_microaccount,
    tax_qr_title,
    tax_transfer_title,
    title_lines,
    zus_transfer_title,
)
from clients.vocabulary import TAX_TYPES

NIP = "5260250995"
VECTOR_NIP = "7831916366"
VECTOR_ACCOUNT = "56101000712222783191636600"
PESEL = "44051401359"  # a well-known valid example PESEL
BAD_PESEL = "44051401358"  # last digit wrong


def _nrb_by_hand(bban: str) -> str:
    """NRB check digits the long way: BBAN + "PL" as digits (2521) + "00", mod 97."""
    return f"{98 - int(bban + '252100') % 97:02d}" + bban


# --- Micro-account ------------------------------------------------------------


def test_microaccount_from_nip_matches_the_public_test_vector():
    assert tax_microaccount(nip=VECTOR_NIP) == VECTOR_ACCOUNT
    assert iban.validate("PL" + VECTOR_ACCOUNT)


def test_microaccount_accepts_nip_written_with_dashes_or_pl_prefix():
    assert tax_microaccount(nip="783-191-63-66") == VECTOR_ACCOUNT
    assert tax_microaccount(nip="PL7831916366") == VECTOR_ACCOUNT


def test_microaccount_from_pesel_has_kind_1_and_a_trailing_zero():
    account = tax_microaccount(pesel=PESEL)
    assert account == _nrb_by_hand("10100071222" + "1" + PESEL + "0")
    assert account[2:14] == "101000712221"
    assert iban.is_valid("PL" + account)


def test_microaccount_from_nip_has_kind_2_and_two_trailing_zeros():
    account = tax_microaccount(nip=NIP)
    assert account == _nrb_by_hand("10100071222" + "2" + NIP + "00")
    assert iban.is_valid("PL" + account)


def test_a_bad_pesel_is_refused_although_its_account_would_pass_mod_97():
    naive = _nrb_by_hand("10100071222" + "1" + BAD_PESEL + "0")
    assert iban.is_valid("PL" + naive)  # why the identifier must be checked on its own
    with pytest.raises(ValueError, match="PESEL"):
        tax_microaccount(pesel=BAD_PESEL)


@pytest.mark.parametrize("nip", ["5260250994", "526025099", "52602509950", "abcdefghij"])
def test_a_bad_nip_is_refused(nip):
    with pytest.raises(ValueError, match="NIP"):
        tax_microaccount(nip=nip)


@pytest.mark.parametrize("kwargs", [{}, {"nip": NIP, "pesel": PESEL}, {"nip": "", "pesel": None}])
def test_exactly_one_identifier_is_needed(kwargs):
    with pytest.raises(ValueError, match="either"):
        tax_microaccount(**kwargs)


def test_accounts_are_formatted_for_display():
    assert format_account(VECTOR_ACCOUNT) == "56 1010 0071 2222 7831 9163 6600"
    assert format_account(VECTOR_ACCOUNT, as_iban=True) == "PL56 1010 0071 2222 7831 9163 6600"
    assert format_account("PL56 1010 0071 2222 7831 9163 6600") == "56 1010 0071 2222 7831 9163 6600"


@pytest.mark.parametrize("value, message", [
    ("5610100071222278319163660", "26 digits"),
    ("57101000712222783191636600", "check digits"),
    ("DE56101000712222783191636600", "26 digits"),
])
def test_bad_account_numbers_are_refused(value, message):
    with pytest.raises(ValueError, match=message):
        normalize_account(value)


# --- Tax transfer titles --------------------------------------------------------

EVERY_TAX_TYPE = [
    ("VAT-7", "2026-10", None, "/TI/N5260250995/OKR/26M10/SFP/VAT-7/TXT/VAT 10.2026"),
    ("VAT-7K", "2026-09", None, "/TI/N5260250995/OKR/26K03/SFP/VAT-7K/TXT/VAT 3 kw. 2026"),
    ("PIT-4", "2026-01", None, "/TI/N5260250995/OKR/26M01/SFP/PIT-4R/TXT/PIT-4 01.2026"),
    ("PIT-5", "2026-02", None, "/TI/N5260250995/OKR/26M02/SFP/PIT-36/TXT/PIT-5 02.2026"),
    ("PIT-5L", "2026-03", None, "/TI/N5260250995/OKR/26M03/SFP/PIT-36L/TXT/PIT-5L 03.2026"),
    ("PIT-28", "2026-04", None, "/TI/N5260250995/OKR/26M04/SFP/PPL/TXT/ryczałt 04.2026"),
    ("PIT-8A", "2026-05", None, "/TI/N5260250995/OKR/26M05/SFP/PIT-8AR/TXT/PIT-8A 05.2026"),
    ("CIT", "2026-12", None, "/TI/N5260250995/OKR/26M12/SFP/CIT-8/TXT/CIT 12.2026"),
    ("CIT", "2026-06", True, "/TI/N5260250995/OKR/26K02/SFP/CIT-8/TXT/CIT 2 kw. 2026"),
    ("PIT-5L", "2027-11", True, "/TI/N5260250995/OKR/27K04/SFP/PIT-36L/TXT/PIT-5L 4 kw. 2027"),
]


@pytest.mark.parametrize("tax_type, period, quarterly, expected", EVERY_TAX_TYPE)
def test_every_tax_type_gets_its_structured_title(tax_type, period, quarterly, expected):
    title = tax_transfer_title(tax_type, period, nip=NIP, quarterly=quarterly)
    assert title == expected
    assert len(title) <= 4 * TITLE_LINE_LENGTH
    assert all(len(line) <= TITLE_LINE_LENGTH for line in title_lines(title))
    assert "".join(title_lines(title)) == title


def test_the_table_covers_every_tax_type_of_the_agent_api():
    assert set(TAX_TYPES) == {"VAT-7", "VAT-7K", "PIT-4", "PIT-5", "PIT-5L", "PIT-28", "PIT-8A", "CIT"}
    assert {tax for tax, *_ in EVERY_TAX_TYPE} == set(TAX_TYPES)
    assert all(len(symbol) <= 7 for symbol in FORM_SYMBOLS.values())


def test_a_person_without_nip_is_identified_by_pesel():
    assert tax_transfer_title("PIT-28", "2026-10", pesel=PESEL) == (
        "/TI/P44051401359/OKR/26M10/SFP/PPL/TXT/ryczałt 10.2026")


def test_any_month_of_the_quarter_names_that_quarter():
    titles = {tax_transfer_title("VAT-7K", f"2026-{month:02d}", nip=NIP) for month in (10, 11, 12)}
    assert len(titles) == 1 and "/OKR/26K04/" in titles.pop()


def test_free_text_is_cleaned_and_cut_to_40_characters():
    title = tax_transfer_title("VAT-7", "2026-10", nip=NIP, text="korekta/zaległość\n" + "x" * 60)
    text = title.split("/TXT/")[1]
    assert text.startswith("korekta zaległość x") and len(text) == 40
    assert tax_transfer_title("VAT-7", "2026-10", nip=NIP, text="  ").endswith("/SFP/VAT-7")


@pytest.mark.parametrize("call, message", [
    (lambda: tax_transfer_title("VAT-8", "2026-10", nip=NIP), "Unknown tax type"),
    (lambda: tax_transfer_title("VAT-7K", "2026-10", nip=NIP, quarterly=False), "quarter"),
    (lambda: tax_transfer_title("VAT-7", "2026-10", nip=NIP, quarterly=True), "VAT-7K"),
    (lambda: tax_transfer_title("VAT-7", "2026-13", nip=NIP), "period"),
    (lambda: tax_transfer_title("VAT-7", "10.2026", nip=NIP), "period"),
    (lambda: tax_transfer_title("VAT-7", "2026-10", nip="1234567890"), "NIP"),
    (lambda: tax_transfer_title("PIT-5", "2026-10", pesel=BAD_PESEL), "PESEL"),
    (lambda: tax_transfer_title("PIT-5", "2026-10"), "either"),
])
def test_bad_title_input_is_refused_with_a_reason(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_titles_longer_than_four_lines_are_refused():
    with pytest.raises(ValueError, match="140"):
        title_lines("x" * 141)


def test_zus_title_is_plain_and_fits_the_qr_code():
    assert zus_transfer_title("2026-01") == "Składki ZUS 01.2026"
    assert len(zus_transfer_title("2026-12")) <= QR_TITLE_MAX_LENGTH


# --- ZBP payment QR code --------------------------------------------------------


def test_tax_payment_payload_is_exact():
    payload = payment_qr_payload(account=VECTOR_ACCOUNT, amount=Decimal("1234.56"), name=TAX_RECIPIENT_NAME,
                                 title=tax_qr_title("VAT-7", "2026-10"))
    assert payload == "|PL|56101000712222783191636600|123456|Urząd Skarbowy|/OKR/26M10/SFP/VAT-7|||"


def test_payload_has_nine_fields_and_the_recipient_nip_first():
    payload = payment_qr_payload(account="PL56 1010 0071 2222 7831 9163 6600", amount="10", name="Biuro Alfa",
                                 title="Faktura 1/2026", nip="526-025-09-95")
    fields = payload.split("|")
    assert len(fields) == 9 and payload.count("|") == 8
    assert fields == [NIP, "PL", VECTOR_ACCOUNT, "001000", "Biuro Alfa", "Faktura 1/2026", "", "", ""]


@pytest.mark.parametrize("amount, grosze", [
    (Decimal("0.01"), "000001"),
    (Decimal("1"), "000100"),
    ("12.3", "001230"),
    (Decimal("2359.30"), "235930"),
    (Decimal("9999.99"), "999999"),
])
def test_amounts_are_six_digits_of_grosze(amount, grosze):
    payload = payment_qr_payload(account=VECTOR_ACCOUNT, amount=amount, name="ZUS", title="x")
    assert payload.split("|")[3] == grosze
    assert qr_amount_fits(amount)


@pytest.mark.parametrize("amount, message", [
    (Decimal("10000.00"), "9999.99"),
    (Decimal("123456.78"), "9999.99"),
    (Decimal("0"), "greater than zero"),
    (Decimal("-15.00"), "greater than zero"),
    (Decimal("1.005"), "two decimal"),
    ("abc", "not an amount"),
])
def test_amounts_that_do_not_fit_are_refused(amount, message):
    with pytest.raises(ValueError, match=message):
        payment_qr_payload(account=VECTOR_ACCOUNT, amount=amount, name="ZUS", title="x")


def test_qr_amount_fits_tells_the_view_when_to_show_no_code():
    assert not qr_amount_fits(Decimal("10000"))
    assert not qr_amount_fits(Decimal("-1"))
    assert not qr_amount_fits(0)


def test_the_name_is_cut_to_20_characters_counting_polish_letters_once():
    payload = payment_qr_payload(account=VECTOR_ACCOUNT, amount=1, name="Zakład Ubezpieczeń Społecznych",
                                 title="Składki ZUS 10.2026")
    name = payload.split("|")[4]
    assert name == "Zakład Ubezpieczeń S" and len(name) == 20


def test_a_title_over_32_characters_is_refused_not_cut():
    full = tax_transfer_title("VAT-7", "2026-10", nip=NIP)
    with pytest.raises(ValueError, match="32"):
        payment_qr_payload(account=VECTOR_ACCOUNT, amount=1, name=TAX_RECIPIENT_NAME, title=full)
    exactly_32 = "x" * 32
    assert payment_qr_payload(account=VECTOR_ACCOUNT, amount=1, name="a", title=exactly_32).split("|")[5] == exactly_32


@pytest.mark.parametrize("tax_type", TAX_TYPES)
def test_every_tax_qr_title_fits(tax_type):
    title = tax_qr_title(tax_type, "2026-10")
    assert len(title) <= QR_TITLE_MAX_LENGTH
    assert title.endswith("/SFP/" + FORM_SYMBOLS[tax_type])


def test_separators_and_line_breaks_cannot_break_the_fields():
    payload = payment_qr_payload(account=VECTOR_ACCOUNT, amount=1, name="A|B", title="line1\nline2|x")
    assert payload.split("|")[4:6] == ["A B", "line1 line2 x"]


@pytest.mark.parametrize("kwargs, message", [
    ({"account": "57101000712222783191636600"}, "check digits"),
    ({"nip": "1234567890"}, "NIP"),
    ({"name": "  "}, "name"),
    ({"title": "|"}, "title"),
    ({"country": "pl"}, "country"),
])
def test_bad_payload_input_is_refused(kwargs, message):
    arguments = {"account": VECTOR_ACCOUNT, "amount": 1, "name": ZUS_RECIPIENT_NAME, "title": "x", **kwargs}
    with pytest.raises(ValueError, match=message):
        payment_qr_payload(**arguments)


def test_a_banking_app_reads_back_exactly_the_payload_polish_letters_included():
    payload = payment_qr_payload(account=VECTOR_ACCOUNT, amount=Decimal("2359.30"), name="Zażółć Gęślą Jaźń",
                                 title=zus_transfer_title("2026-10"), nip=NIP)
    png = io.BytesIO()
    payment_qr_code(payload).save(png, kind="png", scale=4, border=4)  # the code payment_qr_svg draws, as pixels
    decoded = zxingcpp.read_barcodes(Image.open(io.BytesIO(png.getvalue())))
    assert [result.text for result in decoded] == [payload]
    assert decoded[0].format == zxingcpp.BarcodeFormat.QRCode


def test_the_svg_is_a_standalone_inline_svg():
    payload = payment_qr_payload(account=VECTOR_ACCOUNT, amount=1, name="ZUS", title="x")
    svg = payment_qr_svg(payload, title="Kod płatności")
    assert not svg.startswith("<?xml")
    root = ElementTree.fromstring(svg)
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    assert root.get("class") == "payment-qr"
    assert root.find("{http://www.w3.org/2000/svg}path") is not None
    assert root.find("{http://www.w3.org/2000/svg}title").text == "Kod płatności"
