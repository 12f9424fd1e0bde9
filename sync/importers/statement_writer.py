"""Writing bank statements (MT940 as Polish banks export it, CAMT.053.001.02): for the demo office's
statement to import, and for the tests, which build every file they read (docs/importers.md)."""

from __future__ import annotations

from decimal import Decimal
from xml.sax.saxutils import escape

from clients.bank_matching import StatementData, StatementLine


def _mt_amount(value) -> str:
    return f"{value:.2f}".replace(".", ",")


def _chunks(text: str, size: int) -> list[str]:
    return [text[i:i + size] for i in range(0, len(text), size)] or [""]


def render_mt940(statement: StatementData, *, separator: str = "~", opening: str = "10000.00") -> bytes:
    """An MT940 message: ``:86:`` structured the ZBP way (title in subfields 20–25 of 27 characters each)."""
    first = statement.lines[0].booked_on if statement.lines else statement.date_from
    rows = [f":20:{statement.reference.split(' ')[0] or 'STMT'}", f":25:/PL{statement.account}", ":28C:00001/001",
            f":60F:C{first:%y%m%d}{statement.currency}{_mt_amount(Decimal(opening))}"]
    balance = Decimal(opening)
    for line in statement.lines:
        mark = "D" if line.debit else "C"
        balance += -line.amount if line.debit else line.amount
        reference = line.reference or "NONREF"
        rows.append(f":61:{line.booked_on:%y%m%d%m%d}{mark}{_mt_amount(line.amount)}NTRF{reference[:16]}")
        details = ["020", f"00{'PRZELEW' if line.debit else 'UZNANIE'}"]
        details += [f"{20 + i}{chunk}" for i, chunk in enumerate(_chunks(line.title, 27)[:6])]
        if line.counterparty_account:
            details += [f"30{line.counterparty_account[2:10]}", f"31{line.counterparty_account[10:]}",
                        f"38PL{line.counterparty_account}"]
        if line.counterparty_name:
            details.append(f"32{line.counterparty_name[:27]}")
        text = separator.join(details)
        rows.append(":86:" + "\n".join(_chunks(text, 65)))
    last = statement.lines[-1].booked_on if statement.lines else first
    rows.append(f":62F:{'C' if balance >= 0 else 'D'}{last:%y%m%d}{statement.currency}{_mt_amount(abs(balance))}")
    return ("\r\n".join(rows) + "\r\n-").encode("utf-8")


def _camt_entry(line: StatementLine) -> str:
    party, account = ("Cdtr", "CdtrAcct") if line.debit else ("Dbtr", "DbtrAcct")
    related = ""
    if line.counterparty_account or line.counterparty_name:
        related = (f"<RltdPties><{party}><Nm>{escape(line.counterparty_name)}</Nm></{party}>"
                   + (f"<{account}><Id><IBAN>PL{line.counterparty_account}</IBAN></Id></{account}>"
                      if line.counterparty_account else "") + "</RltdPties>")
    return (f"<Ntry><Amt Ccy=\"{line.currency}\">{line.amount:.2f}</Amt>"
            f"<CdtDbtInd>{'DBIT' if line.debit else 'CRDT'}</CdtDbtInd><Sts>BOOK</Sts>"
            f"<BookgDt><Dt>{line.booked_on.isoformat()}</Dt></BookgDt><ValDt><Dt>{line.booked_on.isoformat()}</Dt></ValDt>"
            f"<AcctSvcrRef>{escape(line.reference)}</AcctSvcrRef><BkTxCd/>"
            f"<NtryDtls><TxDtls><Refs><EndToEndId>NOTPROVIDED</EndToEndId></Refs>{related}"
            f"<RmtInf><Ustrd>{escape(line.title)}</Ustrd></RmtInf></TxDtls></NtryDtls></Ntry>")


def render_camt053(statement: StatementData) -> bytes:
    """A CAMT.053.001.02 document with one ``Stmt``."""
    entries = "".join(_camt_entry(line) for line in statement.lines)
    start = statement.date_from.isoformat() if statement.date_from else "2026-01-01"
    end = statement.date_to.isoformat() if statement.date_to else start
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
        f"<BkToCstmrStmt><GrpHdr><MsgId>{escape(statement.reference)}</MsgId>"
        f"<CreDtTm>{end}T18:00:00</CreDtTm></GrpHdr>"
        f"<Stmt><Id>{escape(statement.reference)}</Id><CreDtTm>{end}T18:00:00</CreDtTm>"
        f"<FrToDt><FrDtTm>{start}T00:00:00</FrDtTm><ToDtTm>{end}T23:59:59</ToDtTm></FrToDt>"
        f"<Acct><Id><IBAN>PL{statement.account}</IBAN></Id><Ccy>{statement.currency}</Ccy></Acct>"
        f"{entries}</Stmt></BkToCstmrStmt></Document>").encode()
