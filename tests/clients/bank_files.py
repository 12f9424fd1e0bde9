"""Bank statements the tests build: lines, statements and their MT940 / CAMT.053 files."""

from datetime import date
from decimal import Decimal

from stdnum import iban

from clients.bank_matching import StatementData, StatementLine
from clients.payments import tax_microaccount, tax_transfer_title
from sync.importers import parse_statement
from sync.importers.statement_writer import render_camt053, render_mt940
from tests.conftest import NIP_Y

D = Decimal
OWN_BBAN = "109010140000071219812874"
OWN_ACCOUNT = iban.calc_check_digits("PL00" + OWN_BBAN) + OWN_BBAN
OTHER_BBAN = "109010140000071219812875"
OTHER_ACCOUNT = iban.calc_check_digits("PL00" + OTHER_BBAN) + OTHER_BBAN
SUPPLIER = iban.calc_check_digits("PL00" + "102055581111123456789012") + "102055581111123456789012"


def nrs_of(nip: str) -> str:
    bban = "60000002026" + "000" + nip
    return iban.calc_check_digits("PL00" + bban) + bban


def debit(position, amount, account, title, *, day=date(2026, 2, 20), reference=""):
    return StatementLine(position, day, D(amount), True, counterparty_account=account, title=title,
                         counterparty_name="Urząd Skarbowy", reference=reference or f"REF{position}")


def statement(lines, *, account=OWN_ACCOUNT, kind="mt940", reference="ST202602"):
    return StatementData(kind=kind, account=account, reference=reference, currency="PLN", lines=tuple(lines),
                         date_from=date(2026, 2, 1), date_to=date(2026, 2, 28))


def y_lines():
    """Company Y (cast): VAT-7 700.00 and CIT 90.00 of 2026-01, approved."""
    micro = tax_microaccount(nip=NIP_Y)
    return [
        debit(1, "700.00", micro, tax_transfer_title("VAT-7", "2026-01", nip=NIP_Y)),
        debit(2, "90.00", micro, tax_transfer_title("CIT", "2026-01", nip=NIP_Y)),
        debit(3, "1234.56", SUPPLIER, "Faktura 12/2026"),  # not a tax payment: counted, not stored
        StatementLine(4, date(2026, 2, 21), D("5000.00"), False, counterparty_account=SUPPLIER, title="Wpłata"),
    ]


def reparse(data: StatementData) -> StatementData:
    """Through the real file: written as MT940 or CAMT.053 and parsed back by the importer."""
    content = render_mt940(data) if data.kind == "mt940" else render_camt053(data)
    parsed = parse_statement(content, kind=data.kind)
    assert len(parsed.statements) == 1
    return parsed.statements[0]


def statement_file(data: StatementData) -> bytes:
    return render_mt940(data) if data.kind == "mt940" else render_camt053(data)
