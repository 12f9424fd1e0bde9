"""Receivers of allauth's signals for an office's logins."""

from allauth.account.models import EmailAddress
from allauth.account.signals import password_reset
from django.dispatch import receiver


@receiver(password_reset, dispatch_uid="accounts.verify_email_on_password_reset")
def verify_email_on_password_reset(sender, request, user, **kwargs):
    """Setting a password through an e-mailed link (activation or reset) proves the mailbox is the person's.

    Invited staff and clients activate their login this way; without this their first login would ask
    them to confirm the same address once more.
    """
    EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=False).update(verified=True)
