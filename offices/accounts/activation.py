"""Activation links: a new login sets its password through allauth's reset-by-key page."""

from allauth.account.forms import default_token_generator
from allauth.account.utils import user_pk_to_url_str
from django.urls import reverse
from django_tenants.utils import schema_context

from offices.accounts.models import User
from offices.tenancy import office_url


def activation_path(user: User) -> str:
    key = default_token_generator.make_token(user)
    return reverse("account_reset_password_from_key", urlconf="portal.urls_tenants",
                   kwargs={"uidb36": user_pk_to_url_str(user), "key": key})


def activation_url(office, user: User) -> str:
    with schema_context(office.schema_name):
        return office_url(office.slug, activation_path(user))
