"""Płatnik KEDU: DRA → ZUS figures per payer (IX.2 formula checked), RCA → insured persons listed, masked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sync.batch import PayerData
from sync.importers import ExchangeFileError, detect_and_parse

from .conftest import SHARED_DATA, dra_xml, kedu_xml

EXAMPLES = {
    "quick-dra_202512-01.AB4123456_50671500000.xml": ("2025-12", Decimal("1476.32"), "IKSIŃSKI", "PIOTR"),
    "quick-dra_202512-01.AB4123456_50671500000_not-pretty.xml": ("2025-12", Decimal("1476.32"), "IKSIŃSKI", "PIOTR"),
    "quick-dra_202601-01_30pct.xml": ("2026-01", Decimal("1199.40"), "UBEZPIECZONA", "OSOBA"),
}


@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_every_example_reproduces_its_dra(shared_data, name):
    period, social, last_name, first_name = EXAMPLES[name]
    path = shared_data / "kedu" / "examples" / name
    assert path.is_file(), path
    result = detect_and_parse(path.read_bytes(), filename=name, kind="kedu")

    assert (result.kind, result.variant, result.schema) == ("kedu", "KEDU 5.6", "kedu_5_6.xsd")
    assert result.schema_validated
    batch = result.batch
    assert batch.program == "file_import" and batch.payers == () and batch.errors == ()
    (company,) = batch.companies
    assert (company.nip, company.name) == ("7680002466", "JAN NOWAK")
    (entry,) = company.zus
    assert entry.period == period
    assert entry.payer_nip == "7680002466" and entry.payer_pesel == "26211012346"
    # Health and FP are 0.00 in these Quick-DRA files; social total IV.37 = IX.2.
    assert entry.parts() == {"social": social, "health": Decimal("0.00"), "labour_fund": Decimal("0.00"),
                             "fgsp": Decimal("0.00"), "total": social}
    assert not any("IX.02" in w for w in result.warnings)

    (person,) = result.insured
    assert (person.last_name, person.first_name, person.period) == (last_name, first_name, period)
    assert person.masked_id == "5067*****00"
    # The insured person's identifier never appears in full anywhere the user or a log could see it.
    assert "50671500000" not in " ".join(result.warnings) + str(person) + repr(person) + str(result.details)


def test_ix2_formula_full_contributions_2026():
    """docs/glossary.md ("Facts the tests rely on"): social 1788.29 + health 432.54 + FP 138.47 = 2359.30 to pay."""
    result = detect_and_parse(kedu_xml(dra_xml(social="1788.29", health="432.54", fp="138.47")))
    (entry,) = result.batch.companies[0].zus
    assert entry.total == Decimal("2359.30")
    assert (entry.social, entry.health, entry.labour_fund, entry.fgsp) == (
        Decimal("1788.29"), Decimal("432.54"), Decimal("138.47"), Decimal("0.00"))
    assert result.warnings == ()


def test_ix2_includes_fgsp_and_fep_and_subtracts_benefits():
    xml = dra_xml(social="1000.00", health="400.00", fp="50.00", fgsp="2.00", fep="3.00", benefits="100.00")
    result = detect_and_parse(kedu_xml(xml))
    assert result.batch.companies[0].zus[0].total == Decimal("1355.00")
    assert result.warnings == ()


def test_ix2_disagreeing_with_the_formula_keeps_the_files_value_and_warns():
    result = detect_and_parse(kedu_xml(dra_xml(social="1788.29", health="432.54", fp="138.47", to_pay="2000.00")))
    assert result.batch.companies[0].zus[0].total == Decimal("2000.00")
    (warning,) = result.warnings
    assert "2000.00" in warning and "2359.30" in warning and "2026-01" in warning


def test_benefits_above_contributions_give_a_refund_as_a_negative_total():
    xml = dra_xml(social="300.00", health="0.00", fp="0.00", benefits="500.00", refund="200.00", to_pay="0.00")
    result = detect_and_parse(kedu_xml(xml))
    assert result.batch.companies[0].zus[0].total == Decimal("-200.00")
    assert result.warnings == ()


def test_funds_total_not_matching_its_parts_is_flagged():
    result = detect_and_parse(kedu_xml(dra_xml(fp="100.00", fgsp="10.00", funds_total="120.00", to_pay="2340.83")))
    assert any("VII.03" in w for w in result.warnings)


def test_payer_without_nip_becomes_a_payer_entry():
    result = detect_and_parse(kedu_xml(dra_xml(nip=None, pesel="44051401359")))
    assert result.batch.companies == ()
    (payer,) = result.batch.payers
    assert isinstance(payer, PayerData)
    assert payer.pesel == "44051401359" and payer.nip is None
    assert payer.zus[0].total == Decimal("2359.30")


def test_several_payers_and_months_are_grouped_per_payer():
    data = kedu_xml(
        dra_xml(doc_id=1, period="2026-01"), dra_xml(doc_id=2, period="2026-02", social="456.18", health="432.54",
                                                     fp="0.00"),
        dra_xml(doc_id=3, period="2026-01", nip="5260250995", pesel=None))
    batch = detect_and_parse(data).batch
    assert [c.nip for c in batch.companies] == ["7680002466", "5260250995"]
    assert [(e.period, e.total) for e in batch.companies[0].zus] == [
        ("2026-01", Decimal("2359.30")), ("2026-02", Decimal("888.72"))]
    assert (batch.period_from, batch.period_to) == ("2026-01", "2026-02")


def test_invalid_payer_nip_rejects_that_payer_only():
    data = kedu_xml(dra_xml(doc_id=1, nip="7680002467"), dra_xml(doc_id=2, nip="5260250995", pesel=None))
    batch = detect_and_parse(data).batch
    assert [c.nip for c in batch.companies] == ["5260250995"]
    (error,) = batch.errors
    assert (error.pointer, error.code) == ("/ZUSDRA/0/II/p1", "invalid_nip")
    assert len(batch.rejected_companies) == 1


def test_invalid_payer_pesel_is_ignored_and_masked_in_the_warning():
    result = detect_and_parse(kedu_xml(dra_xml(pesel="26211012340")))
    assert result.batch.companies[0].zus[0].payer_pesel is None
    assert any("2621*****40" in w for w in result.warnings)
    assert "26211012340" not in " ".join(result.warnings)


def test_file_without_dra_is_refused():
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(kedu_xml())
    assert caught.value.code in ("xsd_invalid", "missing_field")


def test_other_kedu_5_versions_are_read_without_schema():
    result = detect_and_parse(kedu_xml(dra_xml(), ns="http://www.zus.pl/2022/KEDU_5_5"))
    assert result.variant == "KEDU 5.5" and not result.schema_validated
    assert result.batch.companies[0].zus[0].total == Decimal("2359.30")
    assert any("No schema is shipped" in w for w in result.warnings)


def test_unknown_kedu_version_is_refused():
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(kedu_xml(dra_xml(), ns="http://www.zus.pl/2010/KEDU_4_1"))
    assert caught.value.code == "unknown_variant" and "KEDU_4_1" in caught.value.message


def test_schema_violation_in_kedu_is_refused():
    bad = dra_xml().replace("<p37>1788.29</p37>", "<p37>lots</p37>")
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(kedu_xml(bad))
    assert caught.value.code == "xsd_invalid"
    assert "KEDU 5.6" in caught.value.message and "p37" in caught.value.message


def test_examples_dir_present_or_skipped():
    if not SHARED_DATA.is_dir():
        pytest.skip("reference data absent")
    assert set(EXAMPLES) <= {p.name for p in (SHARED_DATA / "kedu" / "examples").glob("*.xml")}
