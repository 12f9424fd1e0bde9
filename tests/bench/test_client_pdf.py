"""Client views: how long the monthly PDF takes, against the same month as a web page, and the dashboard.

1. ``render_month_pdf`` of one month (N=20, after one warm-up) of
   a) the cast's company X (3 payment items, a 3-line statement) and
   b) a company with 24 months of history (VAT, PIT-5L, PIT-4, ZUS, a 4-line statement: 4 items, 2 QR codes…),
   against two baselines measured in the same run: ``month_pdf_html`` alone (the same data and
   template without WeasyPrint), and the web month page (``GET /client/company/<id>/<month>/``
   through the whole Django stack).
2. The dashboard's server time (``GET /client/``, Django test client, whole stack incl. session and
   tenant lookup) for bob (1 month of history) and for a client with 24 months: it should not grow.
"""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_tenants.utils import schema_context

from clients.activation import link_login
from clients.models import Company, Person, parse_period
from clients.pdf import month_pdf_html, render_month_pdf
from offices.accounts.models import Role
from offices.accounts.services import create_login
from sync.ingest import apply_batch
from tests.bench.conftest import timed
from tests.clients import batches as b
from tests.conftest import OfficeClient

pytestmark = pytest.mark.bench

N = 20


def _long_history_client(cast):
    nip, pesel = b.make_nip(8800), b.make_pesel(8800)
    data = b.full_company(0, nip, b.months(2024) + b.months(2025), people=[b.person(0, "Ewa", "Long", pesel=pesel)])
    apply_batch(b.batch(data, approve=True), None)
    user = create_login("ewa.long@example.com", role=Role.CLIENT, password="ewa-long-password-1", verified=True)
    link_login(Person.objects.get(pesel=pesel), user)
    return user, Company.objects.get(nip=nip)


def _samples(function, *args, **kwargs) -> list[float]:
    function(*args, **kwargs)  # warm-up: templates, fonts, query plans
    return [timed(function, *args, **kwargs) for _ in range(N)]


def _get(client, url):
    response = client.get(url)
    assert response.status_code == 200, url


def _real_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as queries:
        _get(client, url)
    return sum(1 for q in queries.captured_queries if not q["sql"].startswith("SET search_path"))


def test_month_pdf_and_dashboard(committed_cast, bench_report):
    cast = committed_cast
    report = bench_report("client_pdf")
    office = cast.office_a
    with schema_context(office.schema_name):
        ewa, long_company = _long_history_client(cast)
    cases = [("company X 2026-01", cast.company_x, parse_period("2026-01"), cast.bob),
             ("24-month company 2025-12", long_company, parse_period("2025-12"), ewa)]
    for name, company, period, user in cases:
        client = OfficeClient(office).login_as(user)
        with schema_context(office.schema_name):
            pdf = render_month_pdf(company, period, office=office)
            report.add(f"render_month_pdf, {name}", _samples(render_month_pdf, company, period, office=office),
                       pdf_bytes=len(pdf))
            report.add(f"baseline: month_pdf_html only, {name}",
                       _samples(month_pdf_html, company, period, office=office))
        url = f"/client/company/{company.pk}/{period:%Y-%m}/"
        report.add(f"baseline: web month page GET, {name}", _samples(_get, client, url))
    for name, user in (("bob, 1 month of history", cast.bob), ("ewa, 24 months of history", ewa)):
        client = OfficeClient(office).login_as(user)
        report.add(f"dashboard GET /client/, {name}", _samples(_get, client, "/client/"),
                   queries=_real_queries(client, "/client/"))
    report.note("PDF: WeasyPrint 70, fonts DejaVu (system), no network (data:/file: only); "
                "times include building the data (2 queries) and the QR codes.")
