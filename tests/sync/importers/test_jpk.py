"""JPK_V7M / JPK_V7K: every published example reproduces its values; variants, signs and periods."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import translation

from sync.importers import ExchangeFileError, detect_and_parse

from .conftest import JPK_NS, KSEF_NUMBER, SHARED_DATA, generation_of, jpk_xml

SHARED_EXAMPLES = sorted((SHARED_DATA / "jpk" / "examples").glob("*.xml")) if SHARED_DATA.is_dir() else []
LABELS = {"V7M1": "JPK_V7M(1)", "V7K1": "JPK_V7K(1)", "V7M2": "JPK_V7M(2)", "V7K2": "JPK_V7K(2)",
          "V7M2P": "JPK_V7M(2)", "V7K2P": "JPK_V7K(2)", "V7M3": "JPK_V7M(3)", "V7K3": "JPK_V7K(3)"}
WITHOUT_SCHEMA = {"V7K2P"}  # the production JPK_V7K(2) schema is not publicly available


def _expected_of_shared(name: str) -> dict:
    """What each shared example holds, read off by hand (README: declaration totals are the author's test values)."""
    version = name.split("_")[1]  # v7m1, v7k2, …
    monthly = version.startswith("v7m")
    generation = version[-1]
    has_decl = "_deklaracja" in name
    has_sales = "sprzedaz" in name
    has_purchases = "zakupy" in name
    empty = "_empty_" in name
    # The V7K(1) example is for September (quarter 3) but its declaration says Kwartal 1: a contradiction,
    # flagged with its VAT held back. The V7K(2) one sits in February, in quarter 1: imported for March.
    contradictory = has_decl and version == "v7k1"
    return {
        "kind": "jpk_v7m" if monthly else "jpk_v7k",
        "variant": f"JPK_{version[:3].upper()}({generation})",
        "validated": True,
        "file_period": {"1": "2020-09", "2": "2022-02"}[generation],
        "vat": Decimal("124.00") if has_decl and not contradictory else None,
        "vat_period": {"1": "2020-09", "2": "2022-02"}[generation] if monthly else "2022-03",
        "flags": ["quarter_mismatch"] if contradictory else [],
        "register": not empty and (has_sales or has_purchases),
        "sales_vat": Decimal("2189.50") if has_sales else Decimal("0.00"),
        "sales_rows": 38 if has_sales else 0,
        "purchase_vat": Decimal("2005.64") if has_purchases else Decimal("0.00"),
        "purchase_rows": (16 if generation == "1" else 15) if has_purchases else 0,
        "nip": "7018631981",
        "name": "Jan Kowaski" if "osoba_fizyczna" in name else "Firma rodzinna s.c.",
        # "jan.kowalski@mail.com," in the file: the stray comma is dropped, the address kept.
        "email": "jan.kowalski@mail.com",
    }


SALES = [{"K_19": "1000.00", "K_20": "230.00", "NrKSeF": KSEF_NUMBER}, {"K_17": "100.00", "K_18": "8.00"},
         {"K_19": "50.00", "K_20": "11.50", "TypDokumentu": "FP"}]  # FP rows stay out of the control sum
PURCHASES = [{"K_42": "400.00", "K_43": "92.00", "OFF": "1"}, {"K_40": "100.00", "K_41": "23.00"}]


def _built(key: str, content: str, person: bool) -> tuple[bytes, dict]:
    """A file the builder makes for ``key`` with known values, and what the importer must read from it."""
    ns = JPK_NS[key]
    quarterly = key.startswith("V7K")
    declaration = {"P_17": "100", "P_18": "8", "P_19": "1000", "P_20": "230", "P_38": "238", "P_42": "400",
                   "P_43": "92", "P_44": "100", "P_45": "23", "P_48": "115", "P_51": "123"}
    with_decl = content != "register"
    data = jpk_xml(ns=ns, month=3, quarter=1 if quarterly else None, person=person,
                   declaration=declaration if with_decl else None, register=content != "declaration",
                   sales_rows=SALES, sales_ctrl=(3, "238.00"), purchase_rows=PURCHASES, purchase_ctrl=(2, "115.00"))
    year = {1: 2021, 2: 2026, 3: 2026}[generation_of(ns)]
    return data, {
        "kind": "jpk_v7k" if quarterly else "jpk_v7m", "variant": LABELS[key], "validated": key not in WITHOUT_SCHEMA,
        "file_period": f"{year}-03", "vat": Decimal("123.00") if with_decl else None, "vat_period": f"{year}-03",
        "register": content != "declaration", "sales_vat": Decimal("238.00"), "sales_rows": 3,
        "purchase_vat": Decimal("115.00"), "purchase_rows": 2, "nip": "5260250995",
        "name": "Jan Kowalski" if person else "Przykład Sp. z o.o.",
        "email": "jan@przyklad.pl" if person else "biuro@przyklad.pl", "flags": []}


BUILT = [(f"built-{key}-{content}-{'person' if person else 'company'}", key, content, person)
         for key in JPK_NS for content, person in (("both", False), ("register", True), ("declaration", False))]
CASES = [case[0] for case in BUILT] + [f"shared-{path.name}" for path in SHARED_EXAMPLES]


def _case(case_id: str) -> tuple[bytes, dict]:
    if case_id.startswith("shared-"):
        path = SHARED_DATA / "jpk" / "examples" / case_id.removeprefix("shared-")
        return path.read_bytes(), _expected_of_shared(path.name)
    _, key, content, person = next(case for case in BUILT if case[0] == case_id)
    return _built(key, content, person)


@pytest.mark.parametrize("case_id", CASES)
def test_every_variant_reproduces_its_values(case_id):
    """Each variant, built here (always) and every shared example (when ../shared/data is present)."""
    data, expected = _case(case_id)
    result = detect_and_parse(data, filename=case_id)

    assert result.kind == expected["kind"]
    assert result.variant == expected["variant"]
    assert result.schema_validated is expected["validated"], result.warnings
    assert bool(result.schema) is expected["validated"]
    assert any("No schema is shipped" in w for w in result.warnings) is not expected["validated"]
    assert [flag.code for flag in result.flags] == expected["flags"]
    batch = result.batch
    assert batch.program == "file_import"
    (company,) = batch.companies
    assert company.nip == expected["nip"]
    assert company.name == expected["name"]
    assert company.email == expected["email"]
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


def test_the_shared_examples_are_all_read_when_present():
    """Where ../shared/data exists, every one of its JPK examples is among the cases above (none left out)."""
    if SHARED_DATA.is_dir():
        assert len(SHARED_EXAMPLES) == 28
        assert {f"shared-{p.name}" for p in SHARED_EXAMPLES} <= set(CASES)
    else:
        assert SHARED_EXAMPLES == [] and all(case.startswith("built-") for case in CASES)


def test_v7k_declaration_outside_the_quarters_last_month_is_imported_for_it_with_a_warning():
    data = jpk_xml(ns=JPK_NS["V7K2"], month=2, quarter=1, declaration={"P_51": "124"})
    result = detect_and_parse(data)
    assert result.batch.companies[0].taxes[0].period == "2026-03"
    assert any("quarter 1" in w and "month 2" in w for w in result.warnings)
    assert result.flags == ()


@pytest.mark.parametrize("key", ["V7K2", "V7K3"])
def test_v7k_whose_quarter_contradicts_its_month_is_flagged_and_its_vat_held_back(key):
    """Kwartal 1 in the file for May: which is wrong cannot be known, so nothing lands in either quarter."""
    data = jpk_xml(ns=JPK_NS[key], month=5, quarter=1, declaration={"P_51": "870"},
                   sales_rows=[{"K_19": "100.00", "K_20": "23.00"}], sales_ctrl=(1, "23.00"))
    result = detect_and_parse(data)
    company = result.batch.companies[0]
    assert company.taxes == ()
    (flag,) = result.flags
    assert flag.code == "quarter_mismatch"
    assert "quarter 1" in flag.message and "-05" in flag.message and "quarter 2" in flag.message
    assert "870.00" in flag.message
    # The register is monthly and unambiguous: it is still imported for the file's month.
    assert company.statements[0].period.endswith("-05")
    assert company.statements[0].totals["sales_vat"] == Decimal("23.00")


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


def test_the_production_v7k2_is_read_like_v7k2_and_says_no_schema_is_shipped_for_it():
    data = jpk_xml(ns=JPK_NS["V7K2P"], month=3, quarter=1, declaration={"P_51": "321"})
    result = detect_and_parse(data)
    assert (result.kind, result.variant, result.namespace) == ("jpk_v7k", "JPK_V7K(2)", JPK_NS["V7K2P"])
    assert (result.schema, result.schema_validated) == ("", False)
    assert any("No schema is shipped" in w and "JPK_V7K(2)" in w and "11149" in w for w in result.warnings)
    (tax,) = result.batch.companies[0].taxes
    assert (tax.type, tax.period, tax.amount) == ("VAT-7K", "2026-03", Decimal("321.00"))


@pytest.mark.parametrize(("key", "schema"), [("V7M3", "Schemat_JPK_V7M(3)_v1-0E_14090.xsd"),
                                             ("V7K3", "Schemat_JPK_V7K(3)_v1-0E_14089.xsd")])
def test_version_3_is_validated_against_its_own_schema(key, schema):
    quarterly = key == "V7K3"
    result = detect_and_parse(jpk_xml(ns=JPK_NS[key], month=3, quarter=1 if quarterly else None,
                                      declaration={"P_51": "5"}))
    assert (result.schema, result.schema_validated) == (schema, True)
    assert result.warnings == ()


@pytest.mark.parametrize("key", ["V7M3", "V7K3"])
def test_version_3_deposit_return_k360_is_subtracted_from_the_sales_control_sum(key):
    """A version-3 file: 23.00 output VAT − 5.00 deposit-system VAT = SprzedazCtrl 18.00, which is right."""
    quarterly = key == "V7K3"
    rows = [{"K_19": "100.00", "K_20": "23.00", "K_360": "5.00"}]
    declaration = {"P_19": "100", "P_20": "23", "P_360": "5", "P_38": "18", "P_51": "18"}
    result = detect_and_parse(jpk_xml(ns=JPK_NS[key], month=3, quarter=1 if quarterly else None,
                                      declaration=declaration, sales_rows=rows, sales_ctrl=(1, "18.00")))
    assert result.warnings == ()
    company = result.batch.companies[0]
    assert company.statements[0].totals["sales_vat"] == Decimal("18.00")
    assert company.taxes[0].amount == Decimal("18.00")
    assert result.details["declaration"]["P_360"] == "5"


def test_version_3_k360_is_not_added_back_when_the_control_sum_ignores_it():
    rows = [{"K_19": "100.00", "K_20": "23.00", "K_360": "5.00"}]
    result = detect_and_parse(jpk_xml(ns=JPK_NS["V7M3"], month=3, sales_rows=rows, sales_ctrl=(1, "23.00")))
    assert any("23.00" in w and "18.00" in w for w in result.warnings)


def test_version_3_p38_is_checked_with_p360_subtracted():
    good = {"P_19": "100", "P_20": "23", "P_360": "5", "P_38": "18", "P_51": "18"}
    assert detect_and_parse(jpk_xml(ns=JPK_NS["V7M3"], month=3, declaration=good)).warnings == ()
    bad = good | {"P_38": "23", "P_51": "23"}  # P_360 forgotten in P_38
    warnings = detect_and_parse(jpk_xml(ns=JPK_NS["V7M3"], month=3, declaration=bad)).warnings
    assert any("P_38" in w and "23" in w and "18.00" in w and "P_360" in w for w in warnings)
    # Version (2) has no P_360: its P_38 rule is the old one.
    old = {"P_19": "100", "P_20": "23", "P_38": "23", "P_51": "23"}
    assert detect_and_parse(jpk_xml(ns=JPK_NS["V7M2P"], declaration=old)).warnings == ()


def test_version_3_has_no_60_day_refund_p57():
    refund = {"P_51": "0", "P_53": "1500", "P_54": "1500", "P_58": "1"}
    result = detect_and_parse(jpk_xml(ns=JPK_NS["V7M3"], month=3, declaration=refund))
    assert result.batch.companies[0].taxes[0].amount == Decimal("-1500.00")
    assert result.details["declaration"]["refund_term"] == "P_58"
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(jpk_xml(ns=JPK_NS["V7M3"], month=3, declaration=refund | {"P_58": None, "P_57": "1"}
                                 ) .replace(b"<tns:P_58>None</tns:P_58>", b""))
    assert caught.value.code == "xsd_invalid" and "P_57" in caught.value.message
    # In (2) P_57 (60 days) is still a refund term.
    old = detect_and_parse(jpk_xml(declaration=refund | {"P_58": None, "P_57": "1"}).replace(
        b"<tns:P_58>None</tns:P_58>", b""))
    assert old.details["declaration"]["refund_term"] == "P_57"


def test_version_3_counts_the_ksef_markers_of_every_row():
    sales = [{"K_19": "100.00", "K_20": "23.00", "NrKSeF": KSEF_NUMBER},
             {"K_19": "100.00", "K_20": "23.00", "NrKSeF": KSEF_NUMBER},
             {"K_19": "100.00", "K_20": "23.00", "OFF": "1"}, {"K_19": "100.00", "K_20": "23.00", "DI": "1"}]
    purchases = [{"K_42": "100.00", "K_43": "23.00", "NrKSeF": KSEF_NUMBER},
                 {"K_42": "100.00", "K_43": "23.00", "BFK": "1"}]
    result = detect_and_parse(jpk_xml(ns=JPK_NS["V7M3"], month=3, declaration={"P_51": "46"},
                                      sales_rows=sales, sales_ctrl=(4, "92.00"),
                                      purchase_rows=purchases, purchase_ctrl=(2, "46.00")))
    assert result.details["ksef"] == {"sales": {"NrKSeF": 2, "OFF": 1, "BFK": 0, "DI": 1},
                                      "purchases": {"NrKSeF": 1, "OFF": 0, "BFK": 1, "DI": 0}}
    assert result.details["ksef_rows"] == 3
    assert result.warnings == ()


def test_version_3_row_without_a_ksef_marker_is_refused_naming_the_row():
    data = jpk_xml(ns=JPK_NS["V7M3"], month=3, sales_rows=[{"K_19": "1.00", "K_20": "0.23"}] * 2,
                   sales_ctrl=(2, "0.46"))
    first, second = data.index(b"<tns:BFK>1</tns:BFK>"), data.rindex(b"<tns:BFK>1</tns:BFK>")
    assert first != second
    data = data[:second] + data[second + len(b"<tns:BFK>1</tns:BFK>"):]
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(data)
    message = caught.value.message
    assert caught.value.code == "xsd_invalid"
    assert "JPK_V7M(3)" in message and "SprzedazWiersz 2" in message and "NrKSeF" in message
    assert "{http" not in message


def test_version_2_does_not_know_k360():
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(jpk_xml(sales_rows=[{"K_19": "100.00", "K_20": "23.00", "K_360": "5.00"}],
                                 sales_ctrl=(1, "18.00")))
    assert caught.value.code == "xsd_invalid" and "K_360" in caught.value.message


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
    data = jpk_xml(ns=JPK_NS["V7K2P"], month=1, declaration={"P_51": "1"}, quarter=1).replace(
        b"<tns:Miesiac>1</tns:Miesiac>", b"")
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(data)
    assert caught.value.code == "missing_field"
    assert "JPK_V7K(2)" in caught.value.message and "Miesiac" in caught.value.message

    data = jpk_xml(ns=JPK_NS["V7K2P"], month=3, quarter=1, declaration={"P_51": "1"}).replace(
        b"<tns:NIP>5260250995</tns:NIP>", b"")
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(data)
    assert caught.value.code == "missing_field" and "NIP" in caught.value.message

    data = jpk_xml(ns=JPK_NS["V7K2P"], month=3, quarter=1, declaration={"P_51": "1"}).replace(
        b"<tns:P_51>1</tns:P_51>", b"")
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(data)
    assert caught.value.code == "missing_field" and "P_51" in caught.value.message


def test_garbage_amount_in_a_variant_without_schema_is_refused():
    data = jpk_xml(ns=JPK_NS["V7K2P"], sales_rows=[{"K_19": "100.00", "K_20": "abc"}], sales_ctrl=(1, "0"))
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(data)
    assert caught.value.code == "invalid_field" and "K_20" in caught.value.message


def test_version_3_schema_failure_says_in_polish_which_element_and_where():
    """What a bookkeeper can forward to the program's vendor: the element, where it is, what is wrong."""
    data = jpk_xml(ns=JPK_NS["V7M3"], month=3, declaration={"P_51": "12.5"})
    with translation.override("pl"), pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(data)
    message = caught.value.message
    assert caught.value.code == "xsd_invalid"
    assert message.startswith("Plik JPK_V7M(3) nie jest zgodny ze swoim oficjalnym schematem")
    assert "element P_51" in message and "w Deklaracja/PozycjeSzczegolowe" in message
    assert "wartość „12.5” jest tu niedozwolona" in message
    assert "Przekaż ten komunikat dostawcy programu" in message
    assert "{http" not in message
