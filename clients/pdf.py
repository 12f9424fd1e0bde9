"""The monthly PDF: the same data as the month page, with the office's branding.

``render_month_pdf(company, period)`` serves the web download and the e-mail attachment alike. It never
touches the network: styles, the QR codes, the chart and the logo are all inside the HTML (the logo as a
data: URI read from the office's storage), and WeasyPrint's fetcher allows only ``data:`` and ``file:``.
"""

import base64
import mimetypes
from datetime import date

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import timezone

from clients.charts import revenue_costs_svg
from clients.dashboard import month_view
from clients.models import Company
from offices.accounts.models import OfficeSettings
from offices.tenancy import current_office

LOGO_MAX_BYTES = 2 * 1024 * 1024
# A statement of at most this many lines fits on one A4 page with its heading: it is kept whole (moved to the
# next page rather than split). A longer one cannot be, so it breaks between rows and repeats its header row.
KEEP_WHOLE_ROWS = 28


def _logo_data_uri() -> str:
    """The office's logo as a data: URI ('' when there is none or it cannot be read)."""
    logo = getattr(OfficeSettings.load(), "logo", None)
    if not logo:
        return ""
    try:
        with logo.open("rb") as handle:
            content = handle.read(LOGO_MAX_BYTES + 1)
    except OSError:
        return ""
    mime = mimetypes.guess_type(logo.name)[0] or "application/octet-stream"
    if len(content) > LOGO_MAX_BYTES or not mime.startswith("image/"):
        return ""
    return f"data:{mime};base64,{base64.b64encode(content).decode('ascii')}"


def month_pdf_html(company: Company, period: date, *, today: date | None = None, office=None) -> str:
    """The HTML the PDF is made of (also what the benchmark compares the PDF rendering against)."""
    today = today or timezone.localdate()
    view = month_view(company, period, today)
    context = {
        "view": view,
        "company": company,
        "office": office or current_office(),
        "logo": _logo_data_uri(),
        "chart": revenue_costs_svg(view.year, year=period.year, highlight=period),
        "keep_statement_whole": len(view.statements) <= KEEP_WHOLE_ROWS,
        "generated": timezone.localtime(),
    }
    return render_to_string("clients/month_pdf.html", context)


def render_month_pdf(company: Company, period: date, *, today: date | None = None, office=None) -> bytes:
    """The month's summary as PDF bytes (call inside the office's schema, in the language to print in)."""
    # Imported here: WeasyPrint loads Pango and cairo (about a second), paid only by processes that make PDFs.
    from weasyprint import HTML  # noqa: PLC0415
    from weasyprint.urls import URLFetcher  # noqa: PLC0415

    html = month_pdf_html(company, period, today=today, office=office)
    fetcher = URLFetcher(allowed_protocols={"data", "file"}, timeout=1)
    base_url = str(settings.BASE_DIR / "static") + "/"
    return HTML(string=html, base_url=base_url, url_fetcher=fetcher).write_pdf()


def month_pdf_filename(company: Company, period: date) -> str:
    return f"biurko-{company.nip}-{period.year:04d}-{period.month:02d}.pdf"
