"""Bank statements settle exactly the items they pay: account + title + amount, never a guess; twice = no change;
a client cannot import another company's statement; the client then sees the item as settled.

Every statement is built here (MT940 and CAMT.053, sync.importers.statement_writer) — no file from outside.
"""

from dataclasses import replace
from datetime import date

import pytest
from django.utils import translation
from django_tenants.utils import schema_context

from clients.bank_matching import parse_tax_title, zus_periods
from clients.bank_statements import StatementRefusedError, import_statement, recheck_unmatched, unmatched_lines
from clients.dashboard import dashboard_for
from clients.models import BankStatementLine, Company, CompanyChange, LineStatus, Settlement, StatementSource
from clients.payments import tax_microaccount, tax_transfer_title, zus_transfer_title
from clients.zus_accounts import set_company_zus_account
from sync.agent.files import sniff_kind
from sync.importers.mt940_statements import looks_like_mt940
from tests.clients.bank_files import OTHER_ACCOUNT, D, debit, nrs_of, reparse, statement, y_lines
from tests.conftest import NIP_X, NIP_Y


@pytest.mark.parametrize("kind", ["mt940", "camt053"])
def test_a_statement_settles_exactly_the_matching_items_and_twice_changes_nothing(cast, kind):
    with schema_context(cast.office_a.schema_name):
        data = reparse(statement(y_lines(), kind=kind))
        assert [line.counterparty_account for line in data.lines[:2]] == [tax_microaccount(nip=NIP_Y)] * 2
        outcome = import_statement(data, source=StatementSource.PANEL, by=cast.alice)
        assert (len(outcome.matched), len(outcome.unmatched), outcome.other) == (2, 0, 2)
        assert outcome.settlements.recorded == 2
        settled = {(s.what, s.amount, s.source, s.paid_on) for s in Settlement.objects.filter(company=cast.company_y)}
        assert settled == {("VAT-7", D("700.00"), "bank", date(2026, 2, 20)),
                           ("CIT", D("90.00"), "bank", date(2026, 2, 20))}
        assert BankStatementLine.objects.count() == 2  # the supplier's and the credit line are not kept
        audit = CompanyChange.objects.filter(company=cast.company_y, action=CompanyChange.Action.SETTLED)
        assert audit.count() == 1 and audit.get().details["source"] == "bank"
        assert not Settlement.objects.filter(company=cast.company_x).exists()

        again = import_statement(data, source=StatementSource.PANEL, by=cast.alice)
        assert (len(again.matched), len(again.already), again.settlements.recorded) == (0, 2, 0)
        assert BankStatementLine.objects.count() == 2 and audit.count() == 1
        board = dashboard_for(cast.carol, today=date(2026, 3, 10))[0]
    assert all(item.settled and not item.to_pay for item in board.items)
    assert board.total_to_pay == 0 and board.overdue_total == 0


def test_the_same_payments_in_another_file_of_the_account_change_nothing(cast):
    with schema_context(cast.office_a.schema_name):
        import_statement(reparse(statement(y_lines())), source=StatementSource.PANEL)
        monthly = reparse(statement(y_lines(), kind="camt053", reference="MONTHLY-02"))
        outcome = import_statement(monthly, source=StatementSource.PANEL)
        assert (len(outcome.matched), len(outcome.already)) == (0, 2)


def test_never_a_guess_every_unmatched_line_has_its_reason(cast):
    micro_y = tax_microaccount(nip=NIP_Y)
    lines = [
        debit(1, "700.01", micro_y, tax_transfer_title("VAT-7", "2026-01", nip=NIP_Y)),  # wrong amount
        debit(2, "90.00", micro_y, "podatek za styczeń"),  # no /OKR/ /SFP/
        debit(3, "90.00", micro_y, tax_transfer_title("CIT", "2026-03", nip=NIP_Y)),  # no such item
        debit(4, "90.00", micro_y, "/TI/N1234563218/OKR/26M01/SFP/CIT-8"),  # someone else's identifier
        debit(5, "50.00", tax_microaccount(nip="7831916366"), tax_transfer_title("VAT-7", "2026-01",
                                                                                nip="7831916366")),  # no company
    ]
    with schema_context(cast.office_a.schema_name):
        outcome = import_statement(statement(lines), source=StatementSource.PANEL)
        assert outcome.matched == []
        reasons = [line.reason for line in outcome.unmatched]
        assert reasons == ["amount_mismatch", "no_tax_title", "no_item", "identifier_mismatch", "unknown_account"]
        assert not Settlement.objects.exists()
        texts = [line.reason_text for line in unmatched_lines()]
        assert len(texts) == 5 and all(texts)
        with translation.override("pl"):
            polish = {line.row.reason: line.reason_text for line in unmatched_lines()}
        assert "Kwota 700,01" in polish["amount_mismatch"]
        assert "/OKR/" in polish["no_tax_title"]


def test_zus_is_matched_by_the_nrs_and_the_month_of_the_title(cast):
    nrs = nrs_of(NIP_X)
    with schema_context(cast.office_a.schema_name):
        unknown = import_statement(statement([debit(1, "2000.00", nrs, zus_transfer_title("2026-01"))]),
                                   source=StatementSource.PANEL)
        assert [line.reason for line in unknown.unmatched] == ["zus_account_unknown"]
        # a fresh object: the cast's companies are shared by the whole session
        set_company_zus_account(Company.objects.get(pk=cast.company_x.pk), nrs, by=cast.alice)
        lines = [debit(1, "2000.00", nrs, zus_transfer_title("2026-01")),
                 debit(2, "2000.00", nrs, "Składki ZUS", day=date(2026, 2, 21))]
        outcome = import_statement(statement(lines, reference="ST2"), source=StatementSource.PANEL)
        assert [line.item for line in outcome.matched] == ["ZUS 01.2026"]
        assert [line.reason for line in outcome.unmatched] == ["no_zus_period"]
        assert Settlement.objects.get(company=cast.company_x, what="ZUS").amount == D("2000.00")
        # the first statement's line is the same payment (same identity): matched now, not stored twice
        assert BankStatementLine.objects.filter(status=LineStatus.MATCHED).count() == 1
        assert BankStatementLine.objects.count() == 2
        assert recheck_unmatched(by=cast.alice).matched == []  # nothing new to match


def test_a_second_transfer_for_a_settled_item_is_flagged_not_counted(cast):
    micro_y = tax_microaccount(nip=NIP_Y)
    title = tax_transfer_title("VAT-7", "2026-01", nip=NIP_Y)
    with schema_context(cast.office_a.schema_name):
        outcome = import_statement(statement([debit(1, "700.00", micro_y, title),
                                              debit(2, "700.00", micro_y, title, day=date(2026, 2, 22))]),
                                   source=StatementSource.PANEL)
        assert len(outcome.matched) == 1 and [line.reason for line in outcome.unmatched] == ["already_settled"]


def test_a_client_imports_only_their_own_companys_statement(cast):
    with schema_context(cast.office_a.schema_name):
        # Carol (company Y) uploads a statement paying X's taxes only: another company's account
        x_lines = [debit(1, "250.00", tax_microaccount(nip=NIP_X), tax_transfer_title("PIT-5L", "2026-01",
                                                                                       nip=NIP_X))]
        with pytest.raises(StatementRefusedError) as refused:
            import_statement(statement(x_lines, account=OTHER_ACCOUNT), source=StatementSource.CLIENT,
                             by=cast.carol, company=cast.company_y)
        assert refused.value.code == "foreign_account"
        assert not Settlement.objects.exists() and not BankStatementLine.objects.exists()
        # Her own statement settles her items; X's payment inside it settles nothing of X
        mixed = import_statement(statement([*y_lines()[:2], replace(x_lines[0], position=3)]),
                                 source=StatementSource.CLIENT, by=cast.carol, company=cast.company_y)
        assert len(mixed.matched) == 2 and [line.reason for line in mixed.unmatched] == ["not_your_company"]
        assert not Settlement.objects.filter(company=cast.company_x).exists()
        # The account is now known as Y's: Bob (company X) cannot import it as his
        with pytest.raises(StatementRefusedError):
            import_statement(statement(x_lines, reference="ST3"), source=StatementSource.CLIENT, by=cast.bob,
                             company=cast.company_x)


def test_a_tax_payment_without_a_beneficiary_account_does_not_make_a_statement_foreign(cast):
    with schema_context(cast.office_a.schema_name):
        # Carol's own statement whose only tax-looking line names no beneficiary account (some banks leave it out)
        title = tax_transfer_title("VAT-7", "2026-01", nip=NIP_Y)
        outcome = import_statement(statement([debit(1, "700.00", "", title)], account=OTHER_ACCOUNT),
                                   source=StatementSource.CLIENT, by=cast.carol, company=cast.company_y)
        assert not outcome.matched and len(outcome.unmatched) == 1  # not refused as someone else's; never a guess


def test_an_mt940_lookalike_needs_both_fields_in_order():
    crafted = b":20:x\n" * 20000  # many references and no account line: refused, by two plain searches
    assert not looks_like_mt940(crafted) and sniff_kind(crafted, "a.sta") is None
    assert not looks_like_mt940(b":25:PL61109010140000071219812874\n:20:ST1\n")
    assert looks_like_mt940(b":20:ST1\n:25:PL61109010140000071219812874\n") is True


def test_titles_are_read_across_the_banks_cuts():
    title = parse_tax_title("/TI/N5260250995/OKR/26M\n10/SFP/VA T-7/TXT/VAT 10.2026")
    assert (title.identifier, title.period, title.symbol) == ("N5260250995", "26M10", "VAT-7")
    assert parse_tax_title("podatek VAT") is None
    assert zus_periods("Składki ZUS 10.2026") == {date(2026, 10, 1)}
    assert zus_periods("ZUS 2026-03 i 04/2026") == {date(2026, 3, 1), date(2026, 4, 1)}
    assert zus_periods("ZUS 13.2026 ref 123456") == set()


def test_a_payment_waiting_for_its_item_settles_it_when_the_office_checks_again(cast):
    from clients.models import parse_period  # noqa: PLC0415
    from clients.services import set_manual_value  # noqa: PLC0415 - this test alone

    micro_y = tax_microaccount(nip=NIP_Y)
    line = debit(1, "55.00", micro_y, tax_transfer_title("CIT", "2026-02", nip=NIP_Y))
    with schema_context(cast.office_a.schema_name):
        first = import_statement(statement([line]), source=StatementSource.PANEL)
        assert [row.reason for row in first.unmatched] == ["no_item"]
        set_manual_value(cast.company_y, parse_period("2026-02"), "tax:CIT", D("55.00"), by=cast.alice)
        rechecked = recheck_unmatched(by=cast.alice)
        assert [row.item for row in rechecked.matched] == ["CIT 02.2026"] and rechecked.settlements.recorded == 1
        assert Settlement.objects.get(company=cast.company_y, what="CIT").amount == D("55.00")
        assert unmatched_lines() == []
        # and the statement imported again now changes nothing
        assert import_statement(statement([line]), source=StatementSource.PANEL).settlements.recorded == 0
