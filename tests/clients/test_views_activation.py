"""A person found by the sync gets an invitation link, sets a password, logs in and lands on the dashboard;
an expired or reused link gets a clear page that sends a new one."""

from urllib.parse import urlsplit

import pytest
from django.core.exceptions import ValidationError
from django.test import override_settings
from django.utils import translation
from django_tenants.utils import schema_context

from clients.activation import invite_person
from clients.models import CompanyPerson, Person, PersonRole
from offices.accounts.models import Role, User

NEW_PASSWORD = "ola-chooses-a-long-password"


def _ola(cast) -> Person:
    person = Person.objects.create(first_name="Ola", last_name="Nowak", email="Ola@Example.com")
    CompanyPerson.objects.create(company=cast.company_x, person=person, role=PersonRole.PROXY)
    return person


def _set_password(visitor, link: str):
    opened = visitor.get(urlsplit(link).path)
    assert opened.status_code == 302  # allauth keeps the key in the session
    return opened, visitor.post(opened["Location"], {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})


def test_invitation_activation_login_and_dashboard(office_client, cast):
    with schema_context(cast.office_a.schema_name):
        person = _ola(cast)
        link = invite_person(person)
        user = User.objects.get(email="ola@example.com")
        assert user.role == Role.CLIENT and not user.has_usable_password()
        person.refresh_from_db()
        assert person.user_id == user.pk
    assert urlsplit(link).hostname == "alpha.localhost"

    visitor = office_client(cast.office_a)
    _opened, done = _set_password(visitor, link)
    assert done.status_code == 302
    page = visitor.get(done["Location"], HTTP_ACCEPT_LANGUAGE="en")
    assert "Your password is set" in page.content.decode()

    fresh = office_client(cast.office_a)
    login = fresh.post("/accounts/login/", {"login": "ola@example.com", "password": NEW_PASSWORD})
    assert login.status_code == 302 and login["Location"] == "/"
    home = fresh.get("/")
    assert home["Location"] == "/client/"
    dashboard = fresh.get("/client/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Firma X Sp. z o.o." in dashboard and "1,000.00" in dashboard


def test_a_used_link_gets_the_new_link_page(office_client, cast):
    with schema_context(cast.office_a.schema_name):
        link = invite_person(_ola(cast))
    _set_password(office_client(cast.office_a), link)
    again = office_client(cast.office_a)
    opened = again.get(urlsplit(link).path, HTTP_ACCEPT_LANGUAGE="en")
    html = opened.content.decode()
    assert opened.status_code == 200
    assert 'class="link-expired"' in html and "This link no longer works" in html
    assert 'action="/accounts/password/reset/"' in html  # asks for a new link right there


@override_settings(PASSWORD_RESET_TIMEOUT=-1)
def test_an_expired_link_gets_the_same_page(office_client, cast):
    with schema_context(cast.office_a.schema_name):
        link = invite_person(_ola(cast))
    with translation.override("en"):
        html = office_client(cast.office_a).get(urlsplit(link).path, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'class="link-expired"' in html


def test_asking_for_a_new_link_mails_one(office_client, cast, mailoutbox):
    with schema_context(cast.office_a.schema_name):
        invite_person(_ola(cast))
    response = office_client(cast.office_a).post("/accounts/password/reset/", {"email": "ola@example.com"})
    assert response.status_code == 302
    assert [m.to for m in mailoutbox] == [["ola@example.com"]]


def test_inviting_twice_keeps_one_login_and_refuses_what_cannot_work(cast):
    with schema_context(cast.office_a.schema_name):
        person = _ola(cast)
        invite_person(person)
        invite_person(person)
        assert User.objects.filter(email="ola@example.com").count() == 1
        nobody = Person.objects.create(first_name="No", last_name="Mail")
        with pytest.raises(ValidationError) as error:
            invite_person(nobody)
        assert error.value.code == "no_email"
        staff_twin = Person.objects.create(first_name="A", email="alice@alpha.test")
        with pytest.raises(ValidationError) as error:
            invite_person(staff_twin)
        assert error.value.code == "email_taken"
