"""Płatnik KEDU: DRA → ZUS figures per payer (IX.2 formula checked), RCA → insured persons listed, masked."""

from __future__ import annotations

from decimal import Decimal

import pytest

from sync.batch import PayerData
from sync.importers import ExchangeFileError, detect_and_parse

from .conftest import KEDU_57_NS, KEDU_NS, SHARED_DATA, annual_settlement, dra_xml, kedu_xml, rca_xml

SHARED = {  # the Quick-DRA examples in ../shared/data (MIT), read when present
    "quick-dra_202512-01.AB4123456_50671500000.xml": ("2025-12", Decimal("1476.32"), "IKSIŃSKI", "PIOTR"),
    "quick-dra_202512-01.AB4123456_50671500000_not-pretty.xml": ("2025-12", Decimal("1476.32"), "IKSIŃSKI", "PIOTR"),
    "quick-dra_202601-01_30pct.xml": ("2026-01", Decimal("1199.40"), "UBEZPIECZONA", "OSOBA"),
}
SHARED_PRESENT = sorted(name for name in SHARED if (SHARED_DATA / "kedu" / "examples" / name).is_file())
INSURED_PESEL = "50671500000"


def _built(ns: str, annual: bool) -> bytes:
    """A Quick-DRA-like file (one RCA + one DRA, health 0.00) built here, in the 5.6 or 5.7 layout."""
    fields = 29 if ns == KEDU_57_NS else 27
    person = {"last": "UBEZPIECZONA", "first": "OSOBA", "pesel": INSURED_PESEL, "social": "1199.40",
              "health": {"p4": "0.00"}, "annual": annual_settlement("F", fields) if annual else ""}
    dra = dra_xml(doc_id=2, period="2026-01", social="1199.40", health="0.00", fp="0.00",
                  annual=annual_settlement("XII", fields) if annual else "")
    return kedu_xml(rca_xml(person, doc_id=1, period="2026-01"), dra, ns=ns)


CASES = [("built-5.6", "KEDU 5.6", "kedu_5_6.xsd"), ("built-5.6-annual", "KEDU 5.6", "kedu_5_6.xsd"),
         ("built-5.7", "KEDU 5.7", "kedu_5_7.xsd"), ("built-5.7-annual", "KEDU 5.7", "kedu_5_7.xsd")] + [
    (f"shared-{name}", "KEDU 5.6", "kedu_5_6.xsd") for name in SHARED_PRESENT]


@pytest.mark.parametrize(("case", "variant", "schema"), CASES, ids=[c[0] for c in CASES])
def test_every_example_reproduces_its_dra(case, variant, schema):
    if case.startswith("shared-"):
        name = case.removeprefix("shared-")
        data = (SHARED_DATA / "kedu" / "examples" / name).read_bytes()
        period, social, last_name, first_name = SHARED[name]
    else:
        data = _built(KEDU_57_NS if variant == "KEDU 5.7" else KEDU_NS, annual=case.endswith("annual"))
        period, social, last_name, first_name = "2026-01", Decimal("1199.40"), "UBEZPIECZONA", "OSOBA"
    result = detect_and_parse(data, filename=case, kind="kedu")

    assert (result.kind, result.variant, result.schema) == ("kedu", variant, schema)
    assert result.schema_validated
    assert not any("No schema is shipped" in w for w in result.warnings)
    batch = result.batch
    assert batch.program == "file_import" and batch.payers == () and batch.errors == ()
    (company,) = batch.companies
    assert (company.nip, company.name) == ("7680002466", "JAN NOWAK")
    (entry,) = company.zus
    assert entry.period == period
    assert entry.payer_nip == "7680002466" and entry.payer_pesel == "26211012346"
    # Health and FP are 0.00 in these files; social total IV.37 = IX.2. The annual health settlement block,
    # whatever its layout (27 fields in 5.6, 29 in 5.7), changes none of the monthly figures.
    assert entry.parts() == {"social": social, "health": Decimal("0.00"), "labour_fund": Decimal("0.00"),
                             "fgsp": Decimal("0.00"), "total": social}
    assert not any("IX.02" in w for w in result.warnings)
    assert result.flags == ()
    assert result.details["annual_health_settlements"] == (2 if case.endswith("annual") else 0)

    (person,) = result.insured
    assert (person.last_name, person.first_name, person.period) == (last_name, first_name, period)
    assert person.masked_id == "5067*****00"
    # The insured person's identifier never appears in full anywhere the user or a log could see it.
    assert INSURED_PESEL not in " ".join(result.warnings) + str(person) + repr(person) + str(result.details)


def test_the_shared_examples_are_all_read_when_present():
    if SHARED_DATA.is_dir():
        assert SHARED_PRESENT == sorted(SHARED)
    else:
        assert SHARED_PRESENT == []


def test_kedu_5_7_annual_block_in_the_old_5_6_layout_is_refused_naming_the_field():
    """A 27-field block XII in a 5.7 file: p6 holds an amount where 5.7 has a yes/no field."""
    data = kedu_xml(dra_xml(annual=annual_settlement("XII", 27)), ns=KEDU_57_NS)
    with pytest.raises(ExchangeFileError) as caught:
        detect_and_parse(data)
    assert caught.value.code == "xsd_invalid"
    assert "KEDU 5.7" in caught.value.message and "p6" in caught.value.message and "XII" in caught.value.message


def test_kedu_5_7_monthly_figures_equal_those_of_the_same_file_in_5_6():
    """The full 2026 contributions, with an annual settlement, read the same in both layouts."""
    figures = {}
    for ns, fields in ((KEDU_NS, 27), (KEDU_57_NS, 29)):
        result = detect_and_parse(kedu_xml(dra_xml(annual=annual_settlement("XII", fields)), ns=ns))
        assert result.schema_validated and result.warnings == ()
        figures[ns] = result.batch.companies[0].zus[0].parts()
    assert figures[KEDU_NS] == figures[KEDU_57_NS]
    assert figures[KEDU_57_NS]["total"] == Decimal("2359.30")


def test_dra_health_total_differing_from_its_rca_lines_is_flagged_and_the_dra_kept():
    people = [{"last": "KOWALSKA", "first": "ANNA", "pesel": "44051401359", "health": {"p2": "0.00", "p4": "388.31"}},
              {"last": "NOWAK", "first": "JAN", "pesel": "26211012346", "health": {"p4": "432.54"}}]
    agreeing = detect_and_parse(kedu_xml(rca_xml(*people), dra_xml(health="820.85"), ns=KEDU_57_NS))
    assert agreeing.flags == ()
    result = detect_and_parse(kedu_xml(rca_xml(*people), dra_xml(health="432.54"), ns=KEDU_57_NS))
    (flag,) = result.flags
    assert flag.code == "health_mismatch"
    assert "2026-01" in flag.message and "432.54" in flag.message and "820.85" in flag.message
    # The DRA is what was filed with ZUS: its figure is what the preview would apply.
    assert result.batch.companies[0].zus[0].health == Decimal("432.54")


def test_health_is_compared_per_payer_and_month():
    other_month = rca_xml({"last": "NOWAK", "first": "JAN", "pesel": "26211012346", "health": {"p4": "1.00"}},
                          period="2026-02")
    other_payer = rca_xml({"last": "NOWAK", "first": "JAN", "pesel": "26211012346", "health": {"p4": "1.00"}},
                          nip="5260250995", pesel=None)
    result = detect_and_parse(kedu_xml(other_month, other_payer, dra_xml()))
    assert result.flags == ()


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
