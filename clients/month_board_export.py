"""Export of the office's month board (CSV, XLSX), made as ``clients.export`` makes its files: Polish headers,
amounts with a decimal comma in CSV (numbers in XLSX), local time, and text from agents (a company's name)
neutralised so a spreadsheet never runs it as a formula."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl.cell import WriteOnlyCell

from clients.export import local_time, neutralised, text_cell, titled_sheet, workbook_bytes
from clients.models import format_period
from clients.month_board import BoardRow

HEADER = (gettext_lazy("NIP"), gettext_lazy("Company"), gettext_lazy("Month"), gettext_lazy("Data arrived"),
          gettext_lazy("Waiting for approval"), gettext_lazy("Approved"), gettext_lazy("Summary sent"),
          gettext_lazy("Seen by the client"), gettext_lazy("Items to pay"),
          gettext_lazy("Paid per the client"), gettext_lazy("Settled"), gettext_lazy("Amount (PLN)"),
          gettext_lazy("Left to pay (PLN)"), gettext_lazy("Overdue (PLN)"), gettext_lazy("Next due date"))
#: Which columns are amounts and which are moments (the rest is text or a count).
AMOUNTS = (11, 12, 13)
MOMENTS = (3, 6, 7)


def header() -> list[str]:
    return [str(name) for name in HEADER]


def board_rows(rows: Iterable[BoardRow], period) -> Iterator[tuple]:
    month = format_period(period)
    for row in rows:
        yield (row.nip, row.name, month, row.data_at, row.pending, row.approved, row.summary_sent_at, row.seen_at,
               row.items, row.paid_by_client, row.settled, row.amount, row.left_to_pay, row.overdue_amount,
               row.next_due)


def _csv_value(index: int, value) -> str:
    if value is None:
        return ""
    if index in AMOUNTS:
        return f"{value:.2f}".replace(".", ",")
    if index in MOMENTS:
        return local_time(value).strftime("%Y-%m-%d %H:%M")
    if index == 14:
        return value.isoformat()
    if isinstance(value, str):
        return neutralised(value)
    return str(value)


def to_csv(rows: Iterable[tuple]) -> Iterator[str]:
    """``;``-separated, UTF-8 with a BOM, decimal comma, local time: as Polish Excel reads it."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    buffer.write("\ufeff")
    writer.writerow(header())
    for row in rows:
        writer.writerow([_csv_value(index, value) for index, value in enumerate(row)])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def _xlsx_cell(sheet, index: int, value):
    if index in AMOUNTS:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "#,##0.00"
        return cell
    if index in MOMENTS:
        cell = WriteOnlyCell(sheet, value=local_time(value))
        cell.number_format = "yyyy-mm-dd hh:mm"
        return cell
    if index == 14:
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = "yyyy-mm-dd"
        return cell
    if isinstance(value, str):
        return text_cell(sheet, value)
    return value


def to_xlsx(rows: Iterable[tuple]) -> bytes:
    workbook, sheet = titled_sheet(_("month board"), header())
    for row in rows:
        sheet.append([_xlsx_cell(sheet, index, value) for index, value in enumerate(row)])
    return workbook_bytes(workbook)
