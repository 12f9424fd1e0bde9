"""Creating the logins of an office. Every entry point (sign-up, commands, seeds, tests) calls these."""

from allauth.account.models import EmailAddress
from django.db import transaction

from offices.accounts.models import Role, User


@transaction.atomic
def create_login(email: str, *, role: Role, password: str | None = None, first_name: str = "",
                 last_name: str = "", verified: bool = False) -> User:
    """Create a user of the current office with its allauth e-mail address.

    Without a password the account cannot log in until the person sets one
    through the password-reset (activation) link.
    """
    user = User.objects.create_user(email=email, password=password, role=role,
                                    first_name=first_name, last_name=last_name)
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=verified)
    return user
