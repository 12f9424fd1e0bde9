"""Basic-data conflicts: a synced value that differs from the office's is recorded for review, never
dropped or overwritten silently; the office keeps its value or takes the program's."""

from clients.models import BasicDataConflict, Company, CompanyChange
from offices.accounts.models import OfficeSettings
from sync.agents import create_agent
from sync.ingest import apply_batch
from tests.clients import batches as b
from tests.conftest import NIP_X
from tests.offices.panel_support import HTMX, in_office


def _sync(**fields):
    agent, _token = create_agent("Sync")
    return apply_batch(b.batch(b.company(0, NIP_X, **fields)), agent)


def _overwrite(on: bool):
    row = OfficeSettings.load()
    row.update_basic_data = on
    row.save()


def _open():
    # The cast's second sync of X sends the builder's default name, so X starts with that conflict: left out here.
    return {(c.field, c.ours, c.theirs) for c in BasicDataConflict.objects.filter(resolved_at__isnull=True)
            if not c.theirs.startswith("Firma 1")}


def test_without_update_basic_data_a_different_value_becomes_a_conflict(cast):
    with in_office(cast.office_a):
        _sync(name="Firma X Nowa Nazwa", city="Kraków")
        company = Company.objects.get(pk=cast.company_x.pk)
        assert company.name == "Firma X Sp. z o.o." and company.city == "Warszawa"
        assert _open() == {("name", "Firma X Sp. z o.o.", "Firma X Nowa Nazwa"), ("city", "Warszawa", "Kraków")}
        # the next sync refreshes the open conflict, it does not add a second one
        _sync(name="Firma X Trzecia", city="Kraków")
        assert _open() == {("name", "Firma X Sp. z o.o.", "Firma X Trzecia"), ("city", "Warszawa", "Kraków")}


def test_with_update_basic_data_only_fields_the_office_edited_are_held(cast):
    with in_office(cast.office_a):
        _overwrite(True)
        Company.objects.filter(pk=cast.company_x.pk).update(name="Nazwa biura", office_edited=["name"])
        _sync(name="Nazwa z programu", city="Gdańsk")
        company = Company.objects.get(pk=cast.company_x.pk)
        assert company.name == "Nazwa biura"  # never overwritten silently
        assert company.city == "Gdańsk"  # not edited by the office: the program's value is taken
        assert _open() == {("name", "Nazwa biura", "Nazwa z programu")}


def test_same_or_empty_values_raise_nothing(cast):
    with in_office(cast.office_a):
        _sync(name="Firma X Sp. z o.o.", city="Warszawa")
        assert _open() == set()


def test_keep_ours_through_the_page_and_the_declined_value_is_not_raised_again(office_client, cast):
    with in_office(cast.office_a):
        _sync(name="Inna nazwa")
        conflict = BasicDataConflict.objects.get(field="name")
    client = office_client(cast.office_a, cast.alice)
    assert "Inna nazwa" in client.get(f"/panel/companies/{cast.company_x.pk}/").content.decode()
    response = client.post(f"/panel/companies/{cast.company_x.pk}/conflicts/{conflict.pk}/",
                           {"resolution": "ours"})
    assert response.status_code == 302
    with in_office(cast.office_a):
        assert Company.objects.get(pk=cast.company_x.pk).name == "Firma X Sp. z o.o."
        _sync(name="Inna nazwa")
        assert _open() == set()
        _sync(name="Jeszcze inna")  # a new value of the program is raised again
        assert _open() == {("name", "Firma X Sp. z o.o.", "Jeszcze inna")}
    # resolving twice: 404 (no longer open)
    assert client.post(f"/panel/companies/{cast.company_x.pk}/conflicts/{conflict.pk}/",
                       {"resolution": "ours"}).status_code == 404


def test_take_theirs_with_htmx(office_client, cast):
    with in_office(cast.office_a):
        Company.objects.filter(pk=cast.company_x.pk).update(office_edited=["email", "name"])
        _sync(name="Nazwa programu")
        conflict = BasicDataConflict.objects.get(field="name")
    response = office_client(cast.office_a, cast.alice).post(
        f"/panel/companies/{cast.company_x.pk}/conflicts/{conflict.pk}/", {"resolution": "theirs"}, **HTMX)
    assert response.status_code == 204
    with in_office(cast.office_a):
        company = Company.objects.get(pk=cast.company_x.pk)
        assert company.name == "Nazwa programu" and company.office_edited == ["email"]
        change = CompanyChange.objects.get(company=company, action=CompanyChange.Action.CONFLICT)
        assert change.user == cast.alice and change.details["field"] == "name"


def test_conflicts_of_another_company_or_role_are_404(office_client, cast, ):
    with in_office(cast.office_a):
        _sync(name="Inna nazwa")
        conflict = BasicDataConflict.objects.get(field="name")
    url_y = f"/panel/companies/{cast.company_y.pk}/conflicts/{conflict.pk}/"
    assert office_client(cast.office_a, cast.alice).post(url_y, {"resolution": "theirs"}).status_code == 404
    url_x = f"/panel/companies/{cast.company_x.pk}/conflicts/{conflict.pk}/"
    assert office_client(cast.office_a, cast.bob).post(url_x, {"resolution": "theirs"}).status_code == 404
    with in_office(cast.office_a):
        assert BasicDataConflict.objects.get(pk=conflict.pk).resolved_at is None
