"""Finding 8 of the penetration test: an empty POST to …/basic/ blanked a company's name, address, e-mail, phone
and REGON; to …/sources/ it set every source to "do not update". A form changes only the fields it carries."""

import pytest

from clients.models import Company, CompanyChange
from tests.offices.panel_support import in_office

SOURCE_FIELDS = ("source_basic_data", "source_zus", "source_taxes", "source_statements")
BASIC = ("name", "regon", "street", "postal_code", "city", "country", "email", "phone", "vat", "income_tax",
         "zus_payer")


def _company(cast):
    with in_office(cast.office_a):
        company = Company.objects.get(pk=cast.company_x.pk)
        return {name: getattr(company, name) for name in (*BASIC, *SOURCE_FIELDS, "office_edited")}


def _changes(cast):
    with in_office(cast.office_a):
        return CompanyChange.objects.filter(company=cast.company_x).count()


@pytest.mark.parametrize("page", ["basic/", "sources/"])
def test_an_empty_post_changes_nothing(office_client, cast, page):
    before, audit = _company(cast), _changes(cast)
    assert before["name"] and before["source_zus"]
    response = office_client(cast.office_a, cast.alice).post(f"/panel/companies/{cast.company_x.pk}/{page}", {})
    assert response.status_code == 302
    assert _company(cast) == before
    assert _changes(cast) == audit


def test_a_post_with_one_field_changes_only_that_field(office_client, cast):
    before = _company(cast)
    client = office_client(cast.office_a, cast.alice)
    assert client.post(f"/panel/companies/{cast.company_x.pk}/basic/", {"city": "Kraków"}).status_code == 302
    assert client.post(f"/panel/companies/{cast.company_x.pk}/sources/", {"taxes": ""}).status_code == 302
    after = _company(cast)
    assert after["city"] == "Kraków" and after["source_taxes"] is None
    assert {name for name in after if after[name] != before[name]} == {"city", "source_taxes", "office_edited"}
