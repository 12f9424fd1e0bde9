"""Finding 4 of the penetration test: a client login must never be linked to another person's company.

The attack, through allauth's real views: a client login that is not linked to anybody adds the victim's
address under /accounts/email/, the victim clicks the confirmation e-mail, the attacker makes it primary; when
staff resend the victim's invitation, the portal linked the attacker's login by e-mail.
"""

import re

import pytest
from django.core.exceptions import ValidationError
from django_tenants.utils import schema_context

from clients.activation import ensure_client_login, invite_person
from clients.models import CompanyPerson, Person, PersonRole
from offices.accounts.models import Role, User
from offices.accounts.services import create_login
from tests.conftest import PASSWORD

VICTIM = "victim@example.com"


@pytest.fixture
def mallory(cast):
    """A client login of office A that no person holds (e.g. left over after a person was removed)."""
    with schema_context(cast.office_a.schema_name):
        return create_login("mallory@example.com", role=Role.CLIENT, password=PASSWORD, verified=True)


@pytest.fixture
def victim(cast):
    with schema_context(cast.office_a.schema_name):
        person = Person.objects.create(first_name="Vic", last_name="Tim", email=VICTIM)
        CompanyPerson.objects.create(company=cast.company_x, person=person, role=PersonRole.OWNER)
        return person


def test_a_client_cannot_add_an_email_address(office_client, cast, mallory, mailoutbox):
    attacker = office_client(cast.office_a, mallory)
    assert attacker.get("/accounts/email/").status_code == 404
    response = attacker.post("/accounts/email/", {"action_add": "", "email": VICTIM})
    assert response.status_code == 404
    assert mailoutbox == []
    with schema_context(cast.office_a.schema_name):
        assert list(mallory.emailaddress_set.values_list("email", flat=True)) == ["mallory@example.com"]


def test_staff_still_manage_their_addresses(office_client, cast):
    assert office_client(cast.office_a, cast.alice).get("/accounts/email/").status_code == 200


def test_the_preferences_page_offers_no_address_change_to_clients(office_client, cast):
    html = office_client(cast.office_a, cast.bob).get("/client/preferences/").content.decode()
    assert 'href="/accounts/email/"' not in html


def test_an_existing_login_with_the_persons_address_is_never_linked(cast, mallory, victim):
    """Even if a login holds the address (however it got there), an invitation never links it by e-mail."""
    with schema_context(cast.office_a.schema_name):
        User.objects.filter(pk=mallory.pk).update(email=VICTIM)
        with pytest.raises(ValidationError) as error:
            ensure_client_login(victim)
        assert error.value.code == "email_taken"
        victim.refresh_from_db()
        assert victim.user_id is None


def test_the_full_attack_through_allauths_views_fails(office_client, cast, mallory, victim, mailoutbox):
    attacker = office_client(cast.office_a, mallory)
    attacker.post("/accounts/email/", {"action_add": "", "email": VICTIM})
    for message in mailoutbox:  # the victim clicks whatever arrived
        for path in re.findall(r"https?://[^/\s]+(/accounts/confirm-email/[^\s]+/)", message.body):
            office_client(cast.office_a).post(path)
    attacker.post("/accounts/email/", {"action_primary": "", "email": VICTIM})
    with schema_context(cast.office_a.schema_name):
        mallory.refresh_from_db()
        assert mallory.email == "mallory@example.com"
        invite_person(victim)  # staff resend the invitation
        victim.refresh_from_db()
        assert victim.user_id != mallory.pk
    dashboard = attacker.get("/client/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Firma X" not in dashboard
