"""Export of approved figures (what clients see) for one month or one company, as CSV or XLSX.

Only approved revisions are exported; pending values never leave the panel. Rows are streamed from
one query (``iterator``), so a month of thousands of companies does not build a list in memory for CSV.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Iterator
from datetime import date

from django.db.models import QuerySet
from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from clients.models import Company, Revision, RevisionState, format_period

COLUMNS = ("nip", "company", "period", "kind", "payer", "amount", "due_date", "label", "source", "approved_at",
           "approved_by")


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
        yield (nip, name, format_period(per), kind, payer, amount, due, label, source, at,
               user_email or agent_name)


def header() -> list[str]:
    return [_("NIP"), _("company"), _("month"), _("kind"), _("payer"), _("amount"), _("due date"), _("label"),
            _("source"), _("approved"), _("approved by")]


def to_csv(rows: Iterable[tuple]) -> Iterator[str]:
    """CSV lines (``;``-separated with a BOM, as Polish Excel opens them), amounts with a dot."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";")
    buffer.write("\ufeff")
    writer.writerow(header())
    for row in rows:
        nip, name, per, kind, payer, amount, due, label, source, at, by = row
        writer.writerow([nip, name, per, kind, payer, f"{amount:.2f}", due.isoformat() if due else "", label, source,
                         at.isoformat(timespec="seconds") if at else "", by])
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


def to_xlsx(rows: Iterable[tuple]) -> bytes:
    """An XLSX workbook (write-only mode: constant memory per row), amounts as numbers with two decimals."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(_("approved"))
    bold = Font(bold=True)
    title = []
    for name in header():
        cell = WriteOnlyCell(sheet, value=name)
        cell.font = bold
        title.append(cell)
    sheet.append(title)
    for row in rows:
        nip, name, per, kind, payer, amount, due, label, source, at, by = row
        amount_cell = WriteOnlyCell(sheet, value=amount)
        amount_cell.number_format = "#,##0.00"
        due_cell = WriteOnlyCell(sheet, value=due)
        due_cell.number_format = "yyyy-mm-dd"
        sheet.append([nip, name, per, kind, payer, amount_cell, due_cell, label, source,
                      at.replace(tzinfo=None) if at else None, by])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
