"""RODO in the panel: who reaches a person's data, export and erasure (admins only), the access log and
the retention setting; Polish pages without internal codes."""

import json
import re
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from clients.models import Company, CompanyChange, CompanyPerson, DataAccess, Erasure, Person
from clients.sources import set_enabled
from offices import tasks
from offices.accounts.models import AuditAction, AuditEntry, OfficeSettings
from sync.agents import create_agent
from sync.ingest import apply_batch
from tests.clients import batches as b
from tests.conftest import NIP_X, NIP_Y, PESEL_BOB, PESEL_CAROL
from tests.offices.panel_support import admin_user, bookkeeper, in_office  # noqa: F401


def _person(cast, pesel):
    with in_office(cast.office_a):
        return Person.objects.get(pesel=pesel)


def person_url(company, person, tail=""):
    return f"/panel/companies/{company.pk}/people/{person.pk}/privacy/{tail}"


def _page(response, path: str) -> str:
    """The page without its per-response CSRF tokens and its own address, to compare two 404s."""
    text = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.content.decode())
    return text.replace(path, "PATH")


def _accesses(cast, what):
    with in_office(cast.office_a):
        return list(DataAccess.objects.filter(what=what).values_list("user_email", "company_id", "person_id"))


# --- Who reaches it --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("tail", ["", "export.json", "export.pdf", "erase/"])
def test_another_companys_or_offices_person_is_the_same_404(office_client, cast, tail):
    carol, bob = _person(cast, PESEL_CAROL), _person(cast, PESEL_BOB)
    alice = office_client(cast.office_a, cast.alice)
    missing_path = f"/panel/companies/{cast.company_x.pk}/people/999999/privacy/{tail}"
    missing = alice.get(missing_path)
    assert missing.status_code == 404
    # Carol is Y's, not X's: reached through X she does not exist.
    foreign = alice.get(person_url(cast.company_x, carol, tail))
    assert foreign.status_code == 404
    assert _page(foreign, person_url(cast.company_x, carol, tail)) == _page(missing, missing_path)
    # Dave, in office B, with office A's ids.
    dave = office_client(cast.office_b, cast.dave).get(person_url(cast.company_x, bob, tail))
    assert dave.status_code == 404
    # A client, and nobody.
    assert office_client(cast.office_a, cast.bob).get(person_url(cast.company_x, bob, tail)).status_code == 404
    assert office_client(cast.office_a).get(person_url(cast.company_x, bob, tail)).status_code == 302
    assert _accesses(cast, DataAccess.What.EXPORT) == []


def test_a_bookkeeper_exports_but_cannot_erase(office_client, cast, bookkeeper):  # noqa: F811
    bob = _person(cast, PESEL_BOB)
    bea = office_client(cast.office_a, bookkeeper)
    assert bea.get(person_url(cast.company_x, bob)).status_code == 200
    assert bea.get(person_url(cast.company_x, bob, "erase/")).status_code == 404
    response = bea.post(person_url(cast.company_x, bob, "erase/"), {"reason": "request", "confirm": "on"})
    assert response.status_code == 404
    with in_office(cast.office_a):
        assert Person.objects.get(pk=bob.pk).pesel == PESEL_BOB and not Erasure.objects.exists()
    page = bea.get(f"/panel/companies/{cast.company_x.pk}/").content.decode()
    assert "Eksport danych osobowych" in page and "Usuń dane osobowe" not in page
    assert bea.get("/panel/privacy/").status_code == 404


# --- Export ------------------------------------------------------------------------------------------------------


def test_the_export_downloads_and_every_view_is_in_the_access_log(office_client, cast):
    bob = _person(cast, PESEL_BOB)
    alice = office_client(cast.office_a, cast.alice)
    assert alice.get(f"/panel/companies/{cast.company_x.pk}/").status_code == 200
    page = alice.get(person_url(cast.company_x, bob))
    text = page.content.decode()
    assert page.status_code == 200 and page["Cache-Control"] == "no-store"
    assert PESEL_BOB not in text and PESEL_BOB[6:] in text  # masked on the page
    assert "Eksport danych osobowych" in text and "Pobierz PDF" in text
    exported = alice.get(person_url(cast.company_x, bob, "export.json"))
    assert exported.status_code == 200 and exported["Cache-Control"] == "no-store"
    assert "attachment" in exported["Content-Disposition"]
    data = json.loads(exported.content)
    assert data["person"]["pesel"] == PESEL_BOB
    assert data["memberships"][0]["nip"] == NIP_X and data["memberships"][0]["role"] == "właściciel"
    pdf = alice.get(person_url(cast.company_x, bob, "export.pdf"))
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF-")
    company, person = cast.company_x.pk, bob.pk
    assert _accesses(cast, DataAccess.What.COMPANY) == [("alice@alpha.test", company, None)]
    assert _accesses(cast, DataAccess.What.PERSON) == [("alice@alpha.test", company, person)]
    assert len(_accesses(cast, DataAccess.What.EXPORT)) == 2
    with in_office(cast.office_a):
        assert AuditEntry.objects.filter(action=AuditAction.PERSONAL_DATA_EXPORTED).count() == 2
    # The office admin sees it, in Polish, without codes.
    log = alice.get(f"/panel/privacy/?company={cast.company_x.pk}").content.decode()
    assert "otwarcie strony firmy" in log and "eksport danych osobowych" in log
    visible = re.sub(r"<[^>]+>", " ", log)
    for code in ("company", "export", "person", "figures", "retention", "request", "personal_data"):
        assert not re.search(rf"\b{code}\b", visible), code


# --- Erasure -----------------------------------------------------------------------------------------------------


def test_an_admin_erases_with_a_reason_and_confirmation_once(office_client, cast, admin_user):  # noqa: F811
    bob = _person(cast, PESEL_BOB)
    adam = office_client(cast.office_a, admin_user)
    form = adam.get(person_url(cast.company_x, bob, "erase/"))
    assert form.status_code == 200
    assert "Ordynacja podatkowa art. 70" in form.content.decode()
    refused = adam.post(person_url(cast.company_x, bob, "erase/"), {"reason": "wniosek z 1.12.2026"})
    assert refused.status_code == 400  # no confirmation
    refused = adam.post(person_url(cast.company_x, bob, "erase/"), {"reason": "", "confirm": "on"})
    assert refused.status_code == 400
    with in_office(cast.office_a):
        assert not Erasure.objects.exists()
    done = adam.post(person_url(cast.company_x, bob, "erase/"), {"reason": "wniosek z 1.12.2026", "confirm": "on"},
                     follow=True)
    assert done.status_code == 200 and "Dane osobowe zostały usunięte" in done.content.decode()
    again = adam.post(person_url(cast.company_x, bob, "erase/"), {"reason": "again", "confirm": "on"}, follow=True)
    assert again.status_code == 200 and "już usunięte" in again.content.decode()
    with in_office(cast.office_a):
        erasure = Erasure.objects.get()
        assert erasure.reason == "wniosek z 1.12.2026" and erasure.by == admin_user
        assert not CompanyPerson.objects.filter(person=bob).exists()
    company_page = adam.get(f"/panel/companies/{cast.company_x.pk}/").content.decode()
    assert "Builder" not in company_page
    privacy_page = adam.get("/panel/privacy/").content.decode()
    assert "wniosek z 1.12.2026" in privacy_page and "na wniosek osoby" in privacy_page


# --- Retention setting -------------------------------------------------------------------------------------------


def test_the_retention_setting_is_saved_audited_and_validated(office_client, cast, bookkeeper):  # noqa: F811
    alice = office_client(cast.office_a, cast.alice)
    assert alice.post("/panel/privacy/", {"retention_months": "0"}).status_code == 400
    assert alice.post("/panel/privacy/", {"retention_months": "abc"}).status_code == 400
    with in_office(cast.office_a):
        assert OfficeSettings.load().retention_months is None
    assert alice.post("/panel/privacy/", {"retention_months": "60"}).status_code == 302
    with in_office(cast.office_a):
        assert OfficeSettings.load().retention_months == 60
        assert AuditEntry.objects.filter(action=AuditAction.SETTINGS_CHANGED).first().details == {
            "changed": {"retention_months": [None, 60]}}
    assert office_client(cast.office_a, bookkeeper).post("/panel/privacy/", {"retention_months": ""}).status_code == 404
    assert alice.post("/panel/privacy/", {"retention_months": ""}).status_code == 302
    with in_office(cast.office_a):
        assert OfficeSettings.load().retention_months is None


def test_a_bookkeeper_who_sees_only_their_companies_exports_only_those(office_client, cast, bookkeeper):  # noqa: F811
    with in_office(cast.office_a):
        agent, _token = create_agent("Privacy panel agent")
        # Bob is also a partner of Y; Bea looks after X only.
        apply_batch(b.batch(b.company(1, NIP_Y, people=[b.person(0, "Bob", "Builder", pesel=PESEL_BOB,
                                                                 role="partner")])), agent)
        OfficeSettings.objects.filter(singleton=1).update(bookkeepers_see_assigned_only=True)
        Company.objects.filter(pk=cast.company_x.pk).update(assigned_to=bookkeeper)
    bob = _person(cast, PESEL_BOB)
    bea = office_client(cast.office_a, bookkeeper)
    data = json.loads(bea.get(person_url(cast.company_x, bob, "export.json")).content)
    assert [row["nip"] for row in data["memberships"]] == [NIP_X] and data["complete"] is False
    assert "Tylko firmy" in bea.get(person_url(cast.company_x, bob)).content.decode()
    assert bea.get(person_url(cast.company_y, bob, "export.json")).status_code == 404
    alice = office_client(cast.office_a, cast.alice)
    full = json.loads(alice.get(person_url(cast.company_x, bob, "export.json")).content)
    assert sorted(row["nip"] for row in full["memberships"]) == sorted([NIP_X, NIP_Y]) and full["complete"] is True


def test_the_daily_retention_task_runs_in_every_office(cast, monkeypatch):
    queued = []
    monkeypatch.setattr(tasks.retention, "apply_async", lambda **options: queued.append(connection.schema_name))
    assert tasks.retention_all_offices() >= 2
    assert {cast.office_a.schema_name, cast.office_b.schema_name} <= set(queued)
    # In the office: with a retention period, a company switched off long ago loses its people.
    with in_office(cast.office_a):
        OfficeSettings.objects.filter(singleton=1).update(retention_months=1)
        # A fresh instance: set_enabled updates the object it is given, and the cast's outlives this test.
        set_enabled(Company.objects.get(pk=cast.company_y.pk), False, by=cast.alice)
        CompanyChange.objects.filter(company=cast.company_y).update(at=timezone.now() - timedelta(days=90))
        assert tasks.retention() == 1
        assert not Person.objects.filter(pesel=PESEL_CAROL).exists()
        assert Company.objects.filter(pk=cast.company_y.pk).exists()  # its tax records stay


def test_a_companys_figures_export_is_in_the_access_log(office_client, cast):
    alice = office_client(cast.office_a, cast.alice)
    response = alice.get(f"/panel/export/download/?company={cast.company_x.pk}&format=csv")
    assert response.status_code == 200
    assert NIP_X in b"".join(response.streaming_content).decode("utf-8")  # read to the end: the stream is closed
    assert _accesses(cast, DataAccess.What.FIGURES) == [("alice@alpha.test", cast.company_x.pk, None)]
