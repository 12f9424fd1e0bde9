"""Inviting staff from the panel: the login (``offices.accounts.services``) and its activation e-mail (the outbox,
``clients.messaging.services.queue_staff_invitation``) in one transaction, so an invitation is either both or
neither, and its e-mail is sent, retried and logged like every other message."""

from django.db import transaction

from clients.messaging.services import queue_staff_invitation
from offices.accounts.models import Role, User
from offices.accounts.services import allow_staff_invitation_resend, invite_staff


@transaction.atomic
def invite(email: str, *, role: Role, by: User, first_name: str = "", last_name: str = "") -> User:
    """A new staff login of the office and its activation e-mail (refusals: ``ValidationError``, nothing written)."""
    user = invite_staff(email, role=role, by=by, first_name=first_name, last_name=last_name)
    queue_staff_invitation(user, invited_by=by)
    return user


@transaction.atomic
def resend_invitation(user: User, *, by: User) -> None:
    """A fresh activation link for a staff login not activated yet."""
    allow_staff_invitation_resend(user, by=by)
    queue_staff_invitation(user, invited_by=by)
