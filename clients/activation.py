"""Inviting a person (found by a sync or added by the office) to the client views.

``invite_person`` gives the person a client login without a password and returns the activation link:
allauth's reset-by-key page (``offices.accounts.activation``), where they choose a password. A link works
once and expires after ``PASSWORD_RESET_TIMEOUT``; an expired or used one shows a page that sends a new one.
"""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from clients.models import Person
from offices.accounts.activation import activation_url
from offices.accounts.models import Role, User
from offices.accounts.services import create_login
from offices.tenancy import current_office


@transaction.atomic
def ensure_client_login(person: Person) -> User:
    """The person's client login, created (without a password) and linked when missing.

    An existing client login with the person's e-mail that no other person holds is linked; a staff
    login, or one already linked to another person, is refused (``email_taken``).
    """
    person = Person.objects.select_for_update().get(pk=person.pk)
    if person.user_id is not None:
        return person.user
    email = (person.email or "").strip().lower()
    if not email:
        raise ValidationError(_("%(person)s has no e-mail address to send an invitation to."),
                              code="no_email", params={"person": person})
    user = User.objects.filter(email__iexact=email).first()
    if user is None:
        user = create_login(email, role=Role.CLIENT, first_name=person.first_name, last_name=person.last_name)
    elif user.is_office_staff or Person.objects.filter(user=user).exists():
        raise ValidationError(_("%(email)s already has another login in this office."), code="email_taken",
                              params={"email": email})
    link_login(person, user)
    return user


def link_login(person, user) -> None:
    """Give a person a client login (an invitation's activation or a bookkeeper links an existing one)."""
    type(person).objects.filter(pk=person.pk).update(user=user)
    person.user = user


def invite_person(person: Person) -> str:
    """The activation link of the person's client login (created when missing), on the office's host.

    Call it inside the office's schema. Each call makes a fresh link; earlier ones stay valid until used
    or expired (any of them stops working once the password is set).
    """
    user = ensure_client_login(person)
    return activation_url(current_office(), user)
