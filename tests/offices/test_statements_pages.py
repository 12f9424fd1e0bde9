"""The bank-statement pages: the panel's import and unmatched list, the client's upload (own companies only)
and what the client sees afterwards."""

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django_tenants.utils import schema_context

from clients.models import Settlement
from clients.payments import tax_microaccount, tax_transfer_title
from tests.clients.bank_files import OTHER_ACCOUNT, debit, statement, statement_file, y_lines
from tests.conftest import NIP_X, NIP_Y


def _file(data, name="wyciag.sta"):
    return SimpleUploadedFile(name, statement_file(data))


def test_the_office_imports_a_statement_and_sees_the_unmatched_payments_with_reasons(cast, office_client):
    client = office_client(cast.office_a, cast.alice)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "pl"
    form = client.get("/panel/upload/")
    assert form.status_code == 200 and 'action="/panel/upload/statement/"' in form.content.decode()
    lines = [*y_lines(), debit(5, "12.00", tax_microaccount(nip=NIP_Y), "podatek")]
    page = client.post("/panel/upload/statement/", {"file": _file(statement(lines))})
    html = page.content.decode()
    assert page.status_code == 200, html[:2000]
    assert html.count('data-status="matched"') == 2 and 'data-reason="no_tax_title"' in html
    with schema_context(cast.office_a.schema_name):
        assert Settlement.objects.filter(company=cast.company_y, source="bank").count() == 2
    unmatched = client.get("/panel/settlements/unmatched/").content.decode()
    assert 'data-reason="no_tax_title"' in unmatched and "/OKR/" in unmatched
    assert client.post("/panel/settlements/unmatched/recheck/").status_code == 302
    bad = client.post("/panel/upload/statement/", {"file": SimpleUploadedFile("x.xml", b"<!DOCTYPE x><x/>")})
    assert bad.status_code == 422 and 'data-code="forbidden_xml"' in bad.content.decode()


def test_a_client_settles_their_own_items_and_then_sees_them_settled(cast, office_client):
    client = office_client(cast.office_a, cast.carol)
    assert client.get("/client/statements/").status_code == 200
    page = client.post("/client/statements/", {"company": cast.company_y.pk, "file": _file(statement(y_lines()))})
    html = page.content.decode()
    assert page.status_code == 200 and html.count('data-status="matched"') == 2, html[:3000]
    dashboard = client.get(f"/client/company/{cast.company_y.pk}/2026-01/").content.decode()
    assert "settled" in dashboard.lower() or "rozliczon" in dashboard.lower()
    with schema_context(cast.office_a.schema_name):
        assert Settlement.objects.filter(company=cast.company_y, source="bank", paid_on=date(2026, 2, 20)).count() == 2


def test_a_client_cannot_import_for_or_as_another_company(cast, office_client):
    carol = office_client(cast.office_a, cast.carol)
    x_line = debit(1, "250.00", tax_microaccount(nip=NIP_X), tax_transfer_title("PIT-5L", "2026-01", nip=NIP_X))
    # not her company: the same 404 as a missing one (the form refuses the choice)
    other = carol.post("/client/statements/", {"company": cast.company_x.pk,
                                               "file": _file(statement([x_line], account=OTHER_ACCOUNT))})
    assert other.status_code in (404, 422)
    # her company, but a statement paying only X's taxes: another company's account
    refused = carol.post("/client/statements/", {"company": cast.company_y.pk,
                                                 "file": _file(statement([x_line], account=OTHER_ACCOUNT))})
    assert refused.status_code == 422 and 'data-code="foreign_account"' in refused.content.decode()
    with schema_context(cast.office_a.schema_name):
        assert not Settlement.objects.exists()
    # staff and anonymous users have no client page
    assert office_client(cast.office_a, cast.alice).get("/client/statements/").status_code == 404
    assert office_client(cast.office_a).get("/client/statements/").status_code == 302
    assert office_client(cast.office_b, cast.dave).get("/client/statements/").status_code == 404
