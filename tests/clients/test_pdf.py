"""The monthly PDF: renders offline, and its text carries the company, the amounts and the exact titles."""

import io
import re

from django.utils import translation
from django_tenants.utils import schema_context
from pypdf import PdfReader

from clients.models import parse_period
from clients.pdf import month_pdf_html, render_month_pdf
from tests.clients.test_views_dashboard import nrb_for
from tests.conftest import NIP_X


def _text(pdf: bytes) -> str:
    reader = PdfReader(io.BytesIO(pdf))
    return re.sub(r"[ \t\xa0]+", " ", "\n".join(page.extract_text() for page in reader.pages))


def test_the_month_pdf_has_the_company_amounts_accounts_and_titles(cast):
    with schema_context(cast.office_a.schema_name), translation.override("en"):
        pdf = render_month_pdf(cast.company_x, parse_period("2026-01"), office=cast.office_a)
    assert pdf.startswith(b"%PDF-")
    text = _text(pdf)
    assert "Biuro Alfa" in text
    assert "Firma X Sp. z o.o." in text and NIP_X in text
    for amount in ("1,000.00", "250.00", "2,000.00", "5,000.00", "3,000.00"):
        assert amount in text, amount
    assert "1,050.00" not in text  # the pending change stays invisible
    assert f"/TI/N{NIP_X}/OKR/26M01/SFP/VAT-7/TXT/VAT 01.2026" in text.replace("\n", "")
    assert "Składki ZUS 01.2026" in text
    account = nrb_for(NIP_X)
    spaced = account[:2] + " " + " ".join(account[i:i + 4] for i in range(2, 26, 4))
    assert spaced in text


def test_the_pdf_is_in_polish_by_default_and_fetches_nothing(cast):
    with schema_context(cast.office_a.schema_name), translation.override("pl"):
        html = month_pdf_html(cast.company_x, parse_period("2026-01"), office=cast.office_a)
        pdf = render_month_pdf(cast.company_x, parse_period("2026-01"), office=cast.office_a)
    assert not re.search(r'(src|href)="(https?:)?//', html)  # nothing remote to fetch
    assert 'lang="pl"' in html
    assert "1 000,00" in _text(pdf)


def test_the_pdf_carries_one_qr_code_per_payable_item_with_an_account(cast):
    with schema_context(cast.office_a.schema_name):
        html = month_pdf_html(cast.company_x, parse_period("2026-01"), office=cast.office_a)
    # VAT and PIT-5L go to the micro-account; X has no ZUS account on file, so no ZUS code.
    assert html.count('class="payment-qr"') == 2


def test_a_month_without_data_still_renders(cast):
    with schema_context(cast.office_a.schema_name), translation.override("en"):
        text = _text(render_month_pdf(cast.company_x, parse_period("2026-07"), office=cast.office_a))
    assert "Waiting for data" in text


def test_the_web_download(office_client, cast):
    response = office_client(cast.office_a, cast.bob).get(f"/client/company/{cast.company_x.pk}/2026-01/pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="biurko-{NIP_X}-2026-01.pdf"'
    assert NIP_X in _text(response.content)
