"""JPK_V7M / JPK_V7K: every published example reproduces its values; variants, signs and periods."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sync.importers import ExchangeFileError, detect_and_parse

from .conftest import JPK_NS, SHARED_DATA, jpk_xml

EXAMPLES = sorted((SHARED_DATA / "jpk" / "examples").glob("*.xml")) if SHARED_DATA.is_dir() else []


def _expected(name: str) -> dict:
    """What each example holds, read off by hand (README: declaration totals are the author's test values)."""
    version = name.split("_")[1]  # v7m1, v7k2, …
    monthly = version.startswith("v7m")
    generation = version[-1]
    has_decl = "_deklaracja" in name
    has_sales = "sprzedaz" in name
    has_purchases = "zakupy" in name
    empty = "_empty_" in name
    return {
        "kind": "jpk_v7m" if monthly else "jpk_v7k",
        "variant": f"JPK_{version[:3].upper()}({generation})",
        "file_period": {"1": "2020-09", "2": "2022-02"}[generation],
        "vat": Decimal("124.00") if has_decl else None,
        "vat_period": ({"1": "2020-09", "2": "2022-02"}[generation] if monthly
                       else {"1": "2020-03", "2": "2022-03"}[generation]),  # V7K examples declare quarter 1
        "register": not empty and (has_sales or has_purchases),
        "sales_vat": Decimal("2189.50") if has_sales else Decimal("0.00"),
        "sales_rows": 38 if has_sales else 0,
        "purchase_vat": Decimal("2005.64") if has_purchases else Decimal("0.00"),
        "purchase_rows": (16 if generation == "1" else 15) if has_purchases else 0,
        "name": "Jan Kowaski" if "osoba_fizyczna" in name else "Firma rodzinna s.c.",
    }


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_every_example_reproduces_its_values(shared_data, path):
    expected = _expected(path.name)
    result = detect_and_parse(path.read_bytes(), filename=path.name)

    assert result.kind == expected["kind"]
    assert result.variant == expected["variant"]
    assert result.schema_validated, result.warnings
    batch = result.batch
    assert batch.program == "file_import"
    (company,) = batch.companies
    assert company.nip == "7018631981"
    assert company.name == expected["name"]
    # "jan.kowalski@mail.com," in the file: the stray comma is dropped, the address kept.
    assert company.email == "jan.kowalski@mail.com"
    assert company.tax_setup.vat == ("monthly" if expected["kind"] == "jpk_v7m" else "quarterly")

    if expected["vat"] is None:
        assert company.taxes == ()
    else:
        (tax,) = company.taxes
        assert tax.amount == expected["vat"]
        assert tax.type == ("VAT-7" if expected["kind"] == "jpk_v7m" else "VAT-7K")
        assert tax.period == expected["vat_period"]
        assert tax.label == "declaration"

    if not expected["register"]:
        assert company.statements == ()
    else:
        (statement,) = company.statements
        assert statement.period == expected["file_period"]
        assert statement.totals == {"sales_vat": expected["sales_vat"], "purchase_vat": expected["purchase_vat"]}
        # VAT register sums are not revenue or costs: those stay empty.
        assert statement.revenue is statement.costs is statement.income is None
        assert result.details["sales_rows"] == expected["sales_rows"]
        assert result.details["purchase_rows"] == expected["purchase_rows"]
        # The control sums agree with the rows in every example: no mismatch warning.
        assert not any("add up to" in w or "counts" in w for w in result.warnings)


def test_v7k_declaration_outside_the_quarters_last_month_is_flagged(shared_data):
    path = shared_data / "jpk" / "examples" / "jpk_v7k2_valid_deklaracja_sprzedaz_zakupy_osoba_niefizyczna.xml"
    result = detect_and_parse(path.read_bytes())
    assert result.batch.companies[0].taxes[0].period == "2022-03"
    assert any("quarter 1" in w and "month 2" in w for w in result.warnings)


def test_v7k_in_the_quarters_last_month_gives_vat7k_for_that_month_without_warnings():
    data = jpk_xml(ns=JPK_NS["V7K2"], quarterly=True, year=2025, month=6, quarter=2, declaration={"P_51": "870"})
    result = detect_and_parse(data, kind="jpk_v7k")
    (tax,) = result.batch.companies[0].taxes
    assert (tax.type, tax.period, tax.amount) == ("VAT-7K", "2025-06", Decimal("870.00"))
    assert result.warnings == ()


def test_v7k_month_without_declaration_gives_only_the_register_statement():
    data = jpk_xml(ns=JPK_NS["V7K2"], quarterly=True, month=4, sales_rows=[{"K_19": "100.00", "K_20": "23.00"}],
                   sales_ctrl=(1, "23.00"))
    result = detect_and_parse(data)
    company = result.batch.companies[0]
    assert result.warnings == ()  # months 1 and 2 of a quarter carry no declaration: that is normal
    assert company.taxes == ()
    assert company.statements[0].period == "2026-04"
    assert company.statements[0].totals["sales_vat"] == Decimal("23.00")


def test_surplus_p53_becomes_a_negative_amount():
    data = jpk_xml(declaration={"P_51": "0", "P_53": "1500", "P_54": "1000", "P_55": "1", "P_62": "500"})
    (tax,) = detect_and_parse(data).batch.companies[0].taxes
    assert tax.amount == Decimal("-1500.00")


def test_nothing_to_pay_and_no_surplus_is_zero():
    (tax,) = detect_and_parse(jpk_xml(declaration={"P_51": "0"})).batch.companies[0].taxes
    assert tax.amount == Decimal("0.00")


def test_correction_is_labelled():
    (tax,) = detect_and_parse(jpk_xml(purpose=2, declaration={"P_51": "10"})).batch.companies[0].taxes
    assert tax.label == "correction"


def test_control_sum_disagreeing_with_the_rows_is_imported_with_a_warning():
    rows = [{"K_19": "100.00", "K_20": "23.00"}, {"K_17": "100.00", "K_18": "8.00"},
            {"K_19": "50.00", "K_20": "11.50", "TypDokumentu": "FP"}]  # FP rows stay out of the sum
    good = detect_and_parse(jpk_xml(declaration={"P_51": "31"}, sales_rows=rows, sales_ctrl=(3, "31.00")))
    assert good.warnings == ()
    bad = detect_and_parse(jpk_xml(declaration={"P_51": "31"}, sales_rows=rows, sales_ctrl=(3, "42.00")))
    assert bad.batch.companies[0].statements[0].totals["sales_vat"] == Decimal("42.00")
    assert any("42.00" in w and "31.00" in w for w in bad.warnings)


@pytest.mark.parametrize(("key", "label", "kind"), [
    ("V7K2P", "JPK_V7K(2)", "jpk_v7k"), ("V7M3", "JPK_V7M(3)", "jpk_v7m"), ("V7K3", "JPK_V7K(3)", "jpk_v7k")])
def test_variants_without_a_shipped_schema_are_read_and_say_so(key, label, kind):
    quarterly = kind == "jpk_v7k"
    data = jpk_xml(ns=JPK_NS[key], quarterly=quarterly, month=3, quarter=1 if quarterly else None,
                   declaration={"P_51": "321"})
    result = detect_and_parse(data)
    assert (result.kind, result.variant, result.namespace) == (kind, label, JPK_NS[key])
    assert not result.schema_validated
    assert any("No schema is shipped" in w and label in w for w in result.warnings)
    assert result.batch.companies[0].taxes[0].amount == Decimal("321.00")


def test_the_production_v7m2_schema_is_used():
    result = detect_and_parse(jpk_xml(ns=JPK_NS["V7M2P"], declaration={"P_51": "5"}))
    assert result.schema == "Schemat_JPK_V7M(2)_v1-0_production-11148.xsd"
    assert result.schema_validated


def test_unknown_jpk_variant_is_refused_naming_what_it_is():
    data = (b'<?xml version="1.0"?><JPK xmlns="http://jpk.mf.gov.pl/wzor/2017/11/13/1113/"><Naglowek>'
            b'<KodFormularza kodSystemowy="JPK_VAT (3)" wersjaSchemy="1-1">JPK_VAT</KodFormularza></Naglowek></JPK>')
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(data)
    assert caught.value.code == "unknown_variant"
    assert "JPK_VAT (3)" in caught.value.message and "1113" in caught.value.message


def test_xml_that_is_neither_jpk_nor_kedu_is_refused():
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(b"<invoice xmlns='urn:x'><total>1</total></invoice>")
    assert caught.value.code == "unknown_variant"
    assert "invoice" in caught.value.message


def test_declared_kind_must_match_the_file():
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(jpk_xml(declaration={"P_51": "1"}), kind="jpk_v7k")
    assert caught.value.code == "kind_mismatch"
    assert "JPK_V7K" in caught.value.message and "JPK_V7M(2)" in caught.value.message
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(jpk_xml(), kind="kedu")
    assert caught.value.code == "kind_mismatch"
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(jpk_xml(), kind="pit11")
    assert caught.value.code == "unknown_kind"


def test_schema_violation_is_refused_with_the_variant_and_the_field():
    data = jpk_xml(declaration={"P_51": "12.5"})  # P_51 is whole złoty in the schema
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(data)
    assert caught.value.code == "xsd_invalid"
    assert "JPK_V7M(2)" in caught.value.message and "P_51" in caught.value.message
    assert "{http" not in caught.value.message


def test_invalid_nip_is_refused():
    # The schema's NIP pattern lets this through; the checksum does not.
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(jpk_xml(nip="5260250990"))
    assert caught.value.code == "invalid_field"
    assert "5260250990" in caught.value.message


def test_missing_fields_are_named_in_variants_read_without_schema():
    data = jpk_xml(ns=JPK_NS["V7M3"], declaration={"P_51": "1"}).replace(b"<tns:Miesiac>1</tns:Miesiac>", b"")
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(data)
    assert caught.value.code == "missing_field"
    assert "JPK_V7M(3)" in caught.value.message and "Miesiac" in caught.value.message

    data = jpk_xml(ns=JPK_NS["V7M3"], declaration={"P_51": "1"}).replace(b"<tns:NIP>5260250995</tns:NIP>", b"")
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(data)
    assert caught.value.code == "missing_field" and "NIP" in caught.value.message

    data = jpk_xml(ns=JPK_NS["V7M3"], declaration={"P_51": "1"}).replace(b"<tns:P_51>1</tns:P_51>", b"")
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(data)
    assert caught.value.code == "missing_field" and "P_51" in caught.value.message


def test_garbage_amount_in_a_variant_without_schema_is_refused():
    data = jpk_xml(ns=JPK_NS["V7M3"], sales_rows=[{"K_19": "100.00", "K_20": "abc"}], sales_ctrl=(1, "0"))
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(data)
    assert caught.value.code == "invalid_field" and "K_20" in caught.value.message
