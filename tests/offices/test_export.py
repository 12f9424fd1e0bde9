"""Export of approved figures (CSV, XLSX) for a month or a company: approved values only, roles respected."""

import csv
import io
from decimal import Decimal

from openpyxl import load_workbook

from offices.accounts.models import OfficeSettings
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
    # X's January VAT: the approved 1000.00, not the pending 1050.00
    assert values[(NIP_X, "tax:VAT-7")] == "1000.00"
    assert values[(NIP_Y, "tax:CIT")] == "90.00"
    assert all(row[2] == "2026-01" for row in rows)
    assert not any(row[5] == "1050.00" for row in rows)


def test_company_as_xlsx(office_client, cast):
    client = office_client(cast.office_a, cast.alice)
    response = client.get(URL, {"company": cast.company_x.pk, "format": "xlsx"})
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert {row[0] for row in rows[1:]} == {NIP_X}
    amounts = {row[3]: row[5] for row in rows[1:]}
    assert Decimal(str(amounts["tax:VAT-7"])) == Decimal("1000")
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
