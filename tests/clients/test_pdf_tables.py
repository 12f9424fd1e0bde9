"""The monthly PDF keeps its tables whole: a statement table that fits on a page is moved to the next page
rather than split, and one longer than a page repeats its header row on every page it spans."""

import io
import re
from datetime import date

import pytest
from django.utils import translation
from django_tenants.utils import schema_context
from pypdf import PdfReader

from clients.approval import approve_company
from clients.dashboard import month_view
from clients.models import Company, parse_period
from clients.pdf import KEEP_WHOLE_ROWS, render_month_pdf
from sync.ingest import apply_batch
from tests.clients import batches as b

NIP_PDF = b.make_nip(8181)
PERIOD = "2026-01"
TODAY = date(2026, 2, 2)
TAXES = ("VAT-7", "PIT-4", "PIT-5L", "PIT-8A", "CIT")
HEADER = "Item Amount"  # the statement table's header row, as pypdf reads it (English)


def _pages(pdf: bytes) -> list[str]:
    reader = PdfReader(io.BytesIO(pdf))
    return [re.sub(r"[ \t\xa0]+", " ", page.extract_text()) for page in reader.pages]


def _page_of(pages: list[str], text: str) -> list[int]:
    return [number for number, page in enumerate(pages) if text in page]


def _pdf_with_statement(cast, lines: int) -> tuple[list[str], list[str]]:
    """A company whose month fills most of the first page with items, then a statement of ``lines`` lines."""
    totals = {f"pozycja_{number:03d}": 1000 + number for number in range(lines)}
    with schema_context(cast.office_a.schema_name), translation.override("en"):
        apply_batch(b.batch(b.company(
            0, NIP_PDF, "Firma PDF Sp. z o.o.",
            taxes=[b.tax(i, PERIOD, kind, 100 + i) for i, kind in enumerate(TAXES)],
            zus_entries=[b.zus(0, PERIOD, total=1800, social=1400, health=400)],
            statements=[b.statement(0, PERIOD, 50000, 30000, **totals)])), None)
        company = Company.objects.get(nip=NIP_PDF)
        approve_company(company, by_user=cast.alice)
        labels = [line.label for line in month_view(company, parse_period(PERIOD), TODAY).statements]
        pdf = render_month_pdf(company, parse_period(PERIOD), today=TODAY, office=cast.office_a)
    return _pages(pdf), labels


def _row_pages(pages: list[str], labels: list[str]) -> list[list[int]]:
    # "pozycja 001" may also be read inside "pozycja 0010": match a label with its amount on the same line.
    return [[n for n, page in enumerate(pages) if re.search(rf"^{re.escape(label)} .*\d", page, re.M)]
            for label in labels]


@pytest.mark.slow
@pytest.mark.parametrize("lines", [12, 24])
def test_a_statement_that_fits_on_a_page_is_not_split(cast, lines):
    """The items fill the first page and part of the second; as the statement grows, it reaches the second
    page's end at some length (a split without the rule): it moves to the next page instead, with its heading."""
    pages, labels = _pdf_with_statement(cast, lines)
    assert len(labels) == lines + 3 <= KEEP_WHOLE_ROWS  # revenue, costs, income, then the office's own lines
    rows = _row_pages(pages, labels[3:])
    assert all(len(found) == 1 for found in rows), rows  # every row printed once
    first, last = rows[0][0], rows[-1][0]
    assert first == last, f"the statement table is split between pages {first + 1} and {last + 1}"
    assert first >= 1  # the items fill the first page
    assert first in _page_of(pages, HEADER)  # the header row is printed with the rows
    assert re.search(r"^Statement$", pages[first], re.M), "the heading stays with its table"


@pytest.mark.slow
def test_a_statement_longer_than_a_page_repeats_its_header_row_on_every_page(cast):
    pages, labels = _pdf_with_statement(cast, 90)
    rows = _row_pages(pages, labels[3:])
    assert all(len(found) == 1 for found in rows), rows
    spanned = sorted({found[0] for found in rows})
    assert len(spanned) >= 2, "the table should be longer than a page"
    assert set(spanned) <= set(_page_of(pages, HEADER)), (spanned, _page_of(pages, HEADER))
    assert re.search(r"^Statement$", pages[spanned[0]], re.M), "the heading stays with the first rows"
