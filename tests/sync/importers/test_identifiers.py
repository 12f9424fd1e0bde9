"""All-zero identifiers pass the NIP/REGON checksums (every weight × 0 = 0) but are nobody's number.

They are refused like any invalid identifier everywhere one is read: the shared validators (panel forms, agent
API), the payment micro-account, and both importers.
"""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from clients.payments import tax_microaccount
from clients.validators import normalize_nip, normalize_pesel, normalize_regon
from sync.importers import ExchangeFileError, detect_and_parse

from .conftest import JPK_NS, dra_xml, jpk_xml, kedu_xml


@pytest.mark.parametrize(("normalise", "value", "code"), [
    (normalize_nip, "0000000000", "invalid_nip"), (normalize_nip, "000-000-00-00", "invalid_nip"),
    (normalize_nip, "PL0000000000", "invalid_nip"), (normalize_pesel, "00000000000", "invalid_pesel"),
    (normalize_regon, "000000000", "invalid_regon"), (normalize_regon, "00000000000000", "invalid_regon")])
def test_the_shared_validators_refuse_all_zeros(normalise, value, code):
    with pytest.raises(ValidationError) as caught:
        normalise(value)
    assert caught.value.code == code


def test_no_micro_account_for_an_all_zero_nip():
    with pytest.raises(ValueError, match="NIP"):
        tax_microaccount(nip="0000000000")


def test_jpk_with_an_all_zero_nip_is_refused_even_without_a_schema():
    # The production V7K(2) has no shipped schema, so only the importer's own NIP check stands in the way.
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(jpk_xml(ns=JPK_NS["V7K2P"], nip="0000000000"))
    assert caught.value.code == "invalid_field" and "0000000000" in caught.value.message
    # With a schema, its NIP pattern already refuses it, naming the element.
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(jpk_xml(ns=JPK_NS["V7M3"], month=3, nip="0000000000"))
    assert caught.value.code == "xsd_invalid" and "NIP" in caught.value.message


def test_kedu_payer_with_an_all_zero_nip_is_rejected_and_zero_regon_or_pesel_ignored():
    # KEDU's schema types a NIP as any 10-digit number: 0000000000 gets past it.
    data = kedu_xml(dra_xml(doc_id=1, nip="0000000000"), dra_xml(doc_id=2, nip="5260250995", pesel="00000000000"))
    result = detect_and_parse(data)
    assert [c.nip for c in result.batch.companies] == ["5260250995"]
    (error,) = result.batch.errors
    assert (error.pointer, error.code) == ("/ZUSDRA/0/II/p1", "invalid_nip")
    assert result.batch.companies[0].zus[0].payer_pesel is None
    regon = kedu_xml(dra_xml().replace("<p3>26211012346</p3>", "<p2>000000000</p2><p3>26211012346</p3>"))
    result = detect_and_parse(regon)
    assert result.batch.companies[0].regon == ""
    assert any("REGON" in w for w in result.warnings)
