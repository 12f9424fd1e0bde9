from decimal import Decimal

from clients.messaging import gsm
from clients.messaging.content import format_amount


def test_polish_letters_are_transliterated_to_gsm7():
    sms = gsm.prepare("Zażółć gęślą jaźń. ZAŻÓŁĆ GĘŚLĄ JAŹŃ")
    assert sms.text == "Zazolc gesla jazn. ZAZOLC GESLA JAZN"
    assert sms.encoding == "gsm7" and sms.segments == 1


def test_a_non_breaking_space_never_sneaks_in():
    for text in ("1\u00a0000,00 zł", "1\u202f000,00 zł", "1\u2007000,00\u200b zł"):
        sms = gsm.prepare(text)
        assert sms.text == "1 000,00 zl"
        assert sms.encoding == "gsm7"
        # also when the office chose Unicode: only the letters stay
        assert gsm.prepare(text, unicode=True).text == "1 000,00 zł"


def test_typographic_punctuation_becomes_plain():
    assert gsm.to_gsm7("„Biuro” – rozliczenie… 10 → 20") == '"Biuro" - rozliczenie... 10 -> 20'
    assert gsm.to_gsm7("emoji 😀 and ☃") == "emoji ? and ?"


def test_segment_counts():
    assert gsm.measure("a" * 160).segments == 1
    assert gsm.measure("a" * 161).segments == 2
    assert gsm.measure("a" * 306).segments == 2
    assert gsm.measure("a" * 307).segments == 3
    # the extension table costs two septets
    assert gsm.measure("€" * 80).units == 160 and gsm.measure("€" * 81).segments == 2
    # one non-GSM character switches to UCS-2: 70 per part, 67 when split
    assert gsm.measure("ą" + "a" * 69).segments == 1
    assert gsm.measure("ą" + "a" * 70) == gsm.SmsText("ą" + "a" * 70, "ucs2", 2, 71)
    assert gsm.measure("ą" * 134).segments == 2 and gsm.measure("ą" * 135).segments == 3


def test_unicode_option_keeps_letters_at_unicode_price():
    text = "Firma Żółw: VAT-7 1 234,50 zł do 25.02.2026"
    plain, unicode = gsm.prepare(text), gsm.prepare(text, unicode=True)
    assert plain.text == "Firma Zolw: VAT-7 1 234,50 zl do 25.02.2026" and plain.encoding == "gsm7"
    assert unicode.text == text and unicode.encoding == "ucs2"


def test_amounts_use_plain_spaces():
    assert format_amount(Decimal("1234567.5")) == "1 234 567,50 zł"
    assert format_amount(Decimal("-12.00")) == "-12,00 zł"
    assert format_amount(Decimal("0")) == "0,00 zł"
