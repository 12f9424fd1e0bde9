"""``sync.parsing``: JSON body → validated Batch, per-company refusals with JSON Pointers."""

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sync.batch import StatementEntry, TaxEntry, ZusEntry
from sync.parsing import RequestInvalidError, count_figures, parse_batch
from tests.clients.batches import make_nip, make_pesel

NIP = make_nip(101)
NIP2 = make_nip(102)


def body(*companies, **extra):
    return {"program": {"code": "optima", "version": "1"}, "companies": list(companies), **extra}


def company(nip=NIP, **fields):
    return {"nip": nip, "name": "Firma", **fields}


def tax(amount="100.00", **fields):
    return {"period": "2026-10", "type": "VAT-7", "amount": amount, **fields}


def errors_of(batch):
    return {(error.pointer, error.code) for error in batch.errors}


@pytest.mark.parametrize("raw, expected", [
    ("1234.50", Decimal("1234.50")), ("-12.00", Decimal("-12.00")), ("0", Decimal("0.00")),
    ("7.5", Decimal("7.50")), ("999999999999.99", Decimal("999999999999.99")), ("-0.01", Decimal("-0.01")),
])
def test_valid_amounts(raw, expected):
    entry = parse_batch(body(company(taxes=[tax(raw)]))).companies[0].taxes[0]
    assert entry.amount == expected
    assert entry.amount.as_tuple().exponent == -2


@pytest.mark.parametrize("raw", [
    12.5, 12, 0, True, None, [], {}, "1.234", "1234567890123", "1234567890123.00", "1e5", "NaN", "Infinity",
    " 12.00", "12.00 ", "+12.00", "1_000.00", "12,50", "", ".50", "12.", "١٢.٠٠", "--1", "0x10",
])
def test_invalid_amounts_reject_the_company_with_a_pointer(raw):
    batch = parse_batch(body(company(taxes=[tax(), tax(raw, type="CIT")]), company(NIP2, taxes=[tax()])))
    code = "required" if raw is None else "invalid_amount"
    assert errors_of(batch) == {("/companies/0/taxes/1/amount", code)}
    assert batch.rejected_companies == (0,)
    # The other company goes on.
    assert [c.nip for c in batch.companies if c.index not in batch.rejected_companies] == [NIP2]


def test_amount_messages_say_what_is_wrong():
    batch = parse_batch(body(company(taxes=[tax(12.5), tax("1.234", type="CIT"), tax("1234567890123", type="PIT-4")])))
    details = {error.pointer: error.detail for error in batch.errors}
    assert "string" in details["/companies/0/taxes/0/amount"]
    assert "two decimal places" in details["/companies/0/taxes/1/amount"]
    assert "12 digits" in details["/companies/0/taxes/2/amount"]


@pytest.mark.parametrize("raw", ["2026-13", "2026-00", "2026-1", "26-10", "2026/10", "2026-10-01", 202610, "",
                                 "1989-12", "2100-01", None])
def test_invalid_periods(raw):
    batch = parse_batch(body(company(taxes=[tax(period=raw)])))
    code = "required" if raw is None else ("invalid_type" if not isinstance(raw, str) else "invalid_period")
    assert errors_of(batch) == {("/companies/0/taxes/0/period", code)}


@pytest.mark.parametrize("raw", ["2026-02-30", "2026-13-01", "20261125", "2026-11-25T00:00", 20261125, "25.11.2026"])
def test_invalid_dates(raw):
    batch = parse_batch(body(company(taxes=[tax(due_date=raw)])))
    code = "invalid_type" if not isinstance(raw, str) else "invalid_date"
    assert errors_of(batch) == {("/companies/0/taxes/0/due_date", code)}


def test_enums_are_checked():
    batch = parse_batch(body(company(
        taxes=[tax(type="VAT-8"), tax(type="CIT", label="guess")],
        tax_setup={"vat": "weekly", "income_tax": "cit", "zus_payer": None},
        people=[{"last_name": "Nowak", "role": "boss"}],
    )))
    assert errors_of(batch) == {
        ("/companies/0/taxes/0/type", "invalid_choice"), ("/companies/0/taxes/1/label", "invalid_choice"),
        ("/companies/0/tax_setup/vat", "invalid_choice"), ("/companies/0/people/0/role", "invalid_choice"),
    }


def test_nip_and_pesel_checksums():
    bad_nip = NIP[:-1] + str((int(NIP[-1]) + 1) % 10)
    batch = parse_batch(body(
        company(bad_nip),
        company(NIP2, people=[{"last_name": "Nowak", "pesel": "44051401358"}]),
        company(make_nip(103), zus=[{"period": "2026-10", "payer": {"pesel": "12345678901"}, "total": "1.00"}]),
    ))
    assert errors_of(batch) == {
        ("/companies/0/nip", "invalid_nip"), ("/companies/1/people/0/pesel", "invalid_pesel"),
        ("/companies/2/zus/0/payer/pesel", "invalid_pesel"),
    }
    assert batch.rejected_companies == (0, 1, 2)
    # A PESEL is personal data: never echoed back.
    assert "44051401358" not in " ".join(error.detail for error in batch.errors)


def test_nip_spaces_and_dashes_are_tolerated_and_normalised():
    dashed = f"{NIP[:3]}-{NIP[3:6]}-{NIP[6:8]}-{NIP[8:]}"
    batch = parse_batch(body(company(dashed), company(f" {NIP2[:5]} {NIP2[5:]} ")))
    assert [c.nip for c in batch.companies] == [NIP, NIP2]
    assert not batch.errors


def test_a_valid_company_is_fully_normalised():
    batch = parse_batch(body(company(
        regon="012100784", email="biuro@przyklad.pl", phone="600 100 200",
        address={"street": "ul. Prosta 1", "postal_code": "00-001", "city": "Warszawa", "country": "pl"},
        tax_setup={"vat": "monthly", "income_tax": "cit", "zus_payer": "legal_person"},
        people=[{"first_name": "Anna", "last_name": "Nowak", "pesel": make_pesel(7), "phone": "+48600100200"}],
        taxes=[tax(due_date="2026-11-25", label="correction")],
        zus=[{"period": "2026-10", "social": "1646.47", "health": "432.54", "total": "2079.01"}],
        statements=[{"period": "2026-10", "revenue": "5", "costs": "3", "income": "2", "totals": {"vat_due": "1.1"}}],
    ), agent={"version": "1.4.0", "os": "Windows", "hostname": "PC"}, range={"from": "2026-01", "to": "2026-10"},
        options={"approve": True, "send_summary": False}))
    assert not batch.errors
    (parsed,) = batch.companies
    assert parsed.phone == "+48600100200"
    assert parsed.address.country == "PL"
    assert parsed.people[0].role == "owner" and parsed.people[0].pesel == make_pesel(7)
    assert parsed.taxes[0] == TaxEntry(index=0, period="2026-10", type="VAT-7", amount=Decimal("100.00"),
                                       due_date=date(2026, 11, 25), label="correction")
    assert parsed.zus[0] == ZusEntry(index=0, period="2026-10", social=Decimal("1646.47"), health=Decimal("432.54"),
                                     total=Decimal("2079.01"))
    assert parsed.statements[0] == StatementEntry(index=0, period="2026-10", revenue=Decimal("5.00"),
                                                  costs=Decimal("3.00"), income=Decimal("2.00"),
                                                  totals={"vat_due": Decimal("1.10")})
    assert (batch.program, batch.program_version, batch.period_from, batch.period_to) == ("optima", "1", "2026-01",
                                                                                          "2026-10")
    assert batch.approve is True and batch.agent.hostname == "PC"
    assert count_figures(batch) == 1 + 3 + 4


def test_fast_path_objects_equal_the_constructor_ones():
    """The fast path skips the dataclass __init__; the objects must be indistinguishable."""
    batch = parse_batch(body(company(taxes=[tax()], zus=[{"period": "2026-10", "total": "5.00"}],
                                     statements=[{"period": "2026-10", "revenue": "1.00"}])))
    entry_tax, entry_zus, entry_statement = (batch.companies[0].taxes[0], batch.companies[0].zus[0],
                                             batch.companies[0].statements[0])
    assert entry_tax == TaxEntry(index=0, period="2026-10", type="VAT-7", amount=Decimal("100.00"))
    assert hash(entry_tax) == hash(TaxEntry(index=0, period="2026-10", type="VAT-7", amount=Decimal("100.00")))
    assert entry_zus == ZusEntry(index=0, period="2026-10", total=Decimal("5.00"))
    assert entry_zus.parts() == {"total": Decimal("5.00")}
    assert entry_statement == StatementEntry(index=0, period="2026-10", revenue=Decimal("1.00"))
    assert repr(entry_tax).startswith("TaxEntry(index=0")


def test_unknown_members_are_ignored():
    batch = parse_batch(body(company(taxes=[tax(colour="red")], mood="good"), future={"x": 1}))
    assert not batch.errors and len(batch.companies) == 1


def test_duplicates_in_one_batch_are_refused():
    batch = parse_batch(body(company(taxes=[tax(), tax("5.00")]), company(NIP2), company(NIP2)))
    assert errors_of(batch) == {("/companies/0/taxes/1/period", "duplicate_figure"),
                                ("/companies/2/nip", "duplicate_company")}
    assert batch.rejected_companies == (0, 2)


def test_refused_companies_stay_listed_for_counting_but_are_marked():
    batch = parse_batch(body(company(taxes=[tax(), tax(1, type="CIT")]), company("123", taxes=[tax()])))
    assert batch.rejected_companies == (0, 1)
    assert [len(c.taxes) for c in batch.companies] == [1, 1]  # what could be read of them
    assert count_figures(batch) == 0


@pytest.mark.parametrize("payload, pointer, code", [
    ([], "", "invalid_type"),
    ({}, "/program", "required"),
    ({"program": "optima"}, "/program", "invalid_type"),
    ({"program": {"code": "excel"}}, "/program/code", "invalid_choice"),
    ({"program": {"code": "optima"}, "companies": {}}, "/companies", "invalid_type"),
    ({"program": {"code": "optima"}, "payers": "x"}, "/payers", "invalid_type"),
    ({"program": {"code": "optima"}, "range": {"from": "2026-10", "to": "2026-01"}}, "/range/to", "invalid_range"),
    ({"program": {"code": "optima"}, "range": {"from": "2026-10"}}, "/range/to", "required"),
    ({"program": {"code": "optima"}, "options": {"approve": "yes"}}, "/options/approve", "invalid_type"),
    ({"program": {"code": "optima"}, "agent": []}, "/agent", "invalid_type"),
])
def test_request_level_errors_refuse_everything(payload, pointer, code):
    with pytest.raises(RequestInvalidError) as caught:
        parse_batch(payload)
    assert (pointer, code) in {(error.pointer, error.code) for error in caught.value.errors}


def test_payers_are_validated_one_by_one():
    batch = parse_batch(body(payers=[
        {"pesel": make_pesel(3), "zus": [{"period": "2026-10", "total": "10.00"}]},
        {"zus": [{"period": "2026-10", "total": "1.00"}]},
        {"nip": NIP, "zus": [{"period": "2026-10", "total": 3}]},
    ]))
    assert errors_of(batch) == {("/payers/1/pesel", "required"), ("/payers/2/zus/0/total", "invalid_amount")}
    assert [p.index for p in batch.payers] == [0]
    assert batch.payers[0].zus[0].payer_pesel == make_pesel(3)


def test_pointer_tokens_are_escaped():
    batch = parse_batch(body(company(statements=[{"period": "2026-10", "totals": {"a/b~c": "1.00"}}])))
    assert errors_of(batch) == {("/companies/0/statements/0/totals/a~1b~0c", "invalid_name")}


def test_over_long_strings_are_refused_not_cut():
    batch = parse_batch(body(company(name="x" * 256)))
    assert errors_of(batch) == {("/companies/0/name", "too_long")}


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=10), children, max_size=4),
    max_leaves=20,
)
field_values = st.one_of(json_values, st.sampled_from(["2026-10", "VAT-7", "12.00", NIP, "2026-11-25", "owner"]))
entry = st.dictionaries(st.sampled_from(["period", "type", "amount", "due_date", "label", "total", "social",
                                         "payer", "totals", "revenue"]), field_values, max_size=6)
fuzz_company = st.fixed_dictionaries({"nip": st.sampled_from([NIP, NIP2, "123", None, 5])}, optional={
    "taxes": st.lists(entry, max_size=3), "zus": st.lists(entry, max_size=3) | json_values,
    "statements": st.lists(entry, max_size=3), "people": st.lists(json_values, max_size=2),
    "address": json_values, "tax_setup": json_values, "name": json_values, "phone": json_values,
    "email": json_values, "regon": json_values,
})


@settings(max_examples=150, deadline=None)
@given(st.lists(fuzz_company | json_values, max_size=4), st.one_of(st.none(), json_values))
def test_fuzzed_bodies_never_crash_the_parser(companies, payers):
    try:
        batch = parse_batch({"program": {"code": "optima"}, "companies": companies, "payers": payers})
    except RequestInvalidError as exc:
        assert exc.errors
        return
    for error in batch.errors:
        assert error.pointer.startswith(("/companies/", "/payers/")) and error.code and error.detail
    accepted = {c.index for c in batch.companies} - set(batch.rejected_companies)
    assert len(accepted) + len(batch.rejected_companies) == len(companies)


def test_nul_characters_are_refused_because_postgresql_cannot_store_them():
    batch = parse_batch(body(company(name="Fir\x00ma"), company(NIP2, people=[{"last_name": "\x00"}]),
                             agent={"hostname": "PC\x00"}))
    assert errors_of(batch) == {("/companies/0/name", "invalid_characters"),
                                ("/companies/1/people/0/last_name", "invalid_characters")}
    assert batch.agent.hostname == "PC"
