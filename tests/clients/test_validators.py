import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from clients.validators import normalize_nip, normalize_pesel, normalize_phone, normalize_regon


@pytest.mark.parametrize("raw", ["5260250995", "526-025-09-95", " 526 025 09 95 ", "PL5260250995", "pl 526-025-09-95"])
def test_nip_is_stored_as_ten_digits(raw):
    assert normalize_nip(raw) == "5260250995"


@pytest.mark.parametrize("raw", ["5260250994", "526025099", "52602509951", "", None, 5260250995, "526.025.09.95",
                                 "abcdefghij"])
def test_bad_nip_is_refused_with_code(raw):
    with pytest.raises(ValidationError) as caught:
        normalize_nip(raw)
    assert caught.value.code == "invalid_nip"


def test_nip_message_is_clear():
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        normalize_nip("1234567890")
    assert "1234567890" in caught.value.messages[0]
    assert "NIP" in caught.value.messages[0]


def test_pesel():
    assert normalize_pesel("44051401359") == "44051401359"
    assert normalize_pesel(" 4405 1401 359 ") == "44051401359"
    for bad in ("44051401358", "4405140135", "", None, "44133101359"):
        with pytest.raises(ValidationError) as caught:
            normalize_pesel(bad)
        assert caught.value.code == "invalid_pesel"


def test_pesel_is_never_echoed_in_the_message():
    with translation.override("en"), pytest.raises(ValidationError) as caught:
        normalize_pesel("44051401358")
    assert "44051401358" not in caught.value.messages[0]


def test_regon():
    assert normalize_regon("012100784") == "012100784"
    assert normalize_regon("12345678512347") == "12345678512347"
    assert normalize_regon("012-100-784") == "012100784"
    for bad in ("012100785", "1234", "", "12345678612342"):
        with pytest.raises(ValidationError) as caught:
            normalize_regon(bad)
        assert caught.value.code == "invalid_regon"


@pytest.mark.parametrize(("raw", "expected"), [
    ("+48 600 100 200", "+48600100200"),
    ("600100200", "+48600100200"),
    ("600-100-200", "+48600100200"),
    ("22 123 45 67", "+48221234567"),
    ("+44 20 7946 0958", "+442079460958"),
])
def test_phone_becomes_e164(raw, expected):
    assert normalize_phone(raw) == expected


@pytest.mark.parametrize("raw", ["123", "", None, "phone", "+48 600 100 200 300 400 500 600 700 800 900 1000"])
def test_bad_phone_is_refused_with_code(raw):
    with pytest.raises(ValidationError) as caught:
        normalize_phone(raw)
    assert caught.value.code == "invalid_phone"
