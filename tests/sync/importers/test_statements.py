"""The bank-statement importers: MT940 (ZBP-structured :86:, separators, encodings) and CAMT.053 (versions,
batch bookings, unbooked entries), and the same protections as JPK/KEDU against hostile files."""

from datetime import date
from decimal import Decimal

import pytest

from clients.payments import tax_microaccount, tax_transfer_title
from sync.importers import ExchangeFileError, ImportLimits, parse_statement, statement_kind
from sync.importers.mt940_statements import parse_details
from sync.importers.statement_writer import render_camt053, render_mt940
from tests.clients.bank_files import OWN_ACCOUNT, debit, statement, y_lines
from tests.conftest import NIP_Y

CAMT = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.08"


@pytest.mark.parametrize("separator", ["~", "^", "<", "?"])
def test_mt940_reads_the_title_and_the_beneficiary_across_separators(separator):
    data = statement(y_lines())
    parsed = parse_statement(render_mt940(data, separator=separator))
    assert parsed.kind == "mt940" and parsed.label == "MT940"
    [read] = parsed.statements
    assert read.account == OWN_ACCOUNT and read.currency == "PLN"
    assert [(line.debit, line.amount) for line in read.lines] == [(True, Decimal("700.00")), (True, Decimal("90.00")),
                                                                  (True, Decimal("1234.56")),
                                                                  (False, Decimal("5000.00"))]
    first = read.lines[0]
    assert first.title == tax_transfer_title("VAT-7", "2026-01", nip=NIP_Y)
    assert first.counterparty_account == tax_microaccount(nip=NIP_Y) and first.booked_on == date(2026, 2, 20)


def test_mt940_sort_code_and_account_without_iban_and_windows_1250():
    micro = tax_microaccount(nip=NIP_Y)
    details = f"020~00PRZELEW~20Składki~3010100071~31{micro[10:]}~32URZĄD"
    assert parse_details(details)[1:] == (micro, "URZĄD")
    text = (":20:S1\r\n:25:/PL" + OWN_ACCOUNT + "\r\n:28C:1/1\r\n:60F:C260201PLN100,00\r\n"
            ":61:2602200220D10,00NTRFNONREF\r\n:86:Opłata za prowadzenie rachunku\r\n:62F:C260220PLN90,00\r\n")
    [read] = parse_statement(text.encode("cp1250")).statements
    assert read.lines[0].title == "Opłata za prowadzenie rachunku"


def test_camt053_batch_bookings_unbooked_entries_and_other_versions():
    data = statement([debit(1, "700.00", tax_microaccount(nip=NIP_Y), "A"), debit(2, "90.00", OWN_ACCOUNT, "B")],
                     kind="camt053")
    xml = render_camt053(data).decode().replace("camt.053.001.02", "camt.053.001.08")
    # the second entry is only pending: not booked, not read
    xml = xml.replace("<Sts>BOOK</Sts>", "<Sts><Cd>PDNG</Cd></Sts>", 2).replace(
        "<Sts><Cd>PDNG</Cd></Sts>", "<Sts><Cd>BOOK</Cd></Sts>", 1)
    [read] = parse_statement(xml.encode(), kind="camt053").statements
    assert [line.title for line in read.lines] == ["A"]
    assert statement_kind(xml.encode()) == "camt053"


@pytest.mark.parametrize(("content", "code"), [
    (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]>'
     b'<Document xmlns="' + CAMT.encode() + b'">&lol2;</Document>', "forbidden_xml"),
    (b'<?xml version="1.0"?><!DOCTYPE d SYSTEM "http://example.invalid/x.dtd"><Document/>', "forbidden_xml"),
    (b'<?xml version="1.0"?><!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]><Document>&x;</Document>',
     "forbidden_xml"),
    ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE d><Document/>'.encode("utf-16"), "forbidden_xml"),
    (b'<Document xmlns="' + CAMT.encode() + b'"><BkToCstmrStmt><Stmt><Id>1</Id>', "malformed_xml"),
    (b'<Document xmlns="' + CAMT.encode() + b'"><BkToCstmrStmt/></Document>', "missing_field"),
    (b'<Document xmlns="' + CAMT.encode() + b'"><BkToCstmrStmt><Stmt><Acct><Id><IBAN>DE89370400440532013000'
     b'</IBAN></Id></Acct></Stmt></BkToCstmrStmt></Document>', "invalid_field"),
    (b'<Document xmlns="' + CAMT.encode() + b'"><BkToCstmrStmt><Stmt><Acct><Id><IBAN>PL' + OWN_ACCOUNT.encode()
     + b'</IBAN></Id></Acct><Ntry><Amt Ccy="PLN">1e999999</Amt><CdtDbtInd>DBIT</CdtDbtInd></Ntry></Stmt>'
       b'</BkToCstmrStmt></Document>', "invalid_field"),
    (b'<JPK xmlns="http://crd.gov.pl/wzor/2021/12/27/11148/"/>', "kind_mismatch"),
    (b"PK\x03\x04zip", "not_xml"),
    (b"   \n", "empty"),
    (b":20:X\n:25:/PL" + OWN_ACCOUNT.encode() + b"\n:61:garbage\n", "malformed_statement"),
])
def test_hostile_and_malformed_statements_are_refused(content, code):
    with pytest.raises(ExchangeFileError) as refused:
        parse_statement(content)
    assert refused.value.code == code, refused.value.message
    assert refused.value.message


def test_a_statement_over_the_size_limit_is_refused():
    content = render_mt940(statement(y_lines()))
    with pytest.raises(ExchangeFileError) as refused:
        parse_statement(content, limits=ImportLimits(max_bytes=len(content) - 1))
    assert refused.value.code == "too_large"
    camt = render_camt053(statement(y_lines(), kind="camt053"))
    with pytest.raises(ExchangeFileError):
        parse_statement(camt, limits=ImportLimits(max_bytes=100))
