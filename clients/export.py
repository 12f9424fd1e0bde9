"""Export of approved figures (what clients see) for one month or one company, as CSV or XLSX.

Only approved revisions are exported; pending values never leave the panel. Rows are streamed from
one query (``iterator``), so a month of thousands of companies does not build a list in memory for CSV.
The files are made for Polish spreadsheets: Polish headers and names (never a code such as ``tax:VAT-7``
or ``file_import``), local time, and in CSV ``;`` with a decimal comma and a BOM, as Polish Excel reads it.
Text that came from agents (a company's name, a statement line's name) may start with ``=``, ``+``, ``-`` or
``@``; a spreadsheet would run it as a formula, so it is neutralised (formula injection).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date, datetime

from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from clients.models import MANUAL_SOURCE, Company, Revision, RevisionLabel, RevisionState, format_period
from clients.names import figure_name, program_name

COLUMNS = ("nip", "company", "period", "kind", "payer", "amount", "due_date", "label", "source", "approved_at",
           "approved_by")
HEADER = (gettext_lazy("NIP"), gettext_lazy("Company"), gettext_lazy("Month"), gettext_lazy("Item"),
          gettext_lazy("Payer (PESEL or NIP)"), gettext_lazy("Amount (PLN)"), gettext_lazy("Due date"),
          gettext_lazy("Type"), gettext_lazy("Source"), gettext_lazy("Approved at"), gettext_lazy("Approved by"))
#: What a spreadsheet would start a formula with (OWASP's list for CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def approved_rows(companies: QuerySet[Company], *, period: date | None = None,
                  company: Company | None = None) -> Iterator[tuple]:
    """``COLUMNS`` tuples of the approved values, ordered by company, month, kind and payer."""
    revisions = Revision.objects.filter(state=RevisionState.APPROVED, figure__company__in=companies)
    if period is not None:
        revisions = revisions.filter(figure__period=period)
    if company is not None:
        revisions = revisions.filter(figure__company=company)
    revisions = revisions.order_by("figure__company__name", "figure__company__nip", "figure__period",
                                   "figure__kind", "figure__payer_key")
    fields = ("figure__company__nip", "figure__company__name", "figure__period", "figure__kind",
              "figure__payer_key", "amount", "due_date", "label", "source", "approved_at",
              "approved_by__email", "approved_by_agent_name")
    for row in revisions.values_list(*fields).iterator(chunk_size=2000):
        nip, name, per, kind, payer, amount, due, label, source, at, user_email, agent_name = row
        yield (nip, name, format_period(per), figure_name(kind), payer, amount, due, label_name(label),
               source_name(source), at, user_email or agent_name)


def label_name(label: str) -> str:
    return str(RevisionLabel(label).label) if label in RevisionLabel.values else label


def source_name(source: str) -> str:
    return _("entered by the office") if source == MANUAL_SOURCE else program_name(source)


def neutralised(text: str) -> str:
    """Text a spreadsheet shows as it is, never evaluates."""
    return "'" + text if text and text.startswith(FORMULA_STARTS) else text


def local_time(moment: datetime | None) -> datetime | None:
    """The office's wall-clock time (what the panel shows), without a zone: spreadsheets have none."""
    return timezone.localtime(moment).replace(tzinfo=None) if moment else None


def header() -> list[str]:
    return [str(name) for name in HEADER]


def to_csv(rows: Iterable[tuple]) -> Iterator[str]:
    """CSV lines: ``;``-separated, UTF-8 with a BOM, amounts with a decimal comma, times in local time."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    buffer.write("\ufeff")
    writer.writerow(header())
    for row in rows:
        nip, name, per, kind, payer, amount, due, label, source, at, by = row
        at = local_time(at)
        writer.writerow([nip, neutralised(name), per, neutralised(kind), neutralised(payer),
                         f"{amount:.2f}".replace(".", ","), due.isoformat() if due else "", label, source,
                         at.strftime("%Y-%m-%d %H:%M") if at else "", neutralised(by)])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def to_xlsx(rows: Iterable[tuple]) -> bytes:
    """An XLSX workbook (write-only mode: constant memory per row): amounts as numbers with two decimals, dates and
    times as real date cells in local time, text always as text."""
    workbook, sheet = titled_sheet(_("approved"), header())
    for row in rows:
        nip, name, per, kind, payer, amount, due, label, source, at, by = row
        amount_cell = WriteOnlyCell(sheet, value=amount)
        amount_cell.number_format = "#,##0.00"
        due_cell = WriteOnlyCell(sheet, value=due)
        due_cell.number_format = "yyyy-mm-dd"
        at_cell = WriteOnlyCell(sheet, value=local_time(at))
        at_cell.number_format = "yyyy-mm-dd hh:mm"
        sheet.append([nip, text_cell(sheet, name), per, text_cell(sheet, kind), text_cell(sheet, payer),
                      amount_cell, due_cell, label, source, at_cell, text_cell(sheet, by)])
    return workbook_bytes(workbook)


def titled_sheet(title: str, names) -> tuple[Workbook, object]:
    """A write-only workbook with one sheet whose first row is ``names`` in bold."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title)
    bold = Font(bold=True)
    cells = []
    for name in names:
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        cells.append(cell)
    sheet.append(cells)
    return workbook, sheet


def workbook_bytes(workbook: Workbook) -> bytes:
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def text_cell(sheet, text: str) -> WriteOnlyCell:
    # openpyxl stores a string starting with "=" as a formula; a text cell is never evaluated.
    cell = WriteOnlyCell(sheet, value=text)
    cell.data_type = "s"
    return cell
